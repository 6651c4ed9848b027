#include "layout.hpp"

#include "dimshuffle.hpp"
#include "index.hpp"
#include "math.hpp"
#include "reduce.hpp"
#include "shape.hpp"
#include "shape_inference.hpp"

#include "../rewrite/rules.hpp"

#include "../../ir/errors.hpp"
#include "../../kernels/indexing.hpp"

#include <cstring>

namespace kiln {

namespace {

std::int64_t scalar_value(const Array& a) { return a.value_at<std::int64_t>(0); }

// An int64 scalar variable for each dimension, and the static pattern
// (a constant 1 is broadcastable).
std::vector<VariablePtr> dimension_inputs(const std::vector<Operand>& shape, std::vector<bool>& broadcastable,
                                          const char* who) {
    std::vector<VariablePtr> inputs;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        const Var& d = shape[i];
        if (d.ndim() != 0 || !is_discrete(d.dtype()) || d.dtype() == DType::bool_)
            throw TypeError(std::string(who) + ": dimension " + std::to_string(i) + " must be an integer scalar, got " +
                            d.str() + " of " + d.type().str());
        // A constant 1, also seen through the cast to int64 this adds, so
        // rebuilding the node from its own inputs gives the same type.
        broadcastable.push_back(rewrites::is_constant_equal(d.node(), 1));
        inputs.push_back(cast(d, DType::int64).node());
    }
    return inputs;
}

std::vector<Operand> shape_of(const Var& x) {
    std::vector<Operand> dims;
    for (const VariablePtr& d : shape_dims(x)) dims.emplace_back(Var(d));
    return dims;
}

// Copies `source` into `target` (same shape and dtype) element by element.
void copy_into(Array target, const Array& source) {
    kernels::copy_strided(static_cast<std::size_t>(dtype_size(target.dtype())), target.shape(), target.mutable_data(),
                          target.strides(), source.data(), source.strides());
}

} // namespace

std::vector<Array> Reshape::perform(const Apply&, const std::vector<Array>& inputs) const {
    const Array& x = inputs[0];
    Shape shape;
    int unknown = -1;
    std::int64_t known = 1;
    for (int i = 0; i < ndim_; ++i) {
        const std::int64_t d = scalar_value(inputs[1 + i]);
        if (d == -1) {
            if (unknown >= 0) throw ValueError("reshape(): can only specify one unknown dimension");
            unknown = i;
        } else if (d < 0) {
            throw ValueError("reshape(): negative dimension " + std::to_string(d) + " in the new shape");
        } else {
            known = checked_multiply(known, d, "reshape(): the number of elements of the new shape");
        }
        shape.push_back(d);
    }
    if (unknown >= 0) {
        if (known == 0 || x.size() % known != 0)
            throw ValueError("cannot reshape array of size " + std::to_string(x.size()) + " into shape " + shape_text(shape));
        shape[unknown] = x.size() / known;
    }
    return {x.reshaped(shape)};
}

std::vector<VariablePtr> Reshape::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    std::vector<VariablePtr> result{reshape(Var(output_grads[0]), shape_of(Var(node.inputs()[0]))).node()};
    for (int i = 0; i < ndim_; ++i) result.push_back(nullptr);
    return result;
}

std::string Join::pp(const Apply&, const std::vector<std::string>& inputs) const {
    std::string text = "join(" + std::to_string(axis_);
    for (const std::string& input : inputs) text += ", " + input;
    return text + ")";
}

std::vector<Array> Join::perform(const Apply& node, const std::vector<Array>& inputs) const {
    const DType dtype = node.output(0)->type().dtype();
    Shape shape = inputs[0].shape();
    shape[axis_] = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        for (int d = 0; d < inputs[i].ndim(); ++d)
            if (d != axis_ && inputs[i].shape()[d] != inputs[0].shape()[d])
                throw ValueError("join(): all the input array dimensions except for the concatenation axis must match "
                                 "exactly, but along dimension " + std::to_string(d) + ", input 0 has size " +
                                 std::to_string(inputs[0].shape()[d]) + " and input " + std::to_string(i) + " has size " +
                                 std::to_string(inputs[i].shape()[d]));
        shape[axis_] = checked_add(shape[axis_], inputs[i].shape()[axis_], "join(): the size of the joined axis");
    }
    Array out = Array::uninitialized(dtype, shape);
    std::int64_t position = 0;
    for (const Array& input : inputs) {
        const Array converted = input.dtype() == dtype ? input : input.astype(dtype);
        copy_into(out.view(converted.shape(), out.strides(), position * out.strides()[axis_]), converted);
        position += input.shape()[axis_];
    }
    return {out};
}

