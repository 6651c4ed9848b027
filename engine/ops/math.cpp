#include "math.hpp"

#include "elemwise.hpp"

#include "../../ir/errors.hpp"

namespace kiln {

namespace {

Var unary(ScalarOp op, const Var& x) { return elemwise(op, {x}); }

} // namespace

Var abs(const Var& x) { return unary(ScalarOp::abs, x); }
Var sign(const Var& x) { return unary(ScalarOp::sign, x); }
Var sqr(const Var& x) { return unary(ScalarOp::sqr, x); }
Var inv(const Var& x) { return unary(ScalarOp::inv, x); }
Var exp(const Var& x) { return unary(ScalarOp::exp, x); }
Var exp2(const Var& x) { return unary(ScalarOp::exp2, x); }
Var expm1(const Var& x) { return unary(ScalarOp::expm1, x); }
Var log(const Var& x) { return unary(ScalarOp::log, x); }
Var log2(const Var& x) { return unary(ScalarOp::log2, x); }
Var log10(const Var& x) { return unary(ScalarOp::log10, x); }
Var log1p(const Var& x) { return unary(ScalarOp::log1p, x); }
Var sqrt(const Var& x) { return unary(ScalarOp::sqrt, x); }
Var sin(const Var& x) { return unary(ScalarOp::sin, x); }
Var cos(const Var& x) { return unary(ScalarOp::cos, x); }
Var tan(const Var& x) { return unary(ScalarOp::tan, x); }
Var arcsin(const Var& x) { return unary(ScalarOp::arcsin, x); }
Var arccos(const Var& x) { return unary(ScalarOp::arccos, x); }
Var arctan(const Var& x) { return unary(ScalarOp::arctan, x); }
Var sinh(const Var& x) { return unary(ScalarOp::sinh, x); }
Var cosh(const Var& x) { return unary(ScalarOp::cosh, x); }
Var tanh(const Var& x) { return unary(ScalarOp::tanh, x); }
Var sigmoid(const Var& x) { return unary(ScalarOp::sigmoid, x); }
Var softplus(const Var& x) { return unary(ScalarOp::softplus, x); }
Var erf(const Var& x) { return unary(ScalarOp::erf, x); }
Var erfc(const Var& x) { return unary(ScalarOp::erfc, x); }
Var floor(const Var& x) { return unary(ScalarOp::floor, x); }
Var ceil(const Var& x) { return unary(ScalarOp::ceil, x); }
Var round(const Var& x) { return round_half_to_even(x); }
Var round_half_to_even(const Var& x) { return unary(ScalarOp::round_half_to_even, x); }
Var round_half_away_from_zero(const Var& x) { return unary(ScalarOp::round_half_away_from_zero, x); }
Var round(const Var& x, std::string_view mode) {
    if (mode == "half_to_even") return round_half_to_even(x);
    if (mode == "half_away_from_zero") return round_half_away_from_zero(x);
    throw ValueError("round(): mode '" + std::string(mode) + "' is not 'half_to_even' or 'half_away_from_zero'");
}
Var trunc(const Var& x) { return unary(ScalarOp::trunc, x); }
Var isnan(const Var& x) { return unary(ScalarOp::isnan, x); }
Var isinf(const Var& x) { return unary(ScalarOp::isinf, x); }

Var pow(const Operand& x, const Operand& y) { return elemwise(ScalarOp::pow, {x, y}); }
Var maximum(const Operand& a, const Operand& b) { return elemwise(ScalarOp::maximum, {a, b}); }
Var minimum(const Operand& a, const Operand& b) { return elemwise(ScalarOp::minimum, {a, b}); }
Var arctan2(const Operand& y, const Operand& x) { return elemwise(ScalarOp::arctan2, {y, x}); }
Var logaddexp(const Operand& a, const Operand& b) { return elemwise(ScalarOp::logaddexp, {a, b}); }
Var where(const Operand& cond, const Operand& a, const Operand& b) { return elemwise(ScalarOp::where, {cond, a, b}); }
Var switch_(const Operand& cond, const Operand& a, const Operand& b) { return where(cond, a, b); }
Var clip(const Operand& x, const Operand& low, const Operand& high) {
    return elemwise(ScalarOp::clip, {x, low, high});
}
Var fill(const Operand& model, const Operand& value) { return elemwise(ScalarOp::second, {model, value}); }
Var zeros_like(const Var& model) { return fill(model, constant_of(0, model.dtype())); }
Var ones_like(const Var& model) { return fill(model, constant_of(1, model.dtype())); }
Var relu(const Var& x) { return maximum(x, constant_of(0, x.dtype())); }
Var relu(const Var& x, const Operand& alpha) {
    // A constant alpha of 0 is the plain relu: 0 * x would make -inf NaN.
    const Var& slope = alpha;
    if (slope.node()->is_constant() && slope.node()->constant_value().size() == 1 &&
        slope.node()->constant_value().to_vector<double>()[0] == 0)
        return relu(x);
    return where(gt(x, constant_of(0, x.dtype())), x, slope * x);
}

Var and_(const Operand& a, const Operand& b) { return elemwise(ScalarOp::and_, {a, b}); }
Var or_(const Operand& a, const Operand& b) { return elemwise(ScalarOp::or_, {a, b}); }
Var xor_(const Operand& a, const Operand& b) { return elemwise(ScalarOp::xor_, {a, b}); }
Var invert(const Var& x) { return unary(ScalarOp::invert, x); }
Var operator&(const Var& a, const Var& b) { return and_(a, b); }
Var operator|(const Var& a, const Var& b) { return or_(a, b); }
Var operator^(const Var& a, const Var& b) { return xor_(a, b); }
Var operator~(const Var& x) { return invert(x); }

Var constant_of(double value, DType dtype) { return constant(Array::full(dtype, {}, value)); }

} // namespace kiln
