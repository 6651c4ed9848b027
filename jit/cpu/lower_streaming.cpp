// Kernel IR to LLVM IR: the unit-stride loop of the streaming-stores
// variant, which writes whole cache lines with non-temporal stores from
// scratch that stays in L1.
#include "loop_lowering.hpp"

namespace kiln::jit {

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

} // namespace kiln::jit