std::vector<VariablePtr> Join::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    const Var gz(output_grads[0]);
    std::vector<VariablePtr> result;
    Var start = as_tensor(std::int64_t{0});
    for (const VariablePtr& input : node.inputs()) {
        const Var x(input);
        const Var stop = start + shape_i(x, axis_);
        std::vector<Index> index;
        for (int d = 0; d < axis_; ++d) index.emplace_back(slice({}, {}));
        index.emplace_back(slice(start, stop));
        result.push_back(is_float(x.dtype()) ? cast(subtensor(gz, index), x.dtype()).node() : nullptr);
        start = stop;
    }
    return result;
}

std::string Alloc::pp(const Apply&, const std::vector<std::string>& inputs) const {
    std::string text = "alloc(";
    for (std::size_t i = 0; i < inputs.size(); ++i) text += (i > 0 ? ", " : "") + inputs[i];
    return text + ")";
}

std::vector<Array> Alloc::perform(const Apply&, const std::vector<Array>& inputs) const {
    const Array& value = inputs[0];
    Shape shape;
    for (std::size_t i = 1; i < inputs.size(); ++i) shape.push_back(scalar_value(inputs[i]));
    for (std::int64_t d : shape)
        if (d < 0) throw ValueError("alloc(): negative dimension in shape " + shape_text(shape));
    Shape strides(shape.size(), 0);
    const int pad = static_cast<int>(shape.size()) - value.ndim();
    for (int d = 0; d < value.ndim(); ++d) {
        if (value.shape()[d] == shape[pad + d]) strides[pad + d] = value.strides()[d];
        else if (value.shape()[d] != 1)
            throw ValueError("alloc(): the value's shape " + shape_text(value.shape()) + " cannot be broadcast to " +
                             shape_text(shape));
    }
    Array out = Array::uninitialized(value.dtype(), shape);
    copy_into(out, value.view(shape, strides));
    return {out};
}

std::vector<VariablePtr> Alloc::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    const Var value(node.inputs()[0]);
    const Var g = sum_to_broadcast_of(Var(output_grads[0]), value);
    std::vector<VariablePtr> result{cast(g, value.dtype()).node()};
    for (std::size_t i = 1; i < node.inputs().size(); ++i) result.push_back(nullptr);
    return result;
}

std::string Unbroadcast::params() const {
    std::string text;
    for (std::size_t i = 0; i < axes_.size(); ++i) text += (i > 0 ? "," : "") + std::to_string(axes_[i]);
    return text;
}

std::vector<VariablePtr> Unbroadcast::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    return {sum_to_broadcast_of(Var(output_grads[0]), Var(node.inputs()[0])).node()};
}

Var unbroadcast(const Var& x, const std::vector<int>& axes) {
    std::vector<bool> broadcastable = x.broadcastable();
    std::vector<int> resolved;
    for (int axis : axes) {
        const int r = axis < 0 ? axis + x.ndim() : axis;
        if (r < 0 || r >= x.ndim())
            throw ValueError("unbroadcast(): axis " + std::to_string(axis) + " is out of bounds for " + x.str() + " of " +
                             x.type().str());
        if (broadcastable[r]) resolved.push_back(r);
        broadcastable[r] = false;
    }
    if (resolved.empty()) return x;
    std::sort(resolved.begin(), resolved.end());
    return Var(Apply::make(std::make_shared<Unbroadcast>(resolved), {x.node()}, {TensorType(x.dtype(), broadcastable)})
                   ->output(0));
}

Var reshape(const Var& x, const std::vector<Operand>& shape) {
    std::vector<bool> broadcastable;
    std::vector<VariablePtr> inputs{x.node()};
    for (VariablePtr& d : dimension_inputs(shape, broadcastable, "reshape()")) inputs.push_back(std::move(d));
    return Var(Apply::make(std::make_shared<Reshape>(static_cast<int>(shape.size())), std::move(inputs),
                           {TensorType(x.dtype(), broadcastable)})
                   ->output(0));
}

