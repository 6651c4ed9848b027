#include "lower_loop.hpp"

#include "../ir/errors.hpp"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <optional>

namespace kiln::jit {

namespace {

using llvm::Value;
using S = ScalarOp;

class LoopLowering {
public:
    LoopLowering(const Kernel& kernel, LoopVariant variant, llvm::Module& module)
        : kernel_(kernel), variant_(variant), module_(module), context_(module.getContext()), builder_(context_) {}

    void build(const std::string& function_name);

private:
    struct Buffer {
        Value* base = nullptr;
        Value* stride = nullptr;
        bool broadcast_inner = false;
    };
    enum class Stride { unit, general };
    /// How a loop writes its output: store each value; combine each value
    /// into its output element (a reduction over outer dimensions); or
    /// reduce the whole run in a register and combine it into the one
    /// output element at the end (a reduction along the run).
    enum class OutputMode { store, accumulate, reduce_run };

    llvm::Type* register_type(DType dtype) {
        switch (dtype) {
        case DType::bool_: return builder_.getInt1Ty();
        case DType::int8:
        case DType::uint8: return builder_.getInt8Ty();
        case DType::int16:
        case DType::uint16: return builder_.getInt16Ty();
        case DType::int32:
        case DType::uint32: return builder_.getInt32Ty();
        case DType::int64:
        case DType::uint64: return builder_.getInt64Ty();
        case DType::float32: return builder_.getFloatTy();
        case DType::float64: return builder_.getDoubleTy();
        }
        return builder_.getDoubleTy();
    }
    llvm::Type* memory_type(DType dtype) { return dtype == DType::bool_ ? builder_.getInt8Ty() : register_type(dtype); }

    bool invariant(int value) const { return invariant_[value]; }
    void analyse_invariance();
    void set_up_alias_scopes();

    Value* element_address(const Buffer& buffer, DType dtype, Value* index, Stride stride);
    Value* load(int input, Value* index, Stride stride);
    void store(int output, Value* value, Value* index, Stride stride);
    Value* load_output(int output, Value* index, Stride stride);
    /// Emits value v (operands already emitted into `values`).
    Value* emit(int v, std::vector<Value*>& values, Value* index, Stride stride);
    /// Emits the loop body for one index; returns the division-by-zero flag.
    /// With OutputMode::reduce_run it stores nothing and combines the value
    /// into `*accumulator` instead.
    Value* emit_body(std::vector<Value*> values, Value* index, Stride stride, OutputMode mode, Value** accumulator);
    void emit_loop(llvm::BasicBlock* exit, llvm::PHINode* exit_error, const std::vector<Value*>& hoisted, Value* n,
                   Stride stride, OutputMode mode, llvm::BasicBlock* block);
    /// The unit-stride loop of LoopVariant::streaming_stores, from the
    /// current block. It walks the run in segments that all go through one
    /// loop body (LLVM then compiles the body once): a peel up to a
    /// cache-line boundary, then whole blocks computed into scratch (in L1)
    /// and copied out with aligned non-temporal vector stores, then the
    /// tail. A run too short for a block, or whose outputs sit at different
    /// offsets in their cache lines, is one segment stored directly.
    void emit_segmented_store_loop(llvm::BasicBlock* exit, llvm::PHINode* exit_error,
                                   const std::vector<Value*>& hoisted, Value* n);
    /// A strided loop stays scalar: it serves views, where vector code would
    /// need gathers, and compiling it as vector code would double the
    /// compile time of every kernel.
    void mark_latch(llvm::BranchInst* latch, Stride stride);
    /// The same for a row kernel's pass; one that calls math functions
    /// vectorizes one vector at a time.
    void mark_row_latch(llvm::BranchInst* latch, Stride stride, bool calls_math);
    /// Tells LLVM not to vectorize, interleave or unroll the loop.
    void keep_as_written(llvm::BranchInst* latch);
    /// A latch's loop metadata: one flag per hint.
    llvm::Metadata* loop_flag(const char* name, llvm::Metadata* value);
    void set_loop_flags(llvm::BranchInst* latch, std::vector<llvm::Metadata*> flags);
    /// A row kernel's passes over one row of n elements, from the current
    /// block; returns the division-by-zero flag at the end.
    Value* emit_row_passes(Value* n, Stride stride);
    /// The loops of an elementwise or reduction kernel, from the preheader.
    void emit_loops(llvm::Function* function, Value* n, Value* contiguous, Value* inputs_contiguous,
                    llvm::BasicBlock* preheader, llvm::BasicBlock* exit, llvm::BasicBlock* report,
                    llvm::BasicBlock* done);
    /// The reduction's combination of two values; `reassociate` lets the
    /// vectorizer keep several partial float sums (blocked accumulation).
    Value* combine(ReduceKind kind, DType dtype, Value* a, Value* b, bool reassociate);
    Value* identity(ReduceKind kind, DType dtype);

    Value* convert(Value* x, DType from, DType to);
    Value* apply(const KernelValue& value, const std::vector<Value*>& operands);
    Value* apply_float(ScalarOp op, DType dtype, const std::vector<Value*>& x);
    Value* apply_integer(ScalarOp op, DType dtype, const std::vector<Value*>& x);
    Value* integer_pow(DType dtype, Value* base, Value* exponent);
    Value* libm(const char* name, DType dtype, const std::vector<Value*>& arguments);
    Value* unary(llvm::Intrinsic::ID id, Value* x) {
        using I = llvm::Intrinsic::ID;
        for (I math : {I(llvm::Intrinsic::exp), I(llvm::Intrinsic::exp2), I(llvm::Intrinsic::log), I(llvm::Intrinsic::log2),
                       I(llvm::Intrinsic::log10), I(llvm::Intrinsic::sin), I(llvm::Intrinsic::cos)})
            if (id == math) ++math_calls_;
        return builder_.CreateUnaryIntrinsic(id, x);
    }
    Value* float_constant(DType dtype, double value) { return llvm::ConstantFP::get(register_type(dtype), value); }
    Value* note_division(Value* divisor_is_zero) {
        division_by_zero_ = division_by_zero_ ? builder_.CreateOr(division_by_zero_, divisor_is_zero) : divisor_is_zero;
        return divisor_is_zero;
    }

