#include "reduce.hpp"

#include "dimshuffle.hpp"
#include "math.hpp"
#include "shape.hpp"
#include "shape_inference.hpp"

#include "../../ir/errors.hpp"

#include <cmath>
#include <limits>

namespace kiln {

namespace {

std::string axes_text(const std::vector<int>& axes) {
    std::string text = "[";
    for (std::size_t i = 0; i < axes.size(); ++i) text += (i > 0 ? ", " : "") + std::to_string(axes[i]);
    return text + "]";
}

DType sum_dtype(DType in) {
    if (in == DType::bool_ || (is_signed_int(in) && dtype_size(in) < 8)) return DType::int64;
    if (is_unsigned_int(in) && dtype_size(in) < 8) return DType::uint64;
    return in;
}

DType accumulator_dtype(ReduceKind kind, DType out) {
    if ((kind == ReduceKind::sum || kind == ReduceKind::prod) && out == DType::float32) return DType::float64;
    return out;
}

DType result_dtype(ReduceKind kind, DType in) {
    switch (kind) {
    case ReduceKind::sum:
    case ReduceKind::prod: return sum_dtype(in);
    case ReduceKind::all:
    case ReduceKind::any: return DType::bool_;
    default: return in;
    }
}

bool all_axes(const std::vector<int>& axes, int ndim) { return static_cast<int>(axes.size()) == ndim; }

Var reduce(ReduceKind kind, const Var& x, const Axes& axes_spec, bool keepdims) {
    const std::vector<int> axes = axes_spec.resolve(x.ndim(), reduce_kind_name(kind));
    std::vector<bool> broadcastable;
    for (int d = 0; d < x.ndim(); ++d)
        if (std::find(axes.begin(), axes.end(), d) == axes.end()) broadcastable.push_back(x.broadcastable()[d]);
    TensorType type(result_dtype(kind, x.dtype()), broadcastable);
    auto op = std::make_shared<Reduce>(kind, axes, x.ndim(), accumulator_dtype(kind, type.dtype()));
    Var out(Apply::make(std::move(op), {x.node()}, {type})->output(0));
    return keepdims ? keep_reduced_axes(out, axes, x.ndim()) : out;
}

template <class T> void reduce_loop(ReduceKind kind, const Array& in, const Shape& acc_strides, Array& acc) {
    T* dst = acc.mutable_data_as<T>();
    const T* src = in.data_as<T>();
    walk_strided<2>(in.shape(), {&acc_strides, &in.strides()},
                    [&](const auto& at) { dst[at[0]] = reduce_combine(kind, dst[at[0]], src[at[1]]); });
}

} // namespace

Var keep_reduced_axes(const Var& reduced, const std::vector<int>& axes, int ndim) {
    std::vector<DimShuffle::Entry> order;
    int next = 0;
    for (int d = 0; d < ndim; ++d) {
        if (std::find(axes.begin(), axes.end(), d) != axes.end()) order.push_back(DimShuffle::new_axis);
        else order.push_back(next++);
    }
    return dimshuffle(reduced, order);
}

std::vector<int> Axes::resolve(int ndim, const char* who) const {
    std::vector<int> result;
    if (!axes_) {
        for (int d = 0; d < ndim; ++d) result.push_back(d);
        return result;
    }
    for (int axis : *axes_) {
        const int resolved = axis < 0 ? axis + ndim : axis;
        if (resolved < 0 || resolved >= ndim)
            throw ValueError(std::string(who) + "(): axis " + std::to_string(axis) + " is out of bounds for a " +
                             std::to_string(ndim) + "-d tensor");
        if (std::find(result.begin(), result.end(), resolved) != result.end())
            throw ValueError(std::string(who) + "(): axis " + std::to_string(axis) + " is given twice");
        result.push_back(resolved);
    }
    std::sort(result.begin(), result.end());
    return result;
}

std::string Reduce::params() const {
    return std::string(reduce_kind_name(kind_)) + ", axes=" + axes_text(axes_) + ", ndim=" + std::to_string(ndim_) +
           ", acc_dtype=" + std::string(dtype_name(acc_dtype_));
}

std::string Reduce::name() const {
    std::string name = reduce_kind_name(kind_);
    name[0] = static_cast<char>(std::toupper(name[0]));
    std::vector<std::string> fields;
    if (!all_axes(axes_, ndim_)) fields.push_back("axis=" + axes_text(axes_));
    if (kind_ == ReduceKind::sum || kind_ == ReduceKind::prod) fields.push_back("acc_dtype=" + std::string(dtype_name(acc_dtype_)));
    if (fields.empty()) return name;
    std::string text = name + "{";
    for (std::size_t i = 0; i < fields.size(); ++i) text += (i > 0 ? ", " : "") + fields[i];
    return text + "}";
}

std::string Reduce::pp(const Apply&, const std::vector<std::string>& inputs) const {
    if (all_axes(axes_, ndim_)) return std::string(reduce_kind_name(kind_)) + "(" + inputs[0] + ")";
    return std::string(reduce_kind_name(kind_)) + "(" + inputs[0] + ", axis=" + axes_text(axes_) + ")";
}

std::vector<Array> Reduce::perform(const Apply& node, const std::vector<Array>& inputs) const {
    const Array& x = inputs[0];
    const DType out_dtype = node.output(0)->type().dtype();
    const DType acc_dtype = acc_dtype_;
    Shape out_shape;
    for (int d = 0; d < x.ndim(); ++d) {
        const bool reduced = std::find(axes_.begin(), axes_.end(), d) != axes_.end();
        if (!reduced) out_shape.push_back(x.shape()[d]);
        else if (x.shape()[d] == 0 && (kind_ == ReduceKind::max || kind_ == ReduceKind::min))
            throw ValueError(std::string(reduce_kind_name(kind_)) + "(): zero-size array to reduction operation " +
                             (kind_ == ReduceKind::max ? "maximum" : "minimum") + " which has no identity (axis " +
                             std::to_string(d) + " of shape " + shape_text(x.shape()) + ")");
    }
    Array acc = reduction_identity(kind_, acc_dtype, out_shape);
    // The accumulator seen with the input's rank: stride 0 along reduced axes.
    Shape acc_strides;
    int next = 0;
    for (int d = 0; d < x.ndim(); ++d) {
        const bool reduced = std::find(axes_.begin(), axes_.end(), d) != axes_.end();
        acc_strides.push_back(reduced ? 0 : acc.strides()[next++]);
    }
    const Array input = x.dtype() == acc_dtype ? x : x.astype(acc_dtype);
    visit_dtype(acc_dtype, [&](auto tag) {
        using T = decltype(tag);
        reduce_loop<T>(kind_, input, acc_strides, acc);
    });
    return {acc.dtype() == out_dtype ? acc : acc.astype(out_dtype)};
}

std::vector<VariablePtr> Reduce::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    const Var x(node.inputs()[0]);
    const Var gz = keep_reduced_axes(Var(output_grads[0]), axes_, ndim_);
    switch (kind_) {
    case ReduceKind::sum: return {cast(fill(x, gz), x.dtype()).node()};
    case ReduceKind::prod: {
        // d prod / d x_i = prod / x_i (undefined where x_i is 0).
        const Var product = keep_reduced_axes(Var(node.output(0)), axes_, ndim_);
        return {cast(gz * product / x, x.dtype()).node()};
    }
    case ReduceKind::max:
    case ReduceKind::min: {
        // Every element equal to the extreme gets the whole gradient (Theano).
        const Var extreme = keep_reduced_axes(Var(node.output(0)), axes_, ndim_);
        return {cast(gz * eq(x, extreme), x.dtype()).node()};
    }
    default: return {nullptr};
    }
}

