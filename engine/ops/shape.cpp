#include "shape.hpp"

#include "math.hpp"
#include "shape_inference.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/walk.hpp"

#include <unordered_map>

namespace kiln {

std::string ShapeOp::pp(const Apply&, const std::vector<std::string>& inputs) const { return inputs[0] + ".shape"; }

std::vector<Array> ShapeOp::perform(const Apply&, const std::vector<Array>& inputs) const {
    return {Array::from_values<std::int64_t>(inputs[0].shape(), Shape{inputs[0].ndim()})};
}

std::vector<VariablePtr> ShapeOp::grad(const Apply&, const std::vector<VariablePtr>&) const { return {nullptr}; }

std::string ShapeI::pp(const Apply&, const std::vector<std::string>& inputs) const {
    return inputs[0] + ".shape[" + std::to_string(axis_) + "]";
}

std::vector<Array> ShapeI::perform(const Apply&, const std::vector<Array>& inputs) const {
    return {Array::scalar<std::int64_t>(inputs[0].shape()[axis_])};
}

std::vector<VariablePtr> ShapeI::grad(const Apply&, const std::vector<VariablePtr>&) const { return {nullptr}; }

Var shape(const Var& x) {
    return Var(Apply::make(std::make_shared<ShapeOp>(), {x.node()}, {TensorType(DType::int64, {false})})
                   ->output(0));
}

Var shape_i(const Var& x, int axis) {
    const int resolved = axis < 0 ? axis + x.ndim() : axis;
    if (resolved < 0 || resolved >= x.ndim())
        throw IndexError("shape_i(): axis " + std::to_string(axis) + " is out of range for " + x.str() + " of " +
                         x.type().str());
    return Var(Apply::make(std::make_shared<ShapeI>(resolved), {x.node()}, {TensorType(DType::int64, {})})->output(0));
}

SymbolicShape shape_dims(const Var& x) {
    SymbolicShape dims;
    for (int d = 0; d < x.ndim(); ++d) dims.push_back(shape_i(x, d).node());
    return dims;
}

Var shape_product(const Var& x, const std::vector<int>& axes) {
    Var total = constant_of(1, DType::int64);
    for (int axis : axes) total = total * shape_i(x, axis);
    return total;
}

// Shape inference: output shapes as graphs of the input shapes.

using shape_inference::Shapes;

Shapes ShapeOp::infer_shape(const Apply&, const Shapes& in) const {
    return {{constant_of(static_cast<double>(in[0].size()), DType::int64).node()}};
}

Shapes ShapeI::infer_shape(const Apply&, const Shapes&) const { return {{}}; }

std::vector<Var> infer_shape(const Var& x) {
    std::unordered_map<const Variable*, SymbolicShape> shapes;
    auto leaf_shape = [](const VariablePtr& v) {
        if (!v->is_constant()) return shape_dims(Var(v));
        SymbolicShape shape;
        for (std::int64_t d : v->constant_value().shape())
            shape.push_back(constant_of(static_cast<double>(d), DType::int64).node());
        return shape;
    };
    for (const VariablePtr& leaf : graph_inputs({x.node()})) shapes.emplace(leaf.get(), leaf_shape(leaf));
    for (const ApplyPtr& node : toposort({x.node()})) {
        Shapes inputs;
        for (const VariablePtr& input : node->inputs()) inputs.push_back(shapes.at(input.get()));
        Shapes outputs = node->op().infer_shape(*node, inputs);
        for (int i = 0; i < node->num_outputs(); ++i)
            shapes.emplace(node->output(i).get(), outputs.empty() ? leaf_shape(node->output(i)) : outputs[i]);
    }
    std::vector<Var> result;
    for (const VariablePtr& d : shapes.at(x.node().get())) result.push_back(cast(Var(d), DType::int64));
    return result;
}

} // namespace kiln
