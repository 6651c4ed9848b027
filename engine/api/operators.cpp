#include "operators.hpp"

#include "config.hpp"

#include "../ops/math.hpp"

namespace kiln {

Var constant(const Array& value, std::string name) {
    std::vector<bool> broadcastable;
    for (std::int64_t d : value.shape()) broadcastable.push_back(d == 1);
    return Var(Variable::make_constant(value, TensorType(value.dtype(), std::move(broadcastable)), std::move(name)));
}

Var as_tensor(bool value) { return constant(Array::scalar(value)); }

Var as_tensor(std::int64_t value) {
    return constant(Array::scalar(value).astype(literal_dtype(value)));
}

Var as_tensor(double value) {
    return constant(Array::scalar(value).astype(literal_dtype(value, config().floatX())));
}

Var lt(const Operand& a, const Operand& b) { return elemwise(ScalarOp::lt, {a, b}); }
Var gt(const Operand& a, const Operand& b) { return elemwise(ScalarOp::gt, {a, b}); }
Var le(const Operand& a, const Operand& b) { return elemwise(ScalarOp::le, {a, b}); }
Var ge(const Operand& a, const Operand& b) { return elemwise(ScalarOp::ge, {a, b}); }
Var eq(const Operand& a, const Operand& b) { return elemwise(ScalarOp::eq, {a, b}); }
Var neq(const Operand& a, const Operand& b) { return elemwise(ScalarOp::neq, {a, b}); }
Var int_div(const Operand& a, const Operand& b) { return elemwise(ScalarOp::int_div, {a, b}); }
Var mod(const Operand& a, const Operand& b) { return elemwise(ScalarOp::mod, {a, b}); }
Var true_div(const Operand& a, const Operand& b) { return elemwise(ScalarOp::true_div, {a, b}); }

Var operator+(const Var& a, const Var& b) { return elemwise(ScalarOp::add, {a, b}); }
Var operator-(const Var& a, const Var& b) { return elemwise(ScalarOp::sub, {a, b}); }
Var operator*(const Var& a, const Var& b) { return elemwise(ScalarOp::mul, {a, b}); }
Var operator/(const Var& a, const Var& b) { return true_div(a, b); }
Var operator%(const Var& a, const Var& b) { return mod(a, b); }
Var operator-(const Var& a) { return elemwise(ScalarOp::neg, {a}); }
Var operator<(const Var& a, const Var& b) { return lt(a, b); }
Var operator>(const Var& a, const Var& b) { return gt(a, b); }
Var operator<=(const Var& a, const Var& b) { return le(a, b); }
Var operator>=(const Var& a, const Var& b) { return ge(a, b); }

} // namespace kiln
