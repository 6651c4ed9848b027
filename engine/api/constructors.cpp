#include "constructors.hpp"

#include "config.hpp"

#include <ostream>

namespace kiln {

Var make_variable(const TensorType& type, std::string name) {
    return Var(Variable::make_input(type, std::move(name)));
}

Var tensor(DType dtype, std::vector<bool> broadcastable, std::string name) {
    return make_variable(TensorType(dtype, std::move(broadcastable)), std::move(name));
}

TensorType FloatXConstructor::type() const { return TensorType(config().floatX(), broadcastable_); }

Var FloatXConstructor::operator()(std::string name, DType dtype) const {
    return make_variable(TensorType(dtype, broadcastable_), std::move(name));
}

Var FloatXConstructor::operator()(std::string name, std::string_view dtype) const {
    return (*this)(std::move(name), dtype_named(dtype, "tensor constructor"));
}

std::ostream& operator<<(std::ostream& os, const TypedConstructor& constructor) {
    return os << constructor.type();
}

std::ostream& operator<<(std::ostream& os, const FloatXConstructor& constructor) {
    return os << constructor.type();
}

std::ostream& operator<<(std::ostream& os, const Var& var) { return os << var.str(); }

} // namespace kiln
