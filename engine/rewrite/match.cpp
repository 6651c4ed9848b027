// Matching helpers the rewrite rules share.
#include "rules.hpp"

#include "../ops/cast.hpp"
#include "../ops/dimshuffle.hpp"

#include "../../ir/hash.hpp"

namespace kiln::rewrites {

std::optional<ScalarOp> scalar_op_of(const Apply& node) { return elemwise_scalar_op(node); }

std::optional<ScalarOp> scalar_op_of(const VariablePtr& v) {
    const ApplyPtr owner = v->owner();
    return owner ? scalar_op_of(*owner) : std::nullopt;
}

ApplyPtr elemwise_owner(const VariablePtr& v, ScalarOp op) {
    const ApplyPtr owner = v->owner();
    return owner && scalar_op_of(*owner) == op ? owner : nullptr;
}

std::optional<double> constant_scalar(const VariablePtr& v) {
    // Broadcasting a constant (a DimShuffle of it) keeps its value, and so
    // does widening it (a cast to a dtype that holds it).
    if (const ApplyPtr owner = v->owner()) {
        if (op_of<DimShuffle>(*owner)) return constant_scalar(owner->inputs()[0]);
        if (op_of<Cast>(*owner) &&
            promote(owner->inputs()[0]->type().dtype(), v->type().dtype()) == v->type().dtype())
            return constant_scalar(owner->inputs()[0]);
    }
    if (!v->is_constant()) return std::nullopt;
    const Array& value = v->constant_value();
    if (value.size() == 0) return std::nullopt;
    const std::vector<double> values = value.to_vector<double>();
    for (double x : values)
        if (!(x == values[0])) return std::nullopt;
    return values[0];
}

bool is_constant_equal(const VariablePtr& v, double value) {
    const std::optional<double> c = constant_scalar(v);
    return c && *c == value;
}

std::string constant_key(const Variable& v) {
    const Array value = v.constant_value().copy();
    return v.type().str() + shape_text(value.shape()) +
           hash_bytes(value.data(), static_cast<std::size_t>(value.size() * dtype_size(value.dtype()))).hex();
}

bool same_computation(const VariablePtr& a, const VariablePtr& b) {
    if (a == b) return true;
    if (a->is_constant() && b->is_constant()) return constant_key(*a) == constant_key(*b);
    const ApplyPtr x = a->owner(), y = b->owner();
    if (!x || !y || a->index() != b->index() || !(x->op() == y->op()) || x->inputs().size() != y->inputs().size())
        return false;
    for (std::size_t i = 0; i < x->inputs().size(); ++i)
        if (!same_computation(x->inputs()[i], y->inputs()[i])) return false;
    return true;
}

} // namespace kiln::rewrites