std::string ArgReduce::params() const {
    return std::string(is_max_ ? "max" : "min") + ", axis=" + (axis_ ? std::to_string(*axis_) : "none");
}

std::string ArgReduce::name() const {
    return std::string(is_max_ ? "Argmax" : "Argmin") + (axis_ ? "{axis=[" + std::to_string(*axis_) + "]}" : "");
}

std::vector<Array> ArgReduce::perform(const Apply&, const std::vector<Array>& inputs) const {
    Array x = inputs[0];
    int axis = axis_.value_or(0);
    if (!axis_) x = x.reshaped({x.size()});
    if (x.shape()[axis] == 0)
        throw ValueError(std::string(is_max_ ? "argmax" : "argmin") + "(): attempt to get " + (is_max_ ? "argmax" : "argmin") +
                         " of an empty sequence (shape " + shape_text(inputs[0].shape()) + ")");
    // Move the reduced axis last, then scan each row.
    Shape outer_shape, outer_strides;
    for (int d = 0; d < x.ndim(); ++d)
        if (d != axis) {
            outer_shape.push_back(x.shape()[d]);
            outer_strides.push_back(x.strides()[d]);
        }
    Array out = Array::zeros(DType::int64, outer_shape);
    std::int64_t* dst = out.mutable_data_as<std::int64_t>();
    const Shape out_strides = out.strides();
    const std::int64_t n = x.shape()[axis], step = x.strides()[axis];
    visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* src = reinterpret_cast<const T*>(x.data());
        walk_strided<2>(outer_shape, {&out_strides, &outer_strides}, [&](const auto& at) {
            std::int64_t best = 0;
            T best_value = src[at[1]];
            for (std::int64_t i = 1; i < n; ++i) {
                const T v = src[at[1] + i * step];
                if constexpr (std::is_floating_point_v<T>) {
                    if (std::isnan(best_value)) break;
                    if (std::isnan(v)) {
                        best = i;
                        break;
                    }
                }
                if (is_max_ ? best_value < v : v < best_value) {
                    best = i;
                    best_value = v;
                }
            }
            dst[at[0]] = best;
        });
    });
    return {out};
}