Var flatten(const Var& x, int ndim) {
    if (ndim < 1 || ndim > std::max(x.ndim(), 1))
        throw ValueError("flatten(): ndim " + std::to_string(ndim) + " must be between 1 and " +
                         std::to_string(std::max(x.ndim(), 1)) + " for " + x.str() + " of " + x.type().str());
    std::vector<Operand> shape;
    for (int d = 0; d < ndim - 1; ++d) shape.emplace_back(shape_i(x, d));
    shape.emplace_back(-1);
    return reshape(x, shape);
}

Var join(int axis, const std::vector<Var>& tensors) { return concatenate(tensors, axis); }

Var concatenate(const std::vector<Var>& tensors, int axis) {
    if (tensors.empty()) throw ValueError("concatenate(): needs at least one tensor");
    const int ndim = tensors[0].ndim();
    const int resolved = axis < 0 ? axis + ndim : axis;
    if (resolved < 0 || resolved >= ndim)
        throw ValueError("concatenate(): axis " + std::to_string(axis) + " is out of bounds for " + std::to_string(ndim) +
                         "-d tensors");
    DType dtype = tensors[0].dtype();
    std::vector<bool> broadcastable(ndim, true);
    std::vector<VariablePtr> inputs;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (tensors[i].ndim() != ndim)
            throw ValueError("concatenate(): tensor " + std::to_string(i) + " (" + tensors[i].str() + ") has " +
                             std::to_string(tensors[i].ndim()) + " dimensions, tensor 0 has " + std::to_string(ndim));
        dtype = promote(dtype, tensors[i].dtype());
        for (int d = 0; d < ndim; ++d) broadcastable[d] = broadcastable[d] && tensors[i].broadcastable()[d];
        inputs.push_back(tensors[i].node());
    }
    if (tensors.size() > 1) broadcastable[resolved] = false;
    return Var(Apply::make(std::make_shared<Join>(resolved), std::move(inputs), {TensorType(dtype, broadcastable)})->output(0));
}

Var stack(const std::vector<Var>& tensors, int axis) {
    if (tensors.empty()) throw ValueError("stack(): needs at least one tensor");
    std::vector<Var> expanded;
    for (const Var& t : tensors) expanded.push_back(expand_dims(t, axis < 0 ? axis + t.ndim() + 1 : axis));
    return concatenate(expanded, axis < 0 ? axis + tensors[0].ndim() + 1 : axis);
}

Var alloc(const Operand& value, const std::vector<Operand>& shape) {
    const Var& v = value;
    if (v.ndim() > static_cast<int>(shape.size()))
        throw ValueError("alloc(): the value " + v.str() + " has more dimensions than the shape");
    std::vector<bool> broadcastable;
    std::vector<VariablePtr> inputs{v.node()};
    for (VariablePtr& d : dimension_inputs(shape, broadcastable, "alloc()")) inputs.push_back(std::move(d));
    return Var(Apply::make(std::make_shared<Alloc>(), std::move(inputs), {TensorType(v.dtype(), broadcastable)})->output(0));
}

Var zeros(const std::vector<Operand>& shape, DType dtype) { return alloc(constant_of(0, dtype), shape); }
Var ones(const std::vector<Operand>& shape, DType dtype) { return alloc(constant_of(1, dtype), shape); }

Var squeeze(const Var& x) {
    std::vector<DimShuffle::Entry> order;
    for (int d = 0; d < x.ndim(); ++d)
        if (!x.broadcastable()[d]) order.push_back(d);
    return dimshuffle(x, order);
}

Var expand_dims(const Var& x, int axis) {
    const int resolved = axis < 0 ? axis + x.ndim() + 1 : axis;
    if (resolved < 0 || resolved > x.ndim())
        throw ValueError("expand_dims(): axis " + std::to_string(axis) + " is out of bounds for a " +
                         std::to_string(x.ndim() + 1) + "-d result");
    std::vector<DimShuffle::Entry> order;
    for (int d = 0; d < x.ndim(); ++d) order.push_back(d);
    order.insert(order.begin() + resolved, DimShuffle::new_axis);
    return dimshuffle(x, order);
}

