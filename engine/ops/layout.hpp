// Shape and layout ops: reshape, flatten, join/concatenate, stack, alloc,
// zeros/ones with symbolic shapes, squeeze, expand_dims, tile and repeat.
#pragma once

#include "../api/operators.hpp"

#include <type_traits>
#include <vector>

namespace kiln {

/// inputs: x, then one int64 scalar per output dimension (one may be -1).
class Reshape : public Op {
public:
    explicit Reshape(int ndim) : ndim_(ndim) {}
    std::string kind() const override { return "Reshape"; }
    std::string params() const override { return std::to_string(ndim_); }
    std::string name() const override { return "Reshape{" + params() + "}"; }
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    int ndim_;
};

/// Concatenation of its inputs along one axis.
class Join : public Op {
public:
    explicit Join(int axis) : axis_(axis) {}
    std::string kind() const override { return "Join"; }
    std::string params() const override { return std::to_string(axis_); }
    std::string name() const override { return "Join{axis=" + params() + "}"; }
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    int axis_;
};

/// x with each slice along `axis` repeated `repeats` times in a row (NumPy's
/// repeat with one count). The repeated axis's size is checked: a count
/// past int64 is a ValueError.
class Repeat : public Op {
public:
    Repeat(int repeats, int axis) : repeats_(repeats), axis_(axis) {}
    std::string kind() const override { return "Repeat"; }
    std::string params() const override { return std::to_string(repeats_) + ", " + std::to_string(axis_); }
    std::string name() const override {
        return "Repeat{repeats=" + std::to_string(repeats_) + ", axis=" + std::to_string(axis_) + "}";
    }
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    int repeats_;
    int axis_;
};

/// inputs: a value, then one int64 scalar per output dimension; the value
/// broadcast to that shape.
class Alloc : public Op {
public:
    std::string kind() const override { return "Alloc"; }
    std::string params() const override { return {}; }
    std::string name() const override { return "Alloc"; }
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;
};

/// The identity, with the given axes no longer marked broadcastable (Theano's
/// unbroadcast), e.g. to give an update its shared variable's type.
class Unbroadcast : public Op {
public:
    explicit Unbroadcast(std::vector<int> axes) : axes_(std::move(axes)) {}
    std::string kind() const override { return "Unbroadcast"; }
    std::string params() const override;
    std::string name() const override { return "Rebroadcast{" + params() + "}"; }
    std::string pp(const Apply&, const std::vector<std::string>& inputs) const override { return inputs[0]; }
    std::vector<Array> perform(const Apply&, const std::vector<Array>& inputs) const override { return {inputs[0]}; }
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;
    std::vector<SymbolicShape> infer_shape(const Apply&, const std::vector<SymbolicShape>& input_shapes) const override {
        return {input_shapes[0]};
    }

private:
    std::vector<int> axes_;
};

/// x with `axes` no longer broadcastable (negative axes count from the end).
Var unbroadcast(const Var& x, const std::vector<int>& axes);

/// x with a new shape of the same size, in C order; one dimension may be -1.
Var reshape(const Var& x, const std::vector<Operand>& shape);
/// Keeps the first ndim - 1 axes and merges the rest into the last.
Var flatten(const Var& x, int ndim = 1);
/// Theano's join(axis, tensors...) and NumPy's concatenate(tensors, axis).
Var concatenate(const std::vector<Var>& tensors, int axis = 0);
/// Theano's spelling: join(0, a, b, c) or join(0, {a, b, c}).
Var join(int axis, const std::vector<Var>& tensors);
template <class... Tensors>
    requires(sizeof...(Tensors) > 0 && (std::is_convertible_v<const Tensors&, const Var&> && ...))
Var join(int axis, const Tensors&... tensors) {
    return concatenate(std::vector<Var>{Var(tensors)...}, axis);
}
/// Joins along a new axis.
Var stack(const std::vector<Var>& tensors, int axis = 0);
/// value broadcast to shape (alloc); the dtype is value's.
Var alloc(const Operand& value, const std::vector<Operand>& shape);
Var zeros(const std::vector<Operand>& shape, DType dtype);
Var ones(const std::vector<Operand>& shape, DType dtype);
/// Drops every broadcastable axis.
Var squeeze(const Var& x);
/// Inserts a broadcastable axis at `axis` (negative counts from the end).
Var expand_dims(const Var& x, int axis);
/// x repeated reps[i] times along axis i (as np.tile with len(reps) == ndim).
Var tile(const Var& x, const std::vector<int>& reps);
/// Each element repeated `repeats` times along axis (as np.repeat).
Var repeat(const Var& x, int repeats, int axis);

} // namespace kiln
