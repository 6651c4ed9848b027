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

std::ostream& operator<<(std::ostream& os, const TypedConstructor& constructor) {
    return os << constructor.type();
}

std::ostream& operator<<(std::ostream& os, const FloatXConstructor& constructor) {
    return os << constructor.type();
}

std::ostream& operator<<(std::ostream& os, const Var& var) { return os << var.str(); }

} // namespace kiln
