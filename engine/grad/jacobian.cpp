#include "jacobian.hpp"

#include "grad.hpp"

#include "../api/constructors.hpp"
#include "../api/operators.hpp"
#include "../ops/reduce.hpp"
#include "../runtime/interpreter.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/hash.hpp"
#include "../../ir/walk.hpp"

#include <cstring>

namespace kiln {

std::string JacobianOp::params() const {
    // The inner graph, structurally: equal Jacobians of equal graphs merge.
    std::vector<VariablePtr> inputs{seed_};
    inputs.insert(inputs.end(), free_inputs_.begin(), free_inputs_.end());
    return structural_hash({seed_grad_}, inputs).hex();
}

std::vector<Array> JacobianOp::perform(const Apply& node, const std::vector<Array>& inputs) const {
    const Array& y = inputs[0];
    const std::int64_t n = y.size();
    std::vector<std::pair<VariablePtr, Array>> bindings;
    for (std::size_t i = 0; i < free_inputs_.size(); ++i) bindings.emplace_back(free_inputs_[i], inputs[1 + i]);
    bindings.emplace_back(seed_, Array());
    const TensorType& out_type = node.output(0)->type();
    Array out;
    for (std::int64_t i = 0; i < n; ++i) {
        Array seed = Array::zeros(seed_->type().dtype(), y.shape());
        visit_dtype(seed.dtype(), [&](auto tag) { seed.mutable_data_as<decltype(tag)>()[i] = 1; });
        bindings.back().second = seed;
        const Array row = evaluate({seed_grad_}, bindings)[0].astype(out_type.dtype());
        if (i == 0) {
            Shape shape{n};
            shape.insert(shape.end(), row.shape().begin(), row.shape().end());
            out = Array::zeros(out_type.dtype(), shape);
        }
        const std::size_t bytes = static_cast<std::size_t>(row.size() * dtype_size(row.dtype()));
        std::memcpy(out.mutable_data() + static_cast<std::size_t>(i) * bytes, row.data(), bytes);
    }
    if (n == 0) {
        Shape shape{0};
        for (int d = 1; d < out_type.ndim(); ++d) shape.push_back(0);
        out = Array::zeros(out_type.dtype(), shape);
    }
    return {out};
}

std::vector<SymbolicShape> JacobianOp::infer_shape(const Apply&, const std::vector<SymbolicShape>& in) const {
    // (len(y),) + the shape of wrt, when wrt is one of the free inputs.
    for (std::size_t i = 0; i < free_inputs_.size(); ++i)
        if (free_inputs_[i] == wrt_) {
            SymbolicShape shape{in[0][0]};
            shape.insert(shape.end(), in[1 + i].begin(), in[1 + i].end());
            return {shape};
        }
    return {};
}

Var jacobian(const Var& y, const Var& wrt) {
    if (y.ndim() != 1)
        throw TypeError("jacobian(): y must be a vector, got " + y.str() + " of " + y.type().str());
    const Var seed = make_variable(y.type(), "jacobian_seed");
    const Var seed_grad = grad(sum(y * seed), wrt);
    std::vector<VariablePtr> free_inputs;
    for (const VariablePtr& leaf : graph_inputs({seed_grad.node(), y.node()}))
        if (leaf != seed.node() && !leaf->is_constant() && !leaf->is_shared()) free_inputs.push_back(leaf);
    std::vector<VariablePtr> inputs{y.node()};
    inputs.insert(inputs.end(), free_inputs.begin(), free_inputs.end());
    std::vector<bool> broadcastable{false};
    broadcastable.insert(broadcastable.end(), wrt.broadcastable().begin(), wrt.broadcastable().end());
    auto op = std::make_shared<JacobianOp>(seed.node(), seed_grad.node(), free_inputs, wrt.node());
    return Var(Apply::make(std::move(op), std::move(inputs), {TensorType(seed_grad.dtype(), broadcastable)})->output(0));
}

Var hessian(const Var& cost, const Var& wrt) {
    const Var g = grad(cost, wrt);
    if (g.ndim() != 1)
        throw TypeError("hessian(): wrt must be a vector, got " + wrt.str() + " of " + wrt.type().str());
    return jacobian(g, wrt);
}

} // namespace kiln