    const Kernel& kernel_;
    const LoopVariant variant_;
    llvm::Module& module_;
    llvm::LLVMContext& context_;
    llvm::IRBuilder<> builder_;
    std::vector<Buffer> buffers_; // inputs, then outputs
    std::vector<Value*> params_;
    std::vector<bool> invariant_;
    std::vector<llvm::MDNode*> output_scopes_;
    llvm::MDNode* all_outputs_ = nullptr;
    Value* division_by_zero_ = nullptr;
    /// Calls of math functions emitted so far (libm, or the vector library).
    int math_calls_ = 0;
    /// Row kernels: the row's length, and whether a gather fell outside it.
    Value* row_length_ = nullptr;
    Value* out_of_bounds_ = nullptr;
};

void LoopLowering::analyse_invariance() {
    invariant_.assign(kernel_.values().size(), false);
    for (std::size_t v = 0; v < kernel_.values().size(); ++v) {
        const KernelValue& value = kernel_.values()[v];
        switch (value.kind) {
        case KernelValue::Kind::load: invariant_[v] = kernel_.inputs()[value.index].broadcast_inner; break;
        case KernelValue::Kind::param:
        case KernelValue::Kind::literal:
        case KernelValue::Kind::row_result: invariant_[v] = true; break;
        case KernelValue::Kind::row_index:
        case KernelValue::Kind::row_gather: invariant_[v] = invariant_[value.operands[0]]; break;
        case KernelValue::Kind::position: invariant_[v] = false; break;
        default: {
            bool all = true;
            for (int operand : value.operands) all = all && invariant_[operand];
            invariant_[v] = all;
        }
        }
    }
}

// Outputs are fresh arrays distinct from each other and from every input,
// so loads never alias stores: without this the vectorizer would need a
// run-time overlap check per pair of buffers.
void LoopLowering::set_up_alias_scopes() {
    llvm::MDBuilder md(context_);
    llvm::MDNode* domain = md.createAnonymousAliasScopeDomain("kiln.loop");
    std::vector<llvm::Metadata*> scopes;
    for (std::size_t j = 0; j < kernel_.outputs().size(); ++j) {
        llvm::MDNode* scope = md.createAnonymousAliasScope(domain, "out" + std::to_string(j));
        output_scopes_.push_back(scope);
        scopes.push_back(scope);
    }
    all_outputs_ = llvm::MDNode::get(context_, scopes);
}

Value* LoopLowering::element_address(const Buffer& buffer, DType dtype, Value* index, Stride stride) {
    if (buffer.broadcast_inner) return buffer.base;
    Value* offset = stride == Stride::unit ? index : builder_.CreateMul(index, buffer.stride);
    return builder_.CreateInBoundsGEP(memory_type(dtype), buffer.base, offset);
}

Value* LoopLowering::load(int input, Value* index, Stride stride) {
    const DType dtype = kernel_.inputs()[input].dtype;
    llvm::LoadInst* loaded =
        builder_.CreateLoad(memory_type(dtype), element_address(buffers_[input], dtype, index, stride));
    if (all_outputs_) loaded->setMetadata(llvm::LLVMContext::MD_noalias, all_outputs_);
    if (dtype == DType::bool_) return builder_.CreateICmpNE(loaded, builder_.getInt8(0));
    return loaded;
}

void LoopLowering::store(int output, Value* value, Value* index, Stride stride) {
    const DType dtype = kernel_.outputs()[output].dtype;
    const Buffer& buffer = buffers_[kernel_.inputs().size() + output];
    if (dtype == DType::bool_) value = builder_.CreateZExt(value, builder_.getInt8Ty());
    llvm::StoreInst* stored = builder_.CreateStore(value, element_address(buffer, dtype, index, stride));
    stored->setMetadata(llvm::LLVMContext::MD_alias_scope, llvm::MDNode::get(context_, {output_scopes_[output]}));
    std::vector<llvm::Metadata*> others;
    for (std::size_t j = 0; j < output_scopes_.size(); ++j)
        if (static_cast<int>(j) != output) others.push_back(output_scopes_[j]);
    if (!others.empty()) stored->setMetadata(llvm::LLVMContext::MD_noalias, llvm::MDNode::get(context_, others));
}

Value* LoopLowering::load_output(int output, Value* index, Stride stride) {
    const DType dtype = kernel_.outputs()[output].dtype;
    const Buffer& buffer = buffers_[kernel_.inputs().size() + output];
    llvm::LoadInst* loaded = builder_.CreateLoad(memory_type(dtype), element_address(buffer, dtype, index, stride));
    loaded->setMetadata(llvm::LLVMContext::MD_alias_scope, llvm::MDNode::get(context_, {output_scopes_[output]}));
    if (dtype == DType::bool_) return builder_.CreateICmpNE(loaded, builder_.getInt8(0));
    return loaded;
}

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

void LoopLowering::mark_latch(llvm::BranchInst* latch, Stride stride) {
    if (stride != Stride::unit) keep_as_written(latch);
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

llvm::Metadata* LoopLowering::loop_flag(const char* name, llvm::Metadata* value) {
    std::vector<llvm::Metadata*> operands{llvm::MDString::get(context_, name)};
    if (value) operands.push_back(value);
    return llvm::MDNode::get(context_, operands);
}

void LoopLowering::set_loop_flags(llvm::BranchInst* latch, std::vector<llvm::Metadata*> flags) {
    // A loop ID refers to itself first.
    flags.insert(flags.begin(), nullptr);
    auto loop_id = llvm::MDNode::getDistinct(context_, flags);
    loop_id->replaceOperandWith(0, loop_id);
    latch->setMetadata(llvm::LLVMContext::MD_loop, loop_id);
}

void LoopLowering::keep_as_written(llvm::BranchInst* latch) {
    set_loop_flags(latch, {loop_flag("llvm.loop.vectorize.enable", llvm::ConstantAsMetadata::get(builder_.getFalse())),
                           loop_flag("llvm.loop.interleave.count", llvm::ConstantAsMetadata::get(builder_.getInt32(1))),
                           loop_flag("llvm.loop.unroll.disable", nullptr)});
}

Value* LoopLowering::combine(ReduceKind kind, DType dtype, Value* a, Value* b, bool reassociate) {
    auto& builder = builder_;
    using K = ReduceKind;
    if (dtype == DType::bool_) {
        const bool conjunction = kind == K::all || kind == K::prod || kind == K::min;
        return conjunction ? builder.CreateAnd(a, b) : builder.CreateOr(a, b);
    }
    if (is_float(dtype)) {
        Value* result = nullptr;
        switch (kind) {
        case K::sum: result = builder.CreateFAdd(a, b); break;
        case K::prod: result = builder.CreateFMul(a, b); break;
        // NaN-propagating, as NumPy's max and min.
        case K::max: return builder.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, a, b);
        case K::min: return builder.CreateBinaryIntrinsic(llvm::Intrinsic::minimum, a, b);
        case K::all:
        case K::any: break;
        }
        KILN_CHECK(result != nullptr, "no float lowering for reduction " + std::string(reduce_kind_name(kind)));
        if (reassociate) llvm::cast<llvm::Instruction>(result)->setHasAllowReassoc(true);
        return result;
    }
    const bool is_signed = is_signed_int(dtype);
    switch (kind) {
    case K::sum: return builder.CreateAdd(a, b);
    case K::prod: return builder.CreateMul(a, b);
    case K::max: return builder.CreateBinaryIntrinsic(is_signed ? llvm::Intrinsic::smax : llvm::Intrinsic::umax, a, b);
    case K::min: return builder.CreateBinaryIntrinsic(is_signed ? llvm::Intrinsic::smin : llvm::Intrinsic::umin, a, b);
    case K::all:
    case K::any: break;
    }
    KILN_CHECK(false, "no integer lowering for reduction " + std::string(reduce_kind_name(kind)));
}

Value* LoopLowering::identity(ReduceKind kind, DType dtype) {
    return visit_dtype(dtype, [&](auto tag) -> Value* {
        using T = decltype(tag);
        const T value = reduce_identity<T>(kind);
        if constexpr (std::is_same_v<T, bool>) return builder_.getInt1(value);
        else if constexpr (std::is_floating_point_v<T>) return float_constant(dtype, static_cast<double>(value));
        else return llvm::ConstantInt::get(register_type(dtype), static_cast<std::uint64_t>(value), std::is_signed_v<T>);
    });
}

Value* LoopLowering::convert(Value* x, DType from, DType to) {
    if (from == to) return x;
    llvm::Type* target = register_type(to);
    if (to == DType::bool_) {
        if (is_float(from)) return builder_.CreateFCmpUNE(x, llvm::ConstantFP::get(x->getType(), 0.0));
        return builder_.CreateICmpNE(x, llvm::ConstantInt::get(x->getType(), 0));
    }
    if (from == DType::bool_) return is_float(to) ? builder_.CreateUIToFP(x, target) : builder_.CreateZExt(x, target);
    if (is_float(from) && is_float(to)) return builder_.CreateFPCast(x, target);
    if (is_float(from)) {
        // Saturating, so out-of-range values give a defined result.
        const auto id = is_signed_int(to) ? llvm::Intrinsic::fptosi_sat : llvm::Intrinsic::fptoui_sat;
        return builder_.CreateIntrinsic(id, {target, x->getType()}, {x});
    }
    if (is_float(to)) return is_signed_int(from) ? builder_.CreateSIToFP(x, target) : builder_.CreateUIToFP(x, target);
    return builder_.CreateIntCast(x, target, is_signed_int(from));
}

Value* LoopLowering::libm(const char* name, DType dtype, const std::vector<Value*>& arguments) {
    const std::string symbol = std::string(name) + (dtype == DType::float32 ? "f" : "");
    llvm::Type* type = register_type(dtype);
    std::vector<llvm::Type*> parameter_types(arguments.size(), type);
    llvm::FunctionCallee callee =
        module_.getOrInsertFunction(symbol, llvm::FunctionType::get(type, parameter_types, false));
    auto* function = llvm::cast<llvm::Function>(callee.getCallee());
    // Pure: this is what lets the vectorizer call a vector variant.
    function->setDoesNotAccessMemory();
    function->setDoesNotThrow();
    function->addFnAttr(llvm::Attribute::WillReturn);
    ++math_calls_;
    llvm::CallInst* call = builder_.CreateCall(callee, arguments);
    call->setDoesNotAccessMemory();
    return call;
}

Value* LoopLowering::apply_float(ScalarOp op, DType dtype, const std::vector<Value*>& x) {
    auto& b = builder_;
    auto zero = [&] { return float_constant(dtype, 0.0); };
    auto one = [&] { return float_constant(dtype, 1.0); };
    switch (op) {
    case S::add: return b.CreateFAdd(x[0], x[1]);
    case S::sub: return b.CreateFSub(x[0], x[1]);
    case S::mul: return b.CreateFMul(x[0], x[1]);
    case S::true_div: return b.CreateFDiv(x[0], x[1]);
    case S::int_div: {
        // Python's floor division, as the interpreter computes it.
        Value* mod = b.CreateFRem(x[0], x[1]);
        Value* div = b.CreateFDiv(b.CreateFSub(x[0], mod), x[1]);
        Value* signs_differ = b.CreateICmpNE(b.CreateFCmpOLT(x[1], zero()), b.CreateFCmpOLT(mod, zero()));
        Value* adjust = b.CreateAnd(b.CreateFCmpUNE(mod, zero()), signs_differ);
        div = b.CreateSelect(adjust, b.CreateFSub(div, one()), div);
        Value* floored = unary(llvm::Intrinsic::floor, div);
        Value* round_up = b.CreateFCmpOGT(b.CreateFSub(div, floored), float_constant(dtype, 0.5));
        floored = b.CreateSelect(round_up, b.CreateFAdd(floored, one()), floored);
        Value* quotient = b.CreateFDiv(x[0], x[1]);
        Value* signed_zero = b.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, zero(), quotient);
        Value* result = b.CreateSelect(b.CreateFCmpOEQ(div, zero()), signed_zero, floored);
        return b.CreateSelect(b.CreateFCmpOEQ(x[1], zero()), quotient, result);
    }
    case S::mod: {
        Value* mod = b.CreateFRem(x[0], x[1]);
        Value* signs_differ = b.CreateICmpNE(b.CreateFCmpOLT(x[1], zero()), b.CreateFCmpOLT(mod, zero()));
        Value* adjusted = b.CreateSelect(signs_differ, b.CreateFAdd(mod, x[1]), mod);
        Value* signed_zero = b.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, zero(), x[1]);
        Value* result = b.CreateSelect(b.CreateFCmpUNE(mod, zero()), adjusted, signed_zero);
        return b.CreateSelect(b.CreateFCmpOEQ(x[1], zero()), mod, result);
    }
    case S::pow:
        ++math_calls_;
        return b.CreateBinaryIntrinsic(llvm::Intrinsic::pow, x[0], x[1]);
    case S::neg: return b.CreateFNeg(x[0]);
    case S::abs: return unary(llvm::Intrinsic::fabs, x[0]);
    case S::sign: {
        Value* s = b.CreateSelect(b.CreateFCmpOGT(x[0], zero()), one(),
                                  b.CreateSelect(b.CreateFCmpOLT(x[0], zero()), float_constant(dtype, -1.0), zero()));
        return b.CreateSelect(b.CreateFCmpUNO(x[0], x[0]), x[0], s);
    }
    case S::sqr: return b.CreateFMul(x[0], x[0]);
    case S::inv: return b.CreateFDiv(one(), x[0]);
    case S::maximum:
    case S::minimum: {
        // NaN wins; otherwise the interpreter's a < b ? b : a (and its mirror).
        Value* chosen = op == S::maximum ? b.CreateSelect(b.CreateFCmpOLT(x[0], x[1]), x[1], x[0])
                                         : b.CreateSelect(b.CreateFCmpOLT(x[1], x[0]), x[1], x[0]);
        return b.CreateSelect(b.CreateFCmpUNO(x[0], x[1]), b.CreateFAdd(x[0], x[1]), chosen);
    }
    case S::exp: return unary(llvm::Intrinsic::exp, x[0]);
    case S::exp2: return unary(llvm::Intrinsic::exp2, x[0]);
    case S::expm1: return libm("expm1", dtype, x);
    case S::log: return unary(llvm::Intrinsic::log, x[0]);
    case S::log2: return unary(llvm::Intrinsic::log2, x[0]);
    case S::log10: return unary(llvm::Intrinsic::log10, x[0]);
    case S::log1p: return libm("log1p", dtype, x);
    case S::sqrt: return unary(llvm::Intrinsic::sqrt, x[0]);
    case S::sin: return unary(llvm::Intrinsic::sin, x[0]);
    case S::cos: return unary(llvm::Intrinsic::cos, x[0]);
    case S::tan: return libm("tan", dtype, x);
    case S::arcsin: return libm("asin", dtype, x);
    case S::arccos: return libm("acos", dtype, x);
    case S::arctan: return libm("atan", dtype, x);
    case S::arctan2: return libm("atan2", dtype, x);
    case S::sinh: return libm("sinh", dtype, x);
    case S::cosh: return libm("cosh", dtype, x);
    case S::tanh: return libm("tanh", dtype, x);
    case S::sigmoid: {
        // exp of -|x| never overflows: 1/(1+e) for x >= 0, e/(1+e) below.
        Value* e = unary(llvm::Intrinsic::exp, b.CreateFNeg(unary(llvm::Intrinsic::fabs, x[0])));
        Value* denominator = b.CreateFAdd(one(), e);
        return b.CreateSelect(b.CreateFCmpOGE(x[0], zero()), b.CreateFDiv(one(), denominator),
                              b.CreateFDiv(e, denominator));
    }
    case S::softplus: {
        // log(1 + exp(x)) by ranges, as the interpreter computes it.
        Value* e = unary(llvm::Intrinsic::exp, x[0]);
        Value* middle = libm("log1p", dtype, {e});
        Value* upper = b.CreateFAdd(x[0], unary(llvm::Intrinsic::exp, b.CreateFNeg(x[0])));
        Value* result = b.CreateSelect(b.CreateFCmpOLT(x[0], float_constant(dtype, 33.3)), upper, x[0]);
        result = b.CreateSelect(b.CreateFCmpOLT(x[0], float_constant(dtype, 18.0)), middle, result);
        return b.CreateSelect(b.CreateFCmpOLT(x[0], float_constant(dtype, -37.0)), e, result);
    }
    case S::erf: return libm("erf", dtype, x);
    case S::erfc: return libm("erfc", dtype, x);
    case S::floor: return unary(llvm::Intrinsic::floor, x[0]);
    case S::ceil: return unary(llvm::Intrinsic::ceil, x[0]);
    case S::round_half_to_even: return unary(llvm::Intrinsic::roundeven, x[0]);
    case S::trunc: return unary(llvm::Intrinsic::trunc, x[0]);
    case S::lt: return b.CreateFCmpOLT(x[0], x[1]);
    case S::gt: return b.CreateFCmpOGT(x[0], x[1]);
    case S::le: return b.CreateFCmpOLE(x[0], x[1]);
    case S::ge: return b.CreateFCmpOGE(x[0], x[1]);
    case S::eq: return b.CreateFCmpOEQ(x[0], x[1]);
    case S::neq: return b.CreateFCmpUNE(x[0], x[1]);
    case S::isnan: return b.CreateFCmpUNO(x[0], x[0]);
    case S::isinf:
        return b.CreateFCmpOEQ(unary(llvm::Intrinsic::fabs, x[0]),
                               llvm::ConstantFP::getInfinity(register_type(dtype)));
    case S::second: return x[1];
    case S::where: return b.CreateSelect(x[0], x[1], x[2]);
    case S::clip: {
        Value* capped = b.CreateSelect(b.CreateFCmpOLT(x[2], x[0]), x[2], x[0]);
        return b.CreateSelect(b.CreateFCmpOLT(x[0], x[1]), x[1], capped);
    }
    default: break;
    }
    KILN_CHECK(false, "no float lowering for scalar op " + std::string(scalar_op_info(op).name));
}