Var tile(const Var& x, const std::vector<int>& reps) {
    if (static_cast<int>(reps.size()) != x.ndim())
        throw ValueError("tile(): " + std::to_string(reps.size()) + " repetitions given for a " + std::to_string(x.ndim()) +
                         "-d tensor; give one per dimension");
    Var result = x;
    for (int d = 0; d < x.ndim(); ++d) {
        if (reps[d] < 1) throw ValueError("tile(): repetitions must be at least 1, got " + std::to_string(reps[d]));
        if (reps[d] > 1) result = concatenate(std::vector<Var>(reps[d], result), d);
    }
    return result;
}

Var repeat(const Var& x, int repeats, int axis) {
    const int resolved = axis < 0 ? axis + x.ndim() : axis;
    if (resolved < 0 || resolved >= x.ndim())
        throw ValueError("repeat(): axis " + std::to_string(axis) + " is out of bounds for a " + std::to_string(x.ndim()) +
                         "-d tensor");
    if (repeats < 1) throw ValueError("repeat(): repeats must be at least 1, got " + std::to_string(repeats));
    if (repeats == 1) return x;
    std::vector<bool> broadcastable = x.type().broadcastable();
    broadcastable[resolved] = false;
    return Var(Apply::make(std::make_shared<Repeat>(repeats, resolved), {x.node()},
                           {TensorType(x.dtype(), std::move(broadcastable))})
                   ->output(0));
}

namespace {

// `shape` with `axis` split in two: (..., shape[axis], repeats, ...).
Shape split_axis(const Shape& shape, int axis, std::int64_t repeats) {
    Shape split = shape;
    split.insert(split.begin() + axis + 1, repeats);
    return split;
}

} // namespace

std::vector<Array> Repeat::perform(const Apply&, const std::vector<Array>& inputs) const {
    const Array& x = inputs[0];
    Shape shape = x.shape();
    shape[axis_] = checked_multiply(shape[axis_], repeats_, "repeat(): the size of the repeated axis");
    Array out = Array::uninitialized(x.dtype(), shape);
    // The output seen as (..., n, repeats, ...), the input broadcast along the repeats.
    Shape out_strides = out.strides();
    out_strides[axis_] = out.strides()[axis_] * repeats_;
    out_strides.insert(out_strides.begin() + axis_ + 1, out.strides()[axis_]);
    Shape x_strides = x.strides();
    x_strides.insert(x_strides.begin() + axis_ + 1, 0);
    const Shape split = split_axis(x.shape(), axis_, repeats_);
    copy_into(out.view(split, out_strides), x.view(split, x_strides));
    return {out};
}

std::vector<VariablePtr> Repeat::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    // Each input slice's gradient is the sum of its repeats' gradients.
    const Var x(node.inputs()[0]);
    if (!is_float(x.dtype())) return {nullptr};
    std::vector<Operand> split = shape_of(x);
    split.insert(split.begin() + axis_ + 1, Operand(repeats_));
    return {sum(reshape(Var(output_grads[0]), split), {axis_ + 1}).node()};
}

// Shape inference: output shapes as graphs of the input shapes.

using shape_inference::Shapes;
using shape_inference::i64;

Shapes Reshape::infer_shape(const Apply& node, const Shapes& in) const {
    // A -1 stands for the size divided by the product of the other dimensions.
    Var size = constant_of(1, DType::int64);
    for (const VariablePtr& d : in[0]) size = size * i64(d);
    Var known = constant_of(1, DType::int64);
    for (int i = 0; i < ndim_; ++i) {
        const Var d = i64(node.inputs()[1 + i]);
        known = known * where(eq(d, -1), 1, d);
    }
    SymbolicShape out;
    for (int i = 0; i < ndim_; ++i) {
        const Var d = i64(node.inputs()[1 + i]);
        out.push_back(where(eq(d, -1), int_div(size, known), d).node());
    }
    return {out};
}

Shapes Alloc::infer_shape(const Apply& node, const Shapes&) const {
    SymbolicShape out(node.inputs().begin() + 1, node.inputs().end());
    return {out};
}

Shapes Repeat::infer_shape(const Apply&, const Shapes& in) const {
    SymbolicShape out = in[0];
    out[axis_] = (i64(in[0][axis_]) * repeats_).node();
    return {out};
}

Shapes Join::infer_shape(const Apply&, const Shapes& in) const {
    SymbolicShape out = in[0];
    Var total = i64(in[0][axis_]);
    for (std::size_t i = 1; i < in.size(); ++i) total = total + i64(in[i][axis_]);
    out[axis_] = total.node();
    return {out};
}

} // namespace kiln
