// Kernel IR to LLVM IR: the loop function, its unit-stride and strided loop
// nests (and a reduction's), loads and stores, and the entry lower_loop().
#include "lower_loop.hpp"

#include "loop_lowering.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/kernel_analysis.hpp"

#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <optional>

namespace kiln::jit {

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

void LoopLowering::mark_latch(llvm::BranchInst* latch, Stride stride) {
    if (stride != Stride::unit) keep_as_written(latch);
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

std::unique_ptr<llvm::Module> lower_loop(const Kernel& kernel, LoopVariant variant, const std::string& function_name,
                                         llvm::LLVMContext& context) {
    auto module = std::make_unique<llvm::Module>(function_name, context);
    LoopLowering(kernel, variant, *module).build(function_name);
    return module;
}

} // namespace kiln::jit