// By squaring over every exponent bit, without branches, so it vectorizes;
// wraps like the interpreter. The caller handles negative exponents.
Value* LoopLowering::integer_pow(DType dtype, Value* base, Value* exponent) {
    auto& b = builder_;
    llvm::Type* type = register_type(dtype);
    const unsigned bits = type->getIntegerBitWidth();
    Value* result = llvm::ConstantInt::get(type, 1);
    for (unsigned k = 0; k < bits; ++k) {
        Value* bit = b.CreateTrunc(b.CreateLShr(exponent, k), b.getInt1Ty());
        result = b.CreateSelect(bit, b.CreateMul(result, base), result);
        if (k + 1 < bits) base = b.CreateMul(base, base);
    }
    return result;
}

Value* LoopLowering::apply_integer(ScalarOp op, DType dtype, const std::vector<Value*>& x) {
    auto& b = builder_;
    const bool is_signed = is_signed_int(dtype);
    const bool is_bool = dtype == DType::bool_;
    llvm::Type* type = register_type(dtype);
    auto constant = [&](std::int64_t v) { return llvm::ConstantInt::get(type, static_cast<std::uint64_t>(v), true); };
    switch (op) {
    case S::add: return is_bool ? b.CreateOr(x[0], x[1]) : b.CreateAdd(x[0], x[1]);
    case S::sub: return b.CreateSub(x[0], x[1]);
    case S::mul: return is_bool ? b.CreateAnd(x[0], x[1]) : b.CreateMul(x[0], x[1]);
    case S::int_div:
    case S::mod: {
        Value* zero_divisor = note_division(b.CreateICmpEQ(x[1], constant(0)));
        Value* divisor = b.CreateSelect(zero_divisor, constant(1), x[1]);
        if (!is_signed) return op == S::int_div ? b.CreateUDiv(x[0], divisor) : b.CreateURem(x[0], divisor);
        // x / -1 overflows for the most negative value: take it apart.
        Value* minus_one = b.CreateICmpEQ(divisor, constant(-1));
        divisor = b.CreateSelect(minus_one, constant(1), divisor);
        Value* remainder = b.CreateSRem(x[0], divisor);
        Value* signs_differ = b.CreateICmpSLT(b.CreateXor(remainder, x[1]), constant(0));
        Value* adjust = b.CreateAnd(b.CreateICmpNE(remainder, constant(0)), signs_differ);
        if (op == S::mod) {
            Value* mod = b.CreateSelect(adjust, b.CreateAdd(remainder, x[1]), remainder);
            return b.CreateSelect(minus_one, constant(0), mod);
        }
        Value* quotient = b.CreateSDiv(x[0], divisor);
        quotient = b.CreateSelect(adjust, b.CreateSub(quotient, constant(1)), quotient);
        return b.CreateSelect(minus_one, b.CreateSub(constant(0), x[0]), quotient);
    }
    case S::pow: {
        Value* power = integer_pow(dtype, x[0], x[1]);
        if (!is_signed) return power;
        Value* odd = b.CreateTrunc(x[1], b.getInt1Ty());
        Value* negative_result =
            b.CreateSelect(b.CreateICmpEQ(x[0], constant(1)), constant(1),
                           b.CreateSelect(b.CreateICmpEQ(x[0], constant(-1)),
                                          b.CreateSelect(odd, constant(-1), constant(1)), constant(0)));
        return b.CreateSelect(b.CreateICmpSLT(x[1], constant(0)), negative_result, power);
    }
    case S::neg: return b.CreateSub(constant(0), x[0]);
    case S::abs:
        if (!is_signed) return x[0];
        return b.CreateSelect(b.CreateICmpSLT(x[0], constant(0)), b.CreateSub(constant(0), x[0]), x[0]);
    case S::sign:
        if (is_bool) return x[0];
        return b.CreateSelect(is_signed ? b.CreateICmpSGT(x[0], constant(0)) : b.CreateICmpUGT(x[0], constant(0)),
                              constant(1),
                              b.CreateSelect(is_signed ? b.CreateICmpSLT(x[0], constant(0)) : b.getFalse(),
                                             constant(-1), constant(0)));
    case S::sqr: return is_bool ? x[0] : b.CreateMul(x[0], x[0]);
    case S::maximum:
        if (is_bool) return b.CreateOr(x[0], x[1]);
        return b.CreateSelect(is_signed ? b.CreateICmpSLT(x[0], x[1]) : b.CreateICmpULT(x[0], x[1]), x[1], x[0]);
    case S::minimum:
        if (is_bool) return b.CreateAnd(x[0], x[1]);
        return b.CreateSelect(is_signed ? b.CreateICmpSLT(x[1], x[0]) : b.CreateICmpULT(x[1], x[0]), x[1], x[0]);
    case S::lt: return is_signed ? b.CreateICmpSLT(x[0], x[1]) : b.CreateICmpULT(x[0], x[1]);
    case S::gt: return is_signed ? b.CreateICmpSGT(x[0], x[1]) : b.CreateICmpUGT(x[0], x[1]);
    case S::le: return is_signed ? b.CreateICmpSLE(x[0], x[1]) : b.CreateICmpULE(x[0], x[1]);
    case S::ge: return is_signed ? b.CreateICmpSGE(x[0], x[1]) : b.CreateICmpUGE(x[0], x[1]);
    case S::eq: return b.CreateICmpEQ(x[0], x[1]);
    case S::neq: return b.CreateICmpNE(x[0], x[1]);
    case S::isnan:
    case S::isinf: return b.getFalse();
    case S::and_: return b.CreateAnd(x[0], x[1]);
    case S::or_: return b.CreateOr(x[0], x[1]);
    case S::xor_: return b.CreateXor(x[0], x[1]);
    case S::invert: return b.CreateNot(x[0]);
    case S::second: return x[1];
    case S::where: return b.CreateSelect(x[0], x[1], x[2]);
    case S::clip: {
        auto less = [&](Value* p, Value* q) { return is_signed ? b.CreateICmpSLT(p, q) : b.CreateICmpULT(p, q); };
        Value* capped = b.CreateSelect(less(x[2], x[0]), x[2], x[0]);
        return b.CreateSelect(less(x[0], x[1]), x[1], capped);
    }
    default: break;
    }
    KILN_CHECK(false, "no integer lowering for scalar op " + std::string(scalar_op_info(op).name));
}

