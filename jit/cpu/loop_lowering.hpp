// The CPU backend's lowering of a kernel to LLVM IR (internal to jit/cpu/):
// one LoopLowering builds one loop function, its work split by concern
// across files:
//   lower_loop.cpp       the function, its loop nests, loads and stores
//   lower_scalar.cpp     scalar expressions: conversions, math, reductions' combining
//   lower_rows.cpp       row kernels: passes over a row with row reductions
//   lower_streaming.cpp  the streaming-stores variant's segmented loop
#pragma once

#include "../../ir/kernel.hpp"
#include "../../ir/loop_abi.hpp"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Module.h>

#include <string>
#include <vector>

namespace kiln::jit {

using llvm::Value;

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

} // namespace kiln::jit
