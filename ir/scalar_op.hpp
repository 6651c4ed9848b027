// The scalar operations elementwise loops are made of: their names, how they
// print, and their result dtypes. Both the graph (Elemwise) and the kernel IR
// speak this vocabulary. The table is this header's enum, the rows of
// scalar_op.cpp, and, for ops defined by other scalar ops, their definition
// in scalar_op_definitions.hpp: an op of that kind needs nothing else, since
// kernels, the reference computation and gradients all expand it.
#pragma once

#include "dtype.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace kiln {

enum class ScalarOp {
    // arithmetic
    add, sub, mul, true_div, int_div, mod, pow, neg, abs, sign, sqr, inv, maximum, minimum,
    // exponentials and logarithms
    exp, exp2, expm1, log, log2, log10, log1p, sqrt,
    // trigonometric and hyperbolic
    sin, cos, tan, arcsin, arccos, arctan, arctan2, sinh, cosh, tanh,
    // neural and special
    sigmoid, softplus, erf, erfc,
    // rounding
    floor, ceil, round_half_to_even, trunc,
    // comparisons and predicates (bool results)
    lt, gt, le, ge, eq, neq, isnan, isinf,
    // logic and bits
    and_, or_, xor_, invert,
    // selection and filling
    second, where, clip,
    // defined by other scalar ops (scalar_op_definitions.hpp)
    log1mexp,
    logaddexp,
    round_half_away_from_zero,
};

/// How the result dtype follows from the input dtypes.
enum class DTypeRule {
    upcast,          // promote all inputs
    upcast_float,    // promote, then bool/small ints to float32, wide ints to float64
    true_div,        // promote; two discrete inputs give floatX
    integer_div,     // promote; bool gives int8
    boolean,         // comparisons: compute in the promoted dtype, bool result
    predicate,       // isnan/isinf: bool result from the input as it is
    discrete,        // logic on bool and integers only
    second,          // the second input's dtype (fill)
    select,          // where(cond, a, b): promote a and b
};

struct ScalarOpInfo {
    std::string_view name; // Theano's: "add", "true_div", "sigmoid"
    int arity;
    std::string_view infix; // "+" for (a + b); empty for name(a, b)
    DTypeRule rule;
    /// Computed by a math-library function (exp, log, sin, erf, ...; pow
    /// too, of floats): a loop calling one is bound by computing, not memory.
    bool math_function = false;
};

const ScalarOpInfo& scalar_op_info(ScalarOp op);

/// How many scalar ops there are: their codes are 0 .. scalar_op_count() - 1.
int scalar_op_count();
/// The op scalar_op_info() names `name`; nothing for another word.
std::optional<ScalarOp> scalar_op_from_name(std::string_view name);

/// Result dtype of `op` on inputs of these dtypes (floatX for true_div of
/// integers); throws TypeError naming the op when the dtypes are refused.
DType scalar_op_result(ScalarOp op, const std::vector<DType>& inputs, DType floatX);

/// The dtype inputs are converted to before computing.
DType scalar_op_compute_dtype(ScalarOp op, const std::vector<DType>& inputs, DType result);
/// What operand `index` is converted to before computing: the compute
/// dtype, except where()'s condition, which is bool.
DType scalar_op_operand_dtype(ScalarOp op, std::size_t index, DType compute);

} // namespace kiln
