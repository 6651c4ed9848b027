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
    // log(exp(a) + exp(b)) as the larger plus softplus(smaller - larger),
    // which never overflows. Each side of the tie has its own branch so the
    // gradient is sigmoid(a - b) for a and sigmoid(b - a) for b everywhere,
    // the tie (a half each) included; the tie's a/2 + b/2 + ln 2 is also
    // right for two equal infinities, where b - a would be NaN.
    case S::logaddexp: {
        const auto a_larger = algebra.apply(
            S::add, {x[0], algebra.apply(S::softplus, {algebra.apply(S::sub, {x[1], x[0]})})});
        const auto b_larger = algebra.apply(
            S::add, {x[1], algebra.apply(S::softplus, {algebra.apply(S::sub, {x[0], x[1]})})});
        const auto half = algebra.constant(0.5);
        const auto tie = algebra.apply(
            S::add, {algebra.apply(S::add, {algebra.apply(S::mul, {half, x[0]}), algebra.apply(S::mul, {half, x[1]})}),
                     algebra.constant(std::numbers::ln2)});
        return algebra.apply(S::where, {algebra.apply(S::gt, {x[0], x[1]}), a_larger,
                                        algebra.apply(S::where, {algebra.apply(S::lt, {x[0], x[1]}), b_larger, tie})});
    }
    // Halves away from zero (C's round, Theano's default mode): trunc(x),
    // moved one away from zero when the part cut off is at least a half.
    // x - trunc(x) is exact, where floor(x + 0.5) would round
    // 0.49999999999999994 + 0.5 up to 1.
    case S::round_half_away_from_zero: {
        // (Choosing between trunc(x) and trunc(x) + sign(x), not adding 0,
        // keeps the sign of -0.0 and of -0.4.)
        const auto whole = algebra.apply(S::trunc, {x[0]});
        const auto cut_off = algebra.apply(S::abs, {algebra.apply(S::sub, {x[0], whole})});
        const auto away = algebra.apply(S::add, {whole, algebra.apply(S::sign, {x[0]})});
        return algebra.apply(S::where, {algebra.apply(S::ge, {cut_off, algebra.constant(0.5)}), away, whole});
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
