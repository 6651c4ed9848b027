// Elementwise mathematics on symbolic tensors, with Theano's names. Each
// broadcasts like the arithmetic operators; C++ scalars act as literals.
#pragma once

#include "../api/operators.hpp"

namespace kiln {

// One input, same dtype.
Var abs(const Var& x);
Var sign(const Var& x);
Var sqr(const Var& x);
// One input, result float (bool and 8/16-bit integers give float32, wider
// integers float64).
Var inv(const Var& x);
Var exp(const Var& x);
Var exp2(const Var& x);
Var expm1(const Var& x);
Var log(const Var& x);
Var log2(const Var& x);
Var log10(const Var& x);
Var log1p(const Var& x);
Var sqrt(const Var& x);
Var sin(const Var& x);
Var cos(const Var& x);
Var tan(const Var& x);
Var arcsin(const Var& x);
Var arccos(const Var& x);
Var arctan(const Var& x);
Var sinh(const Var& x);
Var cosh(const Var& x);
Var tanh(const Var& x);
/// 1 / (1 + exp(-x)), computed without overflow.
Var sigmoid(const Var& x);
/// log(1 + exp(x)), accurate in both tails.
Var softplus(const Var& x);
Var erf(const Var& x);
Var erfc(const Var& x);
Var floor(const Var& x);
Var ceil(const Var& x);
/// Rounds half to even, like NumPy's round.
Var round(const Var& x);
/// Theano's round(x, mode): "half_to_even" (NumPy's) or
/// "half_away_from_zero" (C's round); ValueError naming any other mode.
Var round(const Var& x, std::string_view mode);
Var round_half_to_even(const Var& x);
Var round_half_away_from_zero(const Var& x);
Var trunc(const Var& x);
// Predicates with bool results.
Var isnan(const Var& x);
Var isinf(const Var& x);

/// x ** y (pp prints "(x ** y)"); integers stay integers.
Var pow(const Operand& x, const Operand& y);
Var maximum(const Operand& a, const Operand& b);
Var minimum(const Operand& a, const Operand& b);
Var arctan2(const Operand& y, const Operand& x);
/// log(exp(a) + exp(b)) without overflow (NumPy's logaddexp).
Var logaddexp(const Operand& a, const Operand& b);
/// Theano's switch: a where cond is nonzero, else b.
Var where(const Operand& cond, const Operand& a, const Operand& b);
/// Theano's name for where (switch is a C++ keyword, hence the underscore,
/// as in and_ and or_).
Var switch_(const Operand& cond, const Operand& a, const Operand& b);
Var clip(const Operand& x, const Operand& low, const Operand& high);
/// Theano's fill (second): value broadcast to model's shape, in value's dtype.
Var fill(const Operand& model, const Operand& value);
/// A tensor of model's shape and dtype, filled with 0 or 1.
Var zeros_like(const Var& model);
Var ones_like(const Var& model);
/// max(x, 0).
Var relu(const Var& x);
/// Theano's leaky relu(x, alpha): x where x > 0, else alpha * x.
Var relu(const Var& x, const Operand& alpha);

// Logic: bool operands combine logically, integers bitwise.
Var and_(const Operand& a, const Operand& b);
Var or_(const Operand& a, const Operand& b);
Var xor_(const Operand& a, const Operand& b);
Var invert(const Var& x);
Var operator&(const Var& a, const Var& b);
Var operator|(const Var& a, const Var& b);
Var operator^(const Var& a, const Var& b);
Var operator~(const Var& x);
template <Scalar T> Var operator&(const Var& a, T b) { return and_(a, b); }
template <Scalar T> Var operator&(T a, const Var& b) { return and_(a, b); }
template <Scalar T> Var operator|(const Var& a, T b) { return or_(a, b); }
template <Scalar T> Var operator|(T a, const Var& b) { return or_(a, b); }
template <Scalar T> Var operator^(const Var& a, T b) { return xor_(a, b); }
template <Scalar T> Var operator^(T a, const Var& b) { return xor_(a, b); }

/// Converts to dtype like NumPy's astype (floats to integers truncate).
Var cast(const Var& x, DType dtype);
/// cast(x, "int32"): a dtype by its name ("floatX" is config's floatX).
Var cast(const Var& x, std::string_view dtype);
/// A 0-d constant of exactly this dtype.
Var constant_of(double value, DType dtype);

} // namespace kiln
