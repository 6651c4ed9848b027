// Kernel IR to LLVM IR: row kernels (softmax, log-softmax, crossentropy),
// which make one pass over a row per level of row reductions, each pass
// reading what the passes before it reduced.
#include "loop_lowering.hpp"

namespace kiln::jit {

Value* LoopLowering::emit_row_passes(Value* n, Stride stride) {
    const auto& values = kernel_.values();
    const auto& rows = kernel_.row_reductions();
    // The pass that can compute each value: one more than the deepest row
    // result it reads.
    std::vector<int> pass(values.size(), 0);
    std::vector<std::size_t> result_of(rows.size()); // the value holding each row reduction's result
    for (std::size_t v = 0; v < values.size(); ++v) {
        if (values[v].kind == KernelValue::Kind::row_result) {
            pass[v] = pass[rows[values[v].index].value] + 1;
            result_of[values[v].index] = v;
            continue;
        }
        for (int operand : values[v].operands) pass[v] = std::max(pass[v], pass[operand]);
    }
    // Outputs that hold one value per row are stored once, after the passes.
    int last = 0;
    for (const KernelOutput& output : kernel_.outputs())
        if (!invariant(output.value)) last = std::max(last, pass[output.value]);
    for (const RowReduction& row : rows) last = std::max(last, pass[row.value]);

    // The last pass's outputs would recompute what the pass before computed
    // (softmax: exp(x - max)); that pass parks it in the output instead,
    // where the row is still in cache, and the last pass reads it back.
    std::vector<int> stash(kernel_.outputs().size(), -1);
    if (last > 0) {
        for (std::size_t j = 0; j < kernel_.outputs().size(); ++j) {
            const KernelOutput& output = kernel_.outputs()[j];
            std::vector<bool> reads(values.size(), false);
            reads[output.value] = true;
            for (int v = output.value; v >= 0; --v) {
                if (!reads[v]) continue;
                if (v != output.value && !invariant(v) && pass[v] == last - 1 && values[v].dtype == output.dtype) {
                    stash[j] = v;
                    break;
                }
                for (int operand : values[v].operands) reads[operand] = true;
            }
        }
    }

    std::vector<Value*> known(values.size(), nullptr);
    Value* error = builder_.getFalse();
    llvm::Function* function = builder_.GetInsertBlock()->getParent();
    const std::string prefix = stride == Stride::unit ? "row.unit_stride.pass" : "row.strided.pass";
    for (int p = 0; p <= last; ++p) {
        // What does not change along the row is computed before the pass.
        division_by_zero_ = nullptr;
        for (std::size_t v = 0; v < values.size(); ++v)
            if (!known[v] && invariant(static_cast<int>(v)) && pass[v] <= p &&
                values[v].kind != KernelValue::Kind::row_result)
                known[v] = emit(static_cast<int>(v), known, builder_.getInt64(0), stride);
        if (division_by_zero_) error = builder_.CreateOr(error, division_by_zero_);

        llvm::BasicBlock* preheader = builder_.GetInsertBlock();
        auto* body = llvm::BasicBlock::Create(context_, prefix + std::to_string(p), function);
        auto* after = llvm::BasicBlock::Create(context_, prefix + std::to_string(p) + ".end", function);
        builder_.CreateBr(body);
        builder_.SetInsertPoint(body);
        llvm::PHINode* index = builder_.CreatePHI(builder_.getInt64Ty(), 2, "i");
        index->addIncoming(builder_.getInt64(0), preheader);
        std::vector<std::pair<std::size_t, llvm::PHINode*>> accumulators;
        for (std::size_t r = 0; r < rows.size(); ++r) {
            if (pass[rows[r].value] != p) continue;
            const DType dtype = values[rows[r].value].dtype;
            llvm::PHINode* phi = builder_.CreatePHI(register_type(dtype), 2, "row_accumulator");
            phi->addIncoming(identity(rows[r].kind, dtype), preheader);
            accumulators.emplace_back(r, phi);
        }
        division_by_zero_ = nullptr;
        const int calls_before = math_calls_;
        std::vector<Value*> current = known;
        if (p == last)
            for (std::size_t j = 0; j < stash.size(); ++j)
                if (stash[j] >= 0) current[stash[j]] = load_output(static_cast<int>(j), index, stride);
        // Only what this pass's reductions and stores read.
        std::vector<bool> needed(values.size(), false);
        for (const RowReduction& row : rows)
            if (pass[row.value] == p) needed[row.value] = true;
        for (std::size_t j = 0; j < kernel_.outputs().size(); ++j) {
            if (p == last && !invariant(kernel_.outputs()[j].value)) needed[kernel_.outputs()[j].value] = true;
            if (p + 1 == last && stash[j] >= 0) needed[stash[j]] = true;
        }
        for (std::size_t v = values.size(); v-- > 0;)
            if (needed[v] && !current[v])
                for (int operand : values[v].operands) needed[operand] = true;
        for (std::size_t v = 0; v < values.size(); ++v)
            if (needed[v] && !current[v]) current[v] = emit(static_cast<int>(v), current, index, stride);
        if (p + 1 == last)
            for (std::size_t j = 0; j < stash.size(); ++j)
                if (stash[j] >= 0) store(static_cast<int>(j), current[stash[j]], index, stride);
        std::vector<Value*> combined;
        for (const auto& [r, phi] : accumulators)
            combined.push_back(combine(rows[r].kind, values[rows[r].value].dtype, phi, current[rows[r].value], true));
        if (p == last)
            for (std::size_t j = 0; j < kernel_.outputs().size(); ++j)
                if (!invariant(kernel_.outputs()[j].value))
                    store(static_cast<int>(j), current[kernel_.outputs()[j].value], index, stride);
        Value* next = builder_.CreateAdd(index, builder_.getInt64(1), "next", true, true);
        llvm::BasicBlock* latch = builder_.GetInsertBlock();
        index->addIncoming(next, latch);
        for (std::size_t k = 0; k < accumulators.size(); ++k) accumulators[k].second->addIncoming(combined[k], latch);
        // The flag only matters once the row is done: any pass that met a zero divisor reports it.
        llvm::PHINode* pass_error = nullptr;
        if (division_by_zero_) {
            builder_.SetInsertPoint(body, body->getFirstInsertionPt());
            pass_error = builder_.CreatePHI(builder_.getInt1Ty(), 2, "division_by_zero");
            pass_error->addIncoming(builder_.getFalse(), preheader);
            builder_.SetInsertPoint(latch);
            Value* next_error = builder_.CreateOr(pass_error, division_by_zero_);
            pass_error->addIncoming(next_error, latch);
            mark_row_latch(builder_.CreateCondBr(builder_.CreateICmpSLT(next, n), body, after), stride,
                           math_calls_ > calls_before);
            builder_.SetInsertPoint(after);
            error = builder_.CreateOr(error, next_error);
        } else {
            mark_row_latch(builder_.CreateCondBr(builder_.CreateICmpSLT(next, n), body, after), stride,
                           math_calls_ > calls_before);
            builder_.SetInsertPoint(after);
        }
        for (std::size_t k = 0; k < accumulators.size(); ++k) known[result_of[accumulators[k].first]] = combined[k];
    }
    division_by_zero_ = nullptr;
    for (std::size_t v = 0; v < values.size(); ++v)
        if (!known[v] && invariant(static_cast<int>(v)) && values[v].kind != KernelValue::Kind::row_result)
            known[v] = emit(static_cast<int>(v), known, builder_.getInt64(0), stride);
    if (division_by_zero_) error = builder_.CreateOr(error, division_by_zero_);
    for (std::size_t j = 0; j < kernel_.outputs().size(); ++j)
        if (invariant(kernel_.outputs()[j].value))
            store(static_cast<int>(j), known[kernel_.outputs()[j].value], builder_.getInt64(0), Stride::unit);
    return error;
}

void LoopLowering::mark_row_latch(llvm::BranchInst* latch, Stride stride, bool calls_math) {
    if (stride != Stride::unit) {
        keep_as_written(latch);
        return;
    }
    if (!calls_math) return;
    // Rows are often short (ten classes): interleaved vector iterations
    // would leave any row under four vectors to scalar code, a math call
    // per element, and LLVM does not vectorize such remainders. Passes
    // without calls keep interleaving: their reductions are latency chains.
    set_loop_flags(latch, {loop_flag("llvm.loop.interleave.count", llvm::ConstantAsMetadata::get(builder_.getInt32(1)))});
}

} // namespace kiln::jit