Value* LoopLowering::apply(const KernelValue& value, const std::vector<Value*>& operands) {
    const KernelValue& first = kernel_.values()[value.operands[value.op == S::where ? 1 : 0]];
    const DType compute = first.dtype;
    return is_float(compute) ? apply_float(value.op, compute, operands) : apply_integer(value.op, compute, operands);
}

Value* LoopLowering::emit(int v, std::vector<Value*>& values, Value* index, Stride stride) {
    const KernelValue& value = kernel_.values()[v];
    switch (value.kind) {
    case KernelValue::Kind::load: return load(value.index, index, stride);
    case KernelValue::Kind::param: return params_[value.index];
    case KernelValue::Kind::literal:
        if (is_float(value.dtype)) return float_constant(value.dtype, value.real);
        return llvm::ConstantInt::get(register_type(value.dtype), static_cast<std::uint64_t>(value.integer), true);
    case KernelValue::Kind::cast: {
        const int source = value.operands[0];
        return convert(values[source], kernel_.values()[source].dtype, value.dtype);
    }
    case KernelValue::Kind::op: {
        std::vector<Value*> operands;
        for (int operand : value.operands) operands.push_back(values[operand]);
        return apply(value, operands);
    }
    case KernelValue::Kind::row_result: break; // set by the pass that computes it
    case KernelValue::Kind::row_index: {
        KILN_CHECK(row_length_ != nullptr, "a row index outside a row kernel");
        const int operand = value.operands[0];
        Value* at = convert(values[operand], kernel_.values()[operand].dtype, DType::int64);
        Value* wrapped = builder_.CreateSelect(builder_.CreateICmpSLT(at, builder_.getInt64(0)),
                                               builder_.CreateAdd(at, row_length_), at);
        // Unsigned: negative positions are outside too. Outside reads position 0.
        Value* outside = builder_.CreateICmpUGE(wrapped, row_length_);
        out_of_bounds_ = out_of_bounds_ ? builder_.CreateOr(out_of_bounds_, outside) : outside;
        return builder_.CreateSelect(outside, builder_.getInt64(0), wrapped);
    }
    case KernelValue::Kind::position: return index;
    case KernelValue::Kind::row_gather: return load(value.index, values[value.operands[0]], stride);
    }
    KILN_CHECK(false, "kernel value %" + std::to_string(v) + " used before the pass that computes it");
    return nullptr;
}

