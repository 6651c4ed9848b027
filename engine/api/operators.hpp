// Operators on symbolic variables, and constants from C++ values.
//
// C++ scalars act as Python literals do in Theano: an integer takes the
// smallest of int8..int64 that holds it, a floating value float32 when that
// is exact (always, when floatX is float32), else float64. So `x * 2` on a
// float32 matrix stays float32, and `x + 1.1` on it becomes float64.
#pragma once

#include "../ops/elemwise.hpp"

#include <type_traits>

namespace kiln {

/// A constant holding a copy of value (its broadcastable pattern marks the
/// dimensions of length 1).
Var constant(const Array& value, std::string name = {});
/// A 0-d constant from a C++ scalar, with the literal's dtype (see above).
Var as_tensor(bool value);
Var as_tensor(std::int64_t value);
Var as_tensor(double value);
template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
Var as_tensor(T value) {
    return as_tensor(static_cast<std::int64_t>(value));
}
inline Var as_tensor(float value) { return as_tensor(static_cast<double>(value)); }
inline Var as_tensor(const Var& value) { return value; }

template <class T>
concept Scalar = std::is_arithmetic_v<T>;

/// An argument of the named operations: a variable, or a C++ scalar taken
/// as a literal constant.
class Operand {
public:
    Operand(const Var& var) : var_(var) {}
    template <Scalar T> Operand(T value) : var_(as_tensor(value)) {}
    operator const Var&() const { return var_; }

private:
    Var var_;
};

/// Elementwise comparisons with boolean results (there is no elementwise
/// ==: use eq and neq).
Var lt(const Operand& a, const Operand& b);
Var gt(const Operand& a, const Operand& b);
Var le(const Operand& a, const Operand& b);
Var ge(const Operand& a, const Operand& b);
Var eq(const Operand& a, const Operand& b);
Var neq(const Operand& a, const Operand& b);
/// Floor division (Python's //): toward minus infinity.
Var int_div(const Operand& a, const Operand& b);
/// Python's %: the result takes the sign of the divisor.
Var mod(const Operand& a, const Operand& b);
/// True division: two integer operands give floatX.
Var true_div(const Operand& a, const Operand& b);

Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator%(const Var& a, const Var& b);
Var operator-(const Var& a);
Var operator<(const Var& a, const Var& b);
Var operator>(const Var& a, const Var& b);
Var operator<=(const Var& a, const Var& b);
Var operator>=(const Var& a, const Var& b);

#define KILN_SCALAR_OPERAND_OVERLOADS(op)                                                    \
    template <Scalar T> Var operator op(const Var& a, T b) { return a op as_tensor(b); }    \
    template <Scalar T> Var operator op(T a, const Var& b) { return as_tensor(a) op b; }
KILN_SCALAR_OPERAND_OVERLOADS(+)
KILN_SCALAR_OPERAND_OVERLOADS(-)
KILN_SCALAR_OPERAND_OVERLOADS(*)
KILN_SCALAR_OPERAND_OVERLOADS(/)
KILN_SCALAR_OPERAND_OVERLOADS(%)
KILN_SCALAR_OPERAND_OVERLOADS(<)
KILN_SCALAR_OPERAND_OVERLOADS(>)
KILN_SCALAR_OPERAND_OVERLOADS(<=)
KILN_SCALAR_OPERAND_OVERLOADS(>=)
#undef KILN_SCALAR_OPERAND_OVERLOADS

} // namespace kiln
