// Symbolic shapes: x.shape as an int64 vector and one dimension as an int64
// scalar (Theano's Shape and Shape_i).
#pragma once

#include "../api/var.hpp"

namespace kiln {

class ShapeOp : public Op {
public:
    std::string kind() const override { return "Shape"; }
    std::string params() const override { return {}; }
    std::string name() const override { return "Shape"; }
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;
};

class ShapeI : public Op {
public:
    explicit ShapeI(int axis) : axis_(axis) {}
    int axis() const { return axis_; }
    std::string kind() const override { return "Shape_i"; }
    std::string params() const override { return std::to_string(axis_); }
    std::string name() const override { return "Shape_i{" + params() + "}"; }
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    int axis_;
};

/// x.shape: an int64 vector of length x.ndim().
Var shape(const Var& x);
/// x.shape[axis] as an int64 scalar; a negative axis counts from the end.
Var shape_i(const Var& x, int axis);
/// x.shape as one int64 scalar per dimension (shape_i of each).
SymbolicShape shape_dims(const Var& x);
/// The product of x's dimensions along axes, an int64 scalar (1 for none).
Var shape_product(const Var& x, const std::vector<int>& axes);
/// x's shape as int64 scalar graphs over the shapes of the graph's inputs,
/// from each op's shape inference (an op that cannot infer reads its output's shape).
std::vector<Var> infer_shape(const Var& x);

} // namespace kiln