Value* LoopLowering::emit_body(std::vector<Value*> values, Value* index, Stride stride, OutputMode mode,
                               Value** accumulator) {
    division_by_zero_ = nullptr;
    for (std::size_t v = 0; v < values.size(); ++v)
        if (!values[v]) values[v] = emit(static_cast<int>(v), values, index, stride);
    for (std::size_t j = 0; j < kernel_.outputs().size(); ++j) {
        const KernelOutput& output = kernel_.outputs()[j];
        Value* value = values[output.value];
        const int out = static_cast<int>(j);
        switch (mode) {
        case OutputMode::store: store(out, value, index, stride); break;
        case OutputMode::accumulate:
            store(out, combine(*output.reduction, output.dtype, load_output(out, index, stride), value, false), index,
                  stride);
            break;
        case OutputMode::reduce_run: *accumulator = combine(*output.reduction, output.dtype, *accumulator, value, true); break;
        }
    }
    return division_by_zero_ ? division_by_zero_ : builder_.getFalse();
}

void LoopLowering::emit_loop(llvm::BasicBlock* exit, llvm::PHINode* exit_error, const std::vector<Value*>& hoisted,
                             Value* n, Stride stride, OutputMode mode, llvm::BasicBlock* block) {
    llvm::BasicBlock* preheader = builder_.GetInsertBlock();
    builder_.CreateBr(block);
    builder_.SetInsertPoint(block);
    llvm::PHINode* index = builder_.CreatePHI(builder_.getInt64Ty(), 2, "i");
    llvm::PHINode* error = builder_.CreatePHI(builder_.getInt1Ty(), 2, "division_by_zero");
    index->addIncoming(builder_.getInt64(0), preheader);
    error->addIncoming(builder_.getFalse(), preheader);
    llvm::PHINode* accumulator = nullptr;
    Value* accumulated = nullptr;
    const KernelOutput* reduced = mode == OutputMode::reduce_run ? &kernel_.outputs()[0] : nullptr;
    if (reduced) {
        accumulator = builder_.CreatePHI(register_type(reduced->dtype), 2, "accumulator");
        accumulator->addIncoming(identity(*reduced->reduction, reduced->dtype), preheader);
        accumulated = accumulator;
    }
    Value* body_error = emit_body(hoisted, index, stride, mode, &accumulated);
    Value* next_error = builder_.CreateOr(error, body_error);
    Value* next = builder_.CreateAdd(index, builder_.getInt64(1), "next", true, true);
    llvm::BasicBlock* latch = builder_.GetInsertBlock();
    index->addIncoming(next, latch);
    error->addIncoming(next_error, latch);
    if (!reduced) {
        mark_latch(builder_.CreateCondBr(builder_.CreateICmpSLT(next, n), block, exit), stride);
        exit_error->addIncoming(next_error, latch);
        return;
    }
    // The run's total joins what the output element already holds.
    accumulator->addIncoming(accumulated, latch);
    auto* tail = llvm::BasicBlock::Create(context_, block->getName() + ".tail", block->getParent());
    mark_latch(builder_.CreateCondBr(builder_.CreateICmpSLT(next, n), block, tail), stride);
    builder_.SetInsertPoint(tail);
    Value* element = load_output(0, builder_.getInt64(0), Stride::unit);
    store(0, combine(*reduced->reduction, reduced->dtype, element, accumulated, false), builder_.getInt64(0), Stride::unit);
    builder_.CreateBr(exit);
    exit_error->addIncoming(next_error, tail);
}

