// The kernel IR: what one fused elementwise loop computes for each position
// of its iteration space. A kernel reads input buffers and scalar
// parameters, computes a DAG of scalar operations in SSA form, and writes
// output buffers. Shapes and strides are not part of it (they are run-time
// arguments); what changes the generated code is: dtypes, the expression,
// literals that stay specialized, and which inputs are known to be
// broadcast along the innermost loop dimension.
#pragma once

#include "hash.hpp"
#include "reduction.hpp"
#include "scalar_op.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

struct KernelValue {
    enum class Kind : std::uint8_t { load, param, literal, cast, op, row_result, row_index, row_gather, position };
    Kind kind = Kind::op;
    /// dtype of the value.
    DType dtype = DType::float64;
    /// load and row_gather: the input buffer; param: the scalar parameter;
    /// row_result: the row reduction.
    int index = 0;
    /// literal: the value (floats in `real`, bool and integers in `integer`).
    double real = 0;
    std::int64_t integer = 0;
    /// op: the scalar operation; every operand already has the op's compute
    /// dtype (where(): the condition is bool).
    ScalarOp op = ScalarOp::add;
    /// cast and op: earlier values.
    std::vector<int> operands;
};

struct KernelInput {
    DType dtype = DType::float64;
    /// Stride 0 along the innermost loop dimension, known when compiling
    /// (the loaded value is the same across an inner run).
    bool broadcast_inner = false;
};

/// Row kernels: an output holding one value per row (its value is the same
/// along the row) is stored once, after the passes.

/// A reduction over the current row (the innermost dimension) whose result
/// later values read as a constant of the row.
struct RowReduction {
    int value = 0;
    ReduceKind kind = ReduceKind::sum;
};

struct KernelOutput {
    DType dtype = DType::float64;
    /// The value stored.
    int value = 0;
    /// Set for a reduction: the value is combined into the output element
    /// instead of stored (see LoopFunction in loop_abi.hpp).
    std::optional<ReduceKind> reduction;
};

class Kernel {
public:
    int add_input(DType dtype, bool broadcast_inner);
    int add_param(DType dtype);
    /// Values are appended in order; the returned index names the value.
    int load(int input);
    int param(int index);
    int literal(DType dtype, double real, std::int64_t integer);
    /// `value` converted to dtype (the same value when it already has it).
    int cast(int value, DType dtype);
    /// A scalar op on operands of any dtypes: converts them to the compute
    /// dtype the op uses, then applies it; the result has `result` dtype.
    int apply(ScalarOp op, const std::vector<int>& operands, DType result);
    void add_output(int value);
    /// The only output of a reduction kernel: `value` reduced with `kind`
    /// (the output has the value's dtype, the accumulator's).
    void add_reduction(int value, ReduceKind kind);
    /// `value` reduced over the current row; the returned value holds the
    /// result (the value's dtype) for everything after it in the row.
    int row_reduce(int value, ReduceKind kind);
    const std::vector<RowReduction>& row_reductions() const { return row_reductions_; }
    /// An integer value as a position in the current row (int64; negative
    /// counts from the end); outside the row, the loop reports status 2.
    int row_index(int value);
    /// The element of `input` at `row_index` in the current row.
    int row_gather(int input, int row_index);
    /// The position of the current element in its row (int64).
    int position();
    bool row_kernel() const { return !row_reductions_.empty(); }
    /// The reduction kind when this is a reduction kernel.
    std::optional<ReduceKind> reduction() const {
        return outputs_.size() == 1 ? outputs_[0].reduction : std::nullopt;
    }

    const std::vector<KernelInput>& inputs() const { return inputs_; }
    const std::vector<DType>& params() const { return params_; }
    const std::vector<KernelValue>& values() const { return values_; }
    const std::vector<KernelOutput>& outputs() const { return outputs_; }

    /// Printable and canonical: equal texts mean the same generated code.
    ///   kernel(in0: float64, in1: float64 broadcast, p0: float64) -> (float64)
    ///     %0 = load in0 : float64
    ///     ...
    ///     store out0, %4            (a reduction: "reduce_sum out0, %4")
    std::string text() const;
    /// XXH3-128 of text(): the kernel's part of its cache key.
    Hash128 key() const;

private:
    int append(KernelValue value);

    std::vector<KernelInput> inputs_;
    std::vector<DType> params_;
    std::vector<KernelValue> values_;
    std::vector<KernelOutput> outputs_;
    std::vector<RowReduction> row_reductions_;
};

} // namespace kiln
