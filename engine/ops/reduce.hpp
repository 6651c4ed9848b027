// Reductions over a set of axes (Theano's CAReduce family: sum, prod, max,
// min, all, any), argmax/argmin, and the reductions built from them.
#pragma once

#include "../api/var.hpp"

#include "../../ir/reduction.hpp"

#include <initializer_list>
#include <optional>
#include <vector>

namespace kiln {

class Reduce : public Op {
public:
    /// Reduces `axes` of an input of rank input_ndim, accumulating in acc_dtype.
    Reduce(ReduceKind kind, std::vector<int> axes, int input_ndim, DType acc_dtype)
        : kind_(kind), axes_(std::move(axes)), ndim_(input_ndim), acc_dtype_(acc_dtype) {}

    ReduceKind reduce_kind() const { return kind_; }
    const std::vector<int>& axes() const { return axes_; }
    DType acc_dtype() const { return acc_dtype_; }

    std::string kind() const override { return "Reduce"; }
    std::string params() const override;
    std::string name() const override;
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    ReduceKind kind_;
    std::vector<int> axes_;
    int ndim_;
    DType acc_dtype_;
};

/// Index of the largest (argmax) or smallest (argmin) element along one axis,
/// or in the flattened tensor; ties give the first; NaN counts as largest
/// and smallest (as in NumPy).
class ArgReduce : public Op {
public:
    ArgReduce(bool is_max, std::optional<int> axis) : is_max_(is_max), axis_(axis) {}
    bool is_max() const { return is_max_; }
    /// The axis reduced; none for the flattened tensor.
    std::optional<int> axis() const { return axis_; }

    std::string kind() const override { return "ArgReduce"; }
    std::string params() const override;
    std::string name() const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;

private:
    bool is_max_;
    std::optional<int> axis_;
};

/// Sum: bool and signed integers up to 32 bits give int64, unsigned ones
/// uint64; floats keep their dtype (float32 accumulates in float64).
Var sum(const Var& x, const Axes& axes = {}, bool keepdims = false);
Var prod(const Var& x, const Axes& axes = {}, bool keepdims = false);
Var max(const Var& x, const Axes& axes = {}, bool keepdims = false);
Var min(const Var& x, const Axes& axes = {}, bool keepdims = false);
Var all(const Var& x, const Axes& axes = {}, bool keepdims = false);
Var any(const Var& x, const Axes& axes = {}, bool keepdims = false);
/// Mean: integers give float64, floats keep their dtype.
Var mean(const Var& x, const Axes& axes = {}, bool keepdims = false);
/// Variance and standard deviation with ddof delta degrees of freedom.
Var var(const Var& x, const Axes& axes = {}, bool keepdims = false, int ddof = 0);
Var std(const Var& x, const Axes& axes = {}, bool keepdims = false, int ddof = 0);
/// `reduced` with a broadcastable axis put back where each of `axes` of a
/// rank-ndim tensor was reduced away (the keepdims form).
Var keep_reduced_axes(const Var& reduced, const std::vector<int>& axes, int ndim);
/// g summed down to the shape of `like` after `like` was broadcast into g's
/// shape: over g's extra leading axes, and over axes where like is
/// broadcastable and g is not (kept, length 1). The gradient of a broadcast.
Var sum_to_broadcast_of(const Var& g, const Var& like);
/// int64 indices; without an axis, into the flattened tensor.
Var argmax(const Var& x, std::optional<int> axis = std::nullopt, bool keepdims = false);
Var argmin(const Var& x, std::optional<int> axis = std::nullopt, bool keepdims = false);

} // namespace kiln
