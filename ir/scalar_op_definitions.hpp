// Scalar ops defined by other scalar ops (part of the scalar-op table): each
// is written once, as a template over an "algebra" that says what applying
// an op and writing a constant mean. Kernels expand it into kernel IR (so no
// backend lowers it), the reference computation evaluates it over arrays,
// and its gradient is that of its expansion as a graph. Adding such an op
// takes its enum value and row in scalar_op.{hpp,cpp} and its case here.
//
// An algebra provides:
//   using Value = ...;
//   Value apply(ScalarOp op, std::initializer_list<Value> operands);
//   Value constant(double value);   // in the dtype the expansion computes in
#pragma once

#include "scalar_op.hpp"

#include <initializer_list>
#include <numbers>
#include <optional>
#include <span>

namespace kiln {

/// `op` applied to `x` (arity values) in terms of other scalar ops, or
/// nothing when `op` is not defined that way.
template <class Algebra>
std::optional<typename Algebra::Value> expand_scalar_op(ScalarOp op, [[maybe_unused]] Algebra& algebra,
                                                        [[maybe_unused]] std::span<const typename Algebra::Value> x) {
    using S [[maybe_unused]] = ScalarOp;
    switch (op) {
    // log(1 - exp(x)), x <= 0, without losing it at either end (Maechler):
    // log(-expm1(x)) while exp(x) is near 1 (x > -ln 2), log1p(-exp(x)) below.
    case S::log1mexp: {
        const auto near_zero = algebra.apply(S::gt, {x[0], algebra.constant(-std::numbers::ln2)});
        const auto close_to_one = algebra.apply(S::log, {algebra.apply(S::neg, {algebra.apply(S::expm1, {x[0]})})});
        const auto far_below = algebra.apply(S::log1p, {algebra.apply(S::neg, {algebra.apply(S::exp, {x[0]})})});
        return algebra.apply(S::where, {near_zero, close_to_one, far_below});
    }
    default: return std::nullopt;
    }
}

/// Whether `op` is defined by other scalar ops (expand_scalar_op has it).
inline bool is_composite_scalar_op(ScalarOp op) {
    struct Probe {
        using Value = int;
        Value apply(ScalarOp, std::initializer_list<Value>) { return 0; }
        Value constant(double) { return 0; }
    } probe;
    const int operands[3] = {0, 0, 0};
    return expand_scalar_op(op, probe, std::span<const int>(operands, scalar_op_info(op).arity)).has_value();
}

} // namespace kiln