void LoopLowering::emit_segmented_store_loop(llvm::BasicBlock* exit, llvm::PHINode* exit_error,
                                             const std::vector<Value*>& hoisted, Value* n) {
    // x86 has no unaligned non-temporal vector store, so streamed lines
    // start on a cache-line boundary; a block of scratch stays in L1.
    constexpr std::int64_t line_bytes = 64;
    constexpr std::int64_t block_bytes = 4096;
    llvm::Function* function = builder_.GetInsertBlock()->getParent();
    auto* i64 = builder_.getInt64Ty();
    const std::size_t inputs = kernel_.inputs().size();
    const std::size_t outputs = kernel_.outputs().size();
    const std::int64_t element_bytes = dtype_size(kernel_.outputs()[0].dtype);
    Value* block = builder_.getInt64(block_bytes / element_bytes);

    std::vector<Value*> scratch(outputs);
    {
        llvm::IRBuilder<> at_entry(&function->getEntryBlock(), function->getEntryBlock().begin());
        auto* block_type = llvm::ArrayType::get(builder_.getInt8Ty(), block_bytes);
        for (std::size_t j = 0; j < outputs; ++j) {
            llvm::AllocaInst* alloca = at_entry.CreateAlloca(block_type, nullptr, "stream_scratch");
            alloca->setAlignment(llvm::Align(line_bytes));
            scratch[j] = alloca;
        }
    }
    // Stream when every output sits at the same offset in its cache line
    // (one peel aligns them all), and the run holds at least one whole
    // block after the peel.
    auto line_offset = [&](Value* pointer) {
        return builder_.CreateAnd(builder_.CreatePtrToInt(pointer, i64), line_bytes - 1);
    };
    Value* offset = line_offset(buffers_[inputs].base);
    Value* stream =
        builder_.CreateICmpEQ(builder_.CreateURem(offset, builder_.getInt64(element_bytes)), builder_.getInt64(0));
    for (std::size_t j = 1; j < outputs; ++j)
        stream = builder_.CreateAnd(stream, builder_.CreateICmpEQ(line_offset(buffers_[inputs + j].base), offset));
    Value* peel = builder_.CreateUDiv(
        builder_.CreateAnd(builder_.CreateSub(builder_.getInt64(line_bytes), offset), line_bytes - 1),
        builder_.getInt64(element_bytes));
    stream = builder_.CreateAnd(stream, builder_.CreateICmpSGE(n, builder_.CreateAdd(peel, block)));
    peel = builder_.CreateSelect(stream, peel, builder_.getInt64(0));
    // Blocks end by this position (none without streaming). A condition on
    // `stream` itself inside the loop would be unswitched at O3: LLVM would
    // copy the whole vectorized body once per side.
    Value* blocks_limit = builder_.CreateSelect(stream, n, builder_.getInt64(0));

    llvm::BasicBlock* preheader = builder_.GetInsertBlock();
    auto* segment = llvm::BasicBlock::Create(context_, "store.segment", function);
    auto* body = llvm::BasicBlock::Create(context_, "store.unit_stride", function);
    auto* segment_end = llvm::BasicBlock::Create(context_, "store.segment.end", function);
    auto* copy = llvm::BasicBlock::Create(context_, "store.stream", function);
    auto* next_segment = llvm::BasicBlock::Create(context_, "store.next_segment", function);
    auto* fence = llvm::BasicBlock::Create(context_, "store.fence", function);
    builder_.CreateBr(segment);

    builder_.SetInsertPoint(segment);
    llvm::PHINode* start = builder_.CreatePHI(i64, 2, "segment_start");
    llvm::PHINode* error = builder_.CreatePHI(builder_.getInt1Ty(), 2, "segment_division_by_zero");
    start->addIncoming(builder_.getInt64(0), preheader);
    error->addIncoming(builder_.getFalse(), preheader);
    Value* block_end = builder_.CreateAdd(start, block, "", true, true);
    Value* blocked =
        builder_.CreateAnd(builder_.CreateICmpSGE(start, peel), builder_.CreateICmpSLE(block_end, blocks_limit));
    Value* end = builder_.CreateSelect(builder_.CreateICmpSLT(start, peel), peel,
                                       builder_.CreateSelect(blocked, block_end, n), "segment_end");
    // The loop body sees buffers that start at the segment; a streamed
    // block's outputs go to scratch.
    const std::vector<Buffer> whole = buffers_;
    std::vector<Value*> output_at(outputs);
    for (std::size_t k = 0; k < inputs; ++k)
        if (!buffers_[k].broadcast_inner)
            buffers_[k].base =
                builder_.CreateInBoundsGEP(memory_type(kernel_.inputs()[k].dtype), buffers_[k].base, start);
    for (std::size_t j = 0; j < outputs; ++j) {
        Buffer& buffer = buffers_[inputs + j];
        output_at[j] = builder_.CreateInBoundsGEP(memory_type(kernel_.outputs()[j].dtype), buffer.base, start);
        buffer.base = builder_.CreateSelect(blocked, scratch[j], output_at[j]);
    }
    Value* length = builder_.CreateSub(end, start, "segment_length", true, true);
    builder_.SetInsertPoint(segment_end);
    llvm::PHINode* body_error = builder_.CreatePHI(builder_.getInt1Ty(), 1, "body_division_by_zero");
    builder_.SetInsertPoint(segment);
    emit_loop(segment_end, body_error, hoisted, length, Stride::unit, OutputMode::store, body);
    buffers_ = whole;

    builder_.SetInsertPoint(segment_end);
    Value* segment_error = builder_.CreateOr(error, body_error);
    builder_.CreateCondBr(blocked, copy, next_segment);

    // Whole cache lines from scratch to the outputs, bypassing the caches.
    builder_.SetInsertPoint(copy);
    auto* line_type = llvm::FixedVectorType::get(i64, line_bytes / 8);
    llvm::PHINode* line = builder_.CreatePHI(i64, 2, "line");
    line->addIncoming(builder_.getInt64(0), segment_end);
    Value* byte_offset = builder_.CreateMul(line, builder_.getInt64(line_bytes));
    llvm::MDNode* nontemporal =
        llvm::MDNode::get(context_, {llvm::ConstantAsMetadata::get(builder_.getInt32(1))});
    for (std::size_t j = 0; j < outputs; ++j) {
        Value* from = builder_.CreateInBoundsGEP(builder_.getInt8Ty(), scratch[j], byte_offset);
        Value* to = builder_.CreateInBoundsGEP(builder_.getInt8Ty(), output_at[j], byte_offset);
        Value* bytes = builder_.CreateAlignedLoad(line_type, from, llvm::Align(line_bytes));
        builder_.CreateAlignedStore(bytes, to, llvm::Align(line_bytes))->setMetadata(llvm::LLVMContext::MD_nontemporal, nontemporal);
    }
    Value* next_line = builder_.CreateAdd(line, builder_.getInt64(1), "", true, true);
    line->addIncoming(next_line, copy);
    // Unrolled, the copy would double the machine code LLVM has to
    // generate for the kernel, for no speed: it waits on memory.
    keep_as_written(builder_.CreateCondBr(
        builder_.CreateICmpSLT(next_line, builder_.getInt64(block_bytes / line_bytes)), copy, next_segment));

    builder_.SetInsertPoint(next_segment);
    start->addIncoming(end, next_segment);
    error->addIncoming(segment_error, next_segment);
    auto* finished = llvm::BasicBlock::Create(context_, "store.finished", function);
    builder_.CreateCondBr(builder_.CreateICmpSLT(end, n), segment, finished);
    // Streamed stores are weakly ordered: fence them before anyone reads.
    builder_.SetInsertPoint(finished);
    builder_.CreateCondBr(stream, fence, exit);
    exit_error->addIncoming(segment_error, finished);
    builder_.SetInsertPoint(fence);
    builder_.CreateFence(llvm::AtomicOrdering::SequentiallyConsistent);
    builder_.CreateBr(exit);
    exit_error->addIncoming(segment_error, fence);
}