Var sum(const Var& x, const Axes& axes, bool keepdims) { return reduce(ReduceKind::sum, x, axes, keepdims); }

Var sum_to_broadcast_of(const Var& g, const Var& like) {
    Var result = g;
    std::vector<int> leading;
    for (int d = 0; d < g.ndim() - like.ndim(); ++d) leading.push_back(d);
    if (!leading.empty()) result = sum(result, leading);
    std::vector<int> kept;
    for (int d = 0; d < like.ndim(); ++d)
        if (like.broadcastable()[d] && !result.broadcastable()[d]) kept.push_back(d);
    return kept.empty() ? result : sum(result, kept, true);
}
Var prod(const Var& x, const Axes& axes, bool keepdims) { return reduce(ReduceKind::prod, x, axes, keepdims); }
Var max(const Var& x, const Axes& axes, bool keepdims) { return reduce(ReduceKind::max, x, axes, keepdims); }
Var min(const Var& x, const Axes& axes, bool keepdims) { return reduce(ReduceKind::min, x, axes, keepdims); }
Var all(const Var& x, const Axes& axes, bool keepdims) { return reduce(ReduceKind::all, x, axes, keepdims); }
Var any(const Var& x, const Axes& axes, bool keepdims) { return reduce(ReduceKind::any, x, axes, keepdims); }

Var mean(const Var& x, const Axes& axes, bool keepdims) {
    const std::vector<int> resolved = axes.resolve(x.ndim(), "mean");
    const DType dtype = is_float(x.dtype()) ? x.dtype() : DType::float64;
    Var total = sum(cast(x, dtype), resolved, keepdims);
    return total / cast(shape_product(x, resolved), dtype);
}

Var var(const Var& x, const Axes& axes, bool keepdims, int ddof) {
    const std::vector<int> resolved = axes.resolve(x.ndim(), "var");
    const DType dtype = is_float(x.dtype()) ? x.dtype() : DType::float64;
    const Var centered = cast(x, dtype) - mean(x, resolved, true);
    const Var squares = sum(sqr(centered), resolved, keepdims);
    return squares / (cast(shape_product(x, resolved), dtype) - constant_of(ddof, dtype));
}

Var std(const Var& x, const Axes& axes, bool keepdims, int ddof) { return sqrt(var(x, axes, keepdims, ddof)); }

namespace {

Var arg_reduce(bool is_max, const Var& x, std::optional<int> axis, bool keepdims) {
    std::optional<int> resolved;
    if (axis) resolved = Axes(*axis).resolve(x.ndim(), is_max ? "argmax" : "argmin")[0];
    std::vector<bool> broadcastable;
    if (resolved)
        for (int d = 0; d < x.ndim(); ++d)
            if (d != *resolved) broadcastable.push_back(x.broadcastable()[d]);
    Var out(Apply::make(std::make_shared<ArgReduce>(is_max, resolved), {x.node()},
                        {TensorType(DType::int64, broadcastable)})
                ->output(0));
    if (!keepdims) return out;
    std::vector<int> axes;
    if (resolved) axes.push_back(*resolved);
    else
        for (int d = 0; d < x.ndim(); ++d) axes.push_back(d);
    return keep_reduced_axes(out, axes, x.ndim());
}

} // namespace

Var argmax(const Var& x, std::optional<int> axis, bool keepdims) { return arg_reduce(true, x, axis, keepdims); }
Var argmin(const Var& x, std::optional<int> axis, bool keepdims) { return arg_reduce(false, x, axis, keepdims); }

// Shape inference: output shapes as graphs of the input shapes.

using shape_inference::Shapes;

Shapes Reduce::infer_shape(const Apply&, const Shapes& in) const {
    SymbolicShape out;
    for (int d = 0; d < ndim_; ++d)
        if (std::find(axes_.begin(), axes_.end(), d) == axes_.end()) out.push_back(in[0][d]);
    return {out};
}

Shapes ArgReduce::infer_shape(const Apply&, const Shapes& in) const {
    SymbolicShape out;
    if (axis_)
        for (int d = 0; d < static_cast<int>(in[0].size()); ++d)
            if (d != *axis_) out.push_back(in[0][d]);
    return {out};
}

} // namespace kiln