void LoopLowering::build(const std::string& function_name) {
    auto* i64 = builder_.getInt64Ty();
    auto* pointer = builder_.getPtrTy();
    KILN_CHECK(variant_ == LoopVariant::plain || can_stream_stores(kernel_),
               "a kernel that cannot stream its stores was asked for its streaming variant");
    auto* signature = llvm::FunctionType::get(builder_.getVoidTy(), {i64, pointer, pointer, pointer, pointer}, false);
    auto* function = llvm::Function::Create(signature, llvm::Function::ExternalLinkage, function_name, module_);
    function->addFnAttr(llvm::Attribute::NoUnwind);
    for (unsigned a = 1; a < 5; ++a) function->addParamAttr(a, llvm::Attribute::NoAlias);
    Value* n = function->getArg(0);
    Value* data = function->getArg(1);
    Value* strides = function->getArg(2);
    Value* params = function->getArg(3);
    Value* status = function->getArg(4);

    analyse_invariance();
    set_up_alias_scopes();

    auto* entry = llvm::BasicBlock::Create(context_, "entry", function);
    auto* preheader = llvm::BasicBlock::Create(context_, "preheader", function);
    auto* exit = llvm::BasicBlock::Create(context_, "exit", function);
    auto* report = llvm::BasicBlock::Create(context_, "report", function);
    auto* done = llvm::BasicBlock::Create(context_, "done", function);
    builder_.SetInsertPoint(entry);
    builder_.CreateCondBr(builder_.CreateICmpSGT(n, builder_.getInt64(0)), preheader, done);

    builder_.SetInsertPoint(preheader);
    const std::size_t buffer_count = kernel_.inputs().size() + kernel_.outputs().size();
    Value* inputs_contiguous = builder_.getTrue();
    for (std::size_t k = 0; k < buffer_count; ++k) {
        Buffer buffer;
        buffer.base = builder_.CreateLoad(pointer, builder_.CreateConstInBoundsGEP1_64(pointer, data, k));
        buffer.stride = builder_.CreateLoad(i64, builder_.CreateConstInBoundsGEP1_64(i64, strides, k));
        buffer.broadcast_inner = k < kernel_.inputs().size() && kernel_.inputs()[k].broadcast_inner;
        if (!buffer.broadcast_inner && k < kernel_.inputs().size())
            inputs_contiguous =
                builder_.CreateAnd(inputs_contiguous, builder_.CreateICmpEQ(buffer.stride, builder_.getInt64(1)));
        buffers_.push_back(buffer);
    }
    // Outputs a row kernel stores once per row are written at their base.
    Value* contiguous = inputs_contiguous;
    for (std::size_t k = kernel_.inputs().size(); k < buffer_count; ++k) {
        const int value = kernel_.outputs()[k - kernel_.inputs().size()].value;
        if (kernel_.row_kernel() && invariant(value)) continue;
        contiguous = builder_.CreateAnd(contiguous, builder_.CreateICmpEQ(buffers_[k].stride, builder_.getInt64(1)));
    }
    for (std::size_t p = 0; p < kernel_.params().size(); ++p) {
        const DType dtype = kernel_.params()[p];
        Value* slot = builder_.CreateLoad(i64, builder_.CreateConstInBoundsGEP1_64(i64, params, p));
        llvm::Type* type = register_type(dtype);
        Value* value = nullptr;
        if (dtype == DType::bool_) value = builder_.CreateICmpNE(slot, builder_.getInt64(0));
        else if (dtype == DType::float64) value = builder_.CreateBitCast(slot, type);
        else if (dtype == DType::float32) value = builder_.CreateBitCast(builder_.CreateTrunc(slot, builder_.getInt32Ty()), type);
        else value = builder_.CreateTrunc(slot, type);
        params_.push_back(value);
    }
    if (kernel_.row_kernel()) {
        builder_.SetInsertPoint(exit);
        llvm::PHINode* row_error = builder_.CreatePHI(builder_.getInt1Ty(), 2, "row_division_by_zero");
        builder_.SetInsertPoint(preheader);
        auto* unit = llvm::BasicBlock::Create(context_, "row.unit_stride", function);
        auto* strided = llvm::BasicBlock::Create(context_, "row.strided", function);
        builder_.CreateCondBr(contiguous, unit, strided);
        row_length_ = n;
        llvm::PHINode* row_outside = nullptr;
        {
            builder_.SetInsertPoint(exit);
            row_outside = builder_.CreatePHI(builder_.getInt1Ty(), 2, "row_index_out_of_bounds");
        }
        for (auto [block, stride] : {std::pair{unit, Stride::unit}, std::pair{strided, Stride::general}}) {
            builder_.SetInsertPoint(block);
            out_of_bounds_ = nullptr;
            Value* error = emit_row_passes(n, stride);
            row_error->addIncoming(error, builder_.GetInsertBlock());
            row_outside->addIncoming(out_of_bounds_ ? out_of_bounds_ : builder_.getFalse(), builder_.GetInsertBlock());
            builder_.CreateBr(exit);
        }
        builder_.SetInsertPoint(exit);
        auto* outside_report = llvm::BasicBlock::Create(context_, "report_index", function);
        auto* check_outside = llvm::BasicBlock::Create(context_, "check_index", function);
        builder_.CreateCondBr(row_error, report, check_outside);
        builder_.SetInsertPoint(check_outside);
        builder_.CreateCondBr(row_outside, outside_report, done);
        builder_.SetInsertPoint(outside_report);
        builder_.CreateStore(builder_.getInt32(kernel_status_index_out_of_bounds), status);
        builder_.CreateBr(done);
    } else {
        emit_loops(function, n, contiguous, inputs_contiguous, preheader, exit, report, done);
    }
    builder_.SetInsertPoint(report);
    builder_.CreateStore(builder_.getInt32(kernel_status_integer_division_by_zero), status);
    builder_.CreateBr(done);
    builder_.SetInsertPoint(done);
    builder_.CreateRetVoid();

    std::string problems;
    llvm::raw_string_ostream stream(problems);
    KILN_CHECK(!llvm::verifyFunction(*function, &stream), "generated loop is invalid: " + stream.str());
}

void LoopLowering::emit_loops(llvm::Function* function, Value* n, Value* contiguous, Value* inputs_contiguous,
                              llvm::BasicBlock* preheader, llvm::BasicBlock* exit, llvm::BasicBlock* report,
                              llvm::BasicBlock* done) {
    // Values that do not change along the loop are computed once, here.
    std::vector<Value*> hoisted(kernel_.values().size(), nullptr);
    division_by_zero_ = nullptr;
    for (std::size_t v = 0; v < hoisted.size(); ++v)
        if (invariant(static_cast<int>(v)))
            hoisted[v] = emit(static_cast<int>(v), hoisted, builder_.getInt64(0), Stride::unit);
    Value* hoisted_error = division_by_zero_ ? division_by_zero_ : builder_.getFalse();

    builder_.SetInsertPoint(exit);
    llvm::PHINode* loop_error = builder_.CreatePHI(builder_.getInt1Ty(), 4, "loop_division_by_zero");
    builder_.SetInsertPoint(preheader);
    // A unit-stride loop (which vectorizes) and a strided one, picked by the
    // strides; a reduction has both for each way its output is walked.
    auto emit_pair = [&](Value* unit_condition, OutputMode mode, const std::string& name) {
        auto* unit = llvm::BasicBlock::Create(context_, name + ".unit_stride", function);
        auto* strided = llvm::BasicBlock::Create(context_, name + ".strided", function);
        auto* unit_preheader = llvm::BasicBlock::Create(context_, name + ".unit_stride.preheader", function);
        auto* strided_preheader = llvm::BasicBlock::Create(context_, name + ".strided.preheader", function);
        builder_.CreateCondBr(unit_condition, unit_preheader, strided_preheader);
        builder_.SetInsertPoint(unit_preheader);
        if (mode == OutputMode::store && variant_ == LoopVariant::streaming_stores) {
            unit->eraseFromParent();
            emit_segmented_store_loop(exit, loop_error, hoisted, n);
        } else {
            emit_loop(exit, loop_error, hoisted, n, Stride::unit, mode, unit);
        }
        builder_.SetInsertPoint(strided_preheader);
        emit_loop(exit, loop_error, hoisted, n, Stride::general, mode, strided);
    };
    if (!kernel_.reduction()) {
        emit_pair(contiguous, OutputMode::store, "store");
    } else {
        auto* along_run = llvm::BasicBlock::Create(context_, "reduce_run", function);
        auto* across_runs = llvm::BasicBlock::Create(context_, "accumulate", function);
        Value* output_stride = buffers_[kernel_.inputs().size()].stride;
        builder_.CreateCondBr(builder_.CreateICmpEQ(output_stride, builder_.getInt64(0)), along_run, across_runs);
        builder_.SetInsertPoint(along_run);
        emit_pair(inputs_contiguous, OutputMode::reduce_run, "reduce_run");
        builder_.SetInsertPoint(across_runs);
        emit_pair(contiguous, OutputMode::accumulate, "accumulate");
    }

    builder_.SetInsertPoint(exit);
    builder_.CreateCondBr(builder_.CreateOr(loop_error, hoisted_error), report, done);
}

} // namespace

std::unique_ptr<llvm::Module> lower_loop(const Kernel& kernel, LoopVariant variant, const std::string& function_name,
                                         llvm::LLVMContext& context) {
    auto module = std::make_unique<llvm::Module>(function_name, context);
    LoopLowering(kernel, variant, *module).build(function_name);
    return module;
}

} // namespace kiln::jit
