#include "subtensor.hpp"

#include "index.hpp"
#include "math.hpp"
#include "reduce.hpp"

#include "../ir/errors.hpp"

namespace kiln {

namespace {

std::int64_t integer_value(const Array& a) { return a.value_at<std::int64_t>(0); }

struct Layout {
    Shape shape, strides;
    std::int64_t offset = 0;
};

// NumPy's basic indexing of `x`: integers drop an axis, slices keep it.
Layout basic_index(const Array& x, const std::vector<IndexEntry>& entries, const std::vector<Array>& values) {
    Layout layout;
    std::size_t next = 0;
    for (int axis = 0; axis < x.ndim(); ++axis) {
        const std::int64_t n = x.shape()[axis], stride = x.strides()[axis];
        if (axis >= static_cast<int>(entries.size())) {
            layout.shape.push_back(n);
            layout.strides.push_back(stride);
            continue;
        }
        const IndexEntry& e = entries[axis];
        if (!e.is_slice) {
            std::int64_t i = integer_value(values[next++]);
            const std::int64_t given = i;
            if (i < 0) i += n;
            if (i < 0 || i >= n)
                throw IndexError("index " + std::to_string(given) + " is out of bounds for axis " + std::to_string(axis) +
                                 " with size " + std::to_string(n));
            layout.offset += i * stride;
            continue;
        }
        const std::int64_t start = e.has_start ? integer_value(values[next++]) : 0;
        const std::int64_t stop = e.has_stop ? integer_value(values[next++]) : 0;
        const std::int64_t step = e.has_step ? integer_value(values[next++]) : 1;
        if (step == 0) throw ValueError("slice step cannot be zero");
        // Python's slice.indices(n).
        auto clamp = [&](bool given, std::int64_t v, std::int64_t fallback) {
            if (!given) return fallback;
            const std::int64_t value = v < 0 ? v + n : v;
            if (step > 0) return std::clamp<std::int64_t>(value, 0, n);
            return std::clamp<std::int64_t>(value, -1, n - 1);
        };
        const std::int64_t first = clamp(e.has_start, start, step > 0 ? 0 : n - 1);
        const std::int64_t last = clamp(e.has_stop, stop, step > 0 ? n : -1);
        const std::int64_t length =
            step > 0 ? std::max<std::int64_t>(0, (last - first + step - 1) / step)
                     : std::max<std::int64_t>(0, (first - last + (-step) - 1) / (-step));
        if (length > 0) layout.offset += first * stride;
        layout.shape.push_back(length);
        layout.strides.push_back(stride * step);
    }
    return layout;
}

// Adds or assigns `y` (broadcast NumPy-style) into the view `target`.
void write_into(Array& target, const Array& y, bool set, const std::string& who) {
    const Array source = y.dtype() == target.dtype() ? y : y.astype(target.dtype());
    if (source.ndim() > target.ndim())
        throw ValueError(who + ": cannot write a value of shape " + shape_text(y.shape()) + " into a selection of shape " +
                         shape_text(target.shape()));
    Shape strides(target.ndim(), 0);
    const int pad = target.ndim() - source.ndim();
    for (int d = 0; d < source.ndim(); ++d) {
        const std::int64_t n = source.shape()[d];
        if (n == target.shape()[pad + d]) strides[pad + d] = source.strides()[d];
        else if (n != 1)
            throw ValueError(who + ": shape mismatch: value of shape " + shape_text(y.shape()) +
                             " cannot be broadcast to the selection's shape " + shape_text(target.shape()));
    }
    visit_dtype(target.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* dst = reinterpret_cast<T*>(target.mutable_data());
        const T* src = source.data_as<T>();
        const Shape target_strides = target.strides();
        walk_strided<2>(target.shape(), {&target_strides, &strides}, [&](const auto& at) {
            if (set) dst[at[0]] = src[at[1]];
            else if constexpr (std::is_same_v<T, bool>) dst[at[0]] = dst[at[0]] || src[at[1]];
            else dst[at[0]] = static_cast<T>(dst[at[0]] + src[at[1]]);
        });
    });
}

std::string entries_text(const std::vector<IndexEntry>& entries) {
    std::string text;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const IndexEntry& e = entries[i];
        if (i > 0) text += ", ";
        if (!e.is_slice) {
            text += "int64";
            continue;
        }
        text += std::string(e.has_start ? "int64" : "") + ":" + (e.has_stop ? "int64" : "") + ":" + (e.has_step ? "int64" : "");
    }
    return text;
}

std::vector<Var> index_inputs(const Apply& node, std::size_t first) {
    return std::vector<Var>(node.inputs().begin() + static_cast<long>(first), node.inputs().end());
}

Var make_subtensor(const Var& x, const std::vector<IndexEntry>& entries, const std::vector<Var>& values) {
    std::vector<bool> broadcastable;
    for (int d = 0; d < x.ndim(); ++d) {
        if (d >= static_cast<int>(entries.size())) broadcastable.push_back(x.broadcastable()[d]);
        else if (entries[d].is_slice) broadcastable.push_back(false);
    }
    std::vector<VariablePtr> inputs{x.node()};
    for (const Var& v : values) inputs.push_back(v.node());
    return Var(Apply::make(std::make_shared<Subtensor>(entries), std::move(inputs), {TensorType(x.dtype(), broadcastable)})
                   ->output(0));
}

Var make_inc_subtensor(const Var& x, const Var& y, const std::vector<IndexEntry>& entries, const std::vector<Var>& values,
                       bool set) {
    std::vector<VariablePtr> inputs{x.node(), y.node()};
    for (const Var& v : values) inputs.push_back(v.node());
    return Var(Apply::make(std::make_shared<IncSubtensor>(entries, set), std::move(inputs), {x.type()})->output(0));
}

Var make_advanced(const Var& x, const std::vector<Var>& indices) {
    int rank = 0;
    for (const Var& i : indices) rank = std::max(rank, i.ndim());
    std::vector<bool> broadcastable(rank, true);
    for (const Var& i : indices)
        for (int d = 0; d < i.ndim(); ++d)
            broadcastable[rank - i.ndim() + d] = broadcastable[rank - i.ndim() + d] && i.broadcastable()[d];
    for (int d = static_cast<int>(indices.size()); d < x.ndim(); ++d) broadcastable.push_back(x.broadcastable()[d]);
    std::vector<VariablePtr> inputs{x.node()};
    for (const Var& v : indices) inputs.push_back(v.node());
    return Var(Apply::make(std::make_shared<AdvancedSubtensor>(), std::move(inputs), {TensorType(x.dtype(), broadcastable)})
                   ->output(0));
}

Var make_advanced_inc(const Var& x, const Var& y, const std::vector<Var>& indices, bool set) {
    std::vector<VariablePtr> inputs{x.node(), y.node()};
    for (const Var& v : indices) inputs.push_back(v.node());
    return Var(Apply::make(std::make_shared<AdvancedIncSubtensor>(set), std::move(inputs), {x.type()})->output(0));
}

void check_integer_scalar(const Var& v, const char* what) {
    if (!is_discrete(v.dtype()) || v.dtype() == DType::bool_ || v.ndim() != 0)
        throw TypeError(std::string("indexing: ") + what + " must be an integer scalar, got " + v.str() + " of " +
                        v.type().str());
}

// Broadcast shape of the index arrays, NumPy-style.
Shape broadcast_shapes(const std::vector<Array>& arrays) {
    std::size_t rank = 0;
    for (const Array& a : arrays) rank = std::max<std::size_t>(rank, a.ndim());
    Shape shape(rank, 1);
    for (const Array& a : arrays)
        for (int d = 0; d < a.ndim(); ++d) {
            std::int64_t& s = shape[rank - a.ndim() + d];
            const std::int64_t n = a.shape()[d];
            if (s == 1) s = n;
            else if (n != 1 && n != s)
                throw IndexError("shape mismatch: indexing arrays could not be broadcast together with shapes " +
                                 shape_text(arrays[0].shape()) + " and " + shape_text(a.shape()));
        }
    return shape;
}

// Calls f(source_offset_in_x, position) for each gathered position.
template <class F> void for_each_gather(const Array& x, const std::vector<Array>& indices, const Shape& index_shape, F&& f) {
    std::vector<Shape> strides;
    for (const Array& a : indices) {
        Shape s(index_shape.size(), 0);
        for (int d = 0; d < a.ndim(); ++d)
            if (a.shape()[d] != 1) s[index_shape.size() - a.ndim() + d] = a.strides()[d];
        strides.push_back(std::move(s));
    }
    std::vector<std::vector<std::int64_t>> values;
    for (const Array& a : indices) values.push_back(a.astype(DType::int64).reshaped({a.size()}).to_vector<std::int64_t>());
    // Element offsets of each index array in its own (contiguous) storage.
    std::vector<Shape> contiguous;
    for (const Array& a : indices) {
        Shape s(index_shape.size(), 0);
        const Shape c = c_strides(a.shape());
        for (int d = 0; d < a.ndim(); ++d)
            if (a.shape()[d] != 1) s[index_shape.size() - a.ndim() + d] = c[d];
        contiguous.push_back(std::move(s));
    }
    std::int64_t position = 0;
    std::vector<std::int64_t> index(index_shape.size(), 0);
    const std::int64_t total = shape_size(index_shape);
    for (; position < total; ++position) {
        std::int64_t remainder = position;
        for (std::size_t d = index_shape.size(); d-- > 0;) {
            index[d] = remainder % index_shape[d];
            remainder /= index_shape[d];
        }
        std::int64_t offset = 0;
        for (std::size_t k = 0; k < indices.size(); ++k) {
            std::int64_t at = 0;
            for (std::size_t d = 0; d < index.size(); ++d) at += index[d] * contiguous[k][d];
            std::int64_t i = values[k][at];
            const std::int64_t n = x.shape()[k];
            if (i < 0) i += n;
            if (i < 0 || i >= n)
                throw IndexError("index " + std::to_string(values[k][at]) + " is out of bounds for axis " +
                                 std::to_string(k) + " with size " + std::to_string(n));
            offset += i * x.strides()[k];
        }
        f(offset, position);
    }
}

} // namespace

std::string Subtensor::params() const { return entries_text(entries_); }
std::string Subtensor::name() const { return "Subtensor{" + params() + "}"; }

std::string Subtensor::pp(const Apply&, const std::vector<std::string>& inputs) const {
    std::string text = inputs[0] + "[";
    std::size_t next = 1;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const IndexEntry& e = entries_[i];
        if (i > 0) text += ", ";
        if (!e.is_slice) {
            text += inputs[next++];
            continue;
        }
        if (e.has_start) text += inputs[next++];
        text += ":";
        if (e.has_stop) text += inputs[next++];
        if (e.has_step) text += ":" + inputs[next++];
    }
    return text + "]";
}

std::vector<Array> Subtensor::perform(const Apply&, const std::vector<Array>& inputs) const {
    const std::vector<Array> values(inputs.begin() + 1, inputs.end());
    const Layout layout = basic_index(inputs[0], entries_, values);
    return {inputs[0].view(layout.shape, layout.strides, layout.offset)};
}

std::vector<VariablePtr> Subtensor::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    const Var x(node.inputs()[0]);
    std::vector<VariablePtr> result{make_inc_subtensor(zeros_like(x), Var(output_grads[0]), entries_, index_inputs(node, 1),
                                                       false)
                                        .node()};
    for (std::size_t i = 1; i < node.inputs().size(); ++i) result.push_back(nullptr);
    return result;
}

std::string IncSubtensor::params() const { return std::string(set_ ? "set|" : "inc|") + entries_text(entries_); }
std::string IncSubtensor::name() const {
    return std::string(set_ ? "SetSubtensor{" : "IncSubtensor{") + entries_text(entries_) + "}";
}

std::vector<Array> IncSubtensor::perform(const Apply&, const std::vector<Array>& inputs) const {
    Array out = inputs[0].copy();
    const std::vector<Array> values(inputs.begin() + 2, inputs.end());
    const Layout layout = basic_index(out, entries_, values);
    Array target = out.view(layout.shape, layout.strides, layout.offset);
    write_into(target, inputs[1], set_, set_ ? "set_subtensor()" : "inc_subtensor()");
    return {out};
}

std::vector<VariablePtr> IncSubtensor::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    const Var gz(output_grads[0]);
    const Var y(node.inputs()[1]);
    const std::vector<Var> values = index_inputs(node, 2);
    const Var gx = set_ ? make_inc_subtensor(gz, zeros_like(y), entries_, values, true) : gz;
    Var gy = make_subtensor(gz, entries_, values);
    // y was broadcast into the selection: sum back to y's shape.
    gy = sum_to_broadcast_of(gy, y);
    std::vector<VariablePtr> result{gx.node(), cast(gy, y.dtype()).node()};
    for (std::size_t i = 2; i < node.inputs().size(); ++i) result.push_back(nullptr);
    return result;
}

std::string AdvancedSubtensor::pp(const Apply&, const std::vector<std::string>& inputs) const {
    std::string text = inputs[0] + "[";
    for (std::size_t i = 1; i < inputs.size(); ++i) text += (i > 1 ? ", " : "") + inputs[i];
    return text + "]";
}

std::vector<Array> AdvancedSubtensor::perform(const Apply&, const std::vector<Array>& inputs) const {
    const Array& x = inputs[0];
    const std::vector<Array> indices(inputs.begin() + 1, inputs.end());
    const Shape index_shape = broadcast_shapes(indices);
    Shape rest_shape(x.shape().begin() + static_cast<long>(indices.size()), x.shape().end());
    Shape rest_strides(x.strides().begin() + static_cast<long>(indices.size()), x.strides().end());
    Shape out_shape = index_shape;
    out_shape.insert(out_shape.end(), rest_shape.begin(), rest_shape.end());
    Array out = Array::zeros(x.dtype(), out_shape);
    const std::int64_t block = shape_size(rest_shape);
    for_each_gather(x, indices, index_shape, [&](std::int64_t offset, std::int64_t position) {
        Array source = x.view(rest_shape, rest_strides, offset);
        Array target = out.view(rest_shape, c_strides(rest_shape), position * block);
        write_into(target, source, true, "AdvancedSubtensor");
    });
    return {out};
}

std::vector<VariablePtr> AdvancedSubtensor::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    const Var x(node.inputs()[0]);
    const std::vector<Var> indices = index_inputs(node, 1);
    std::vector<VariablePtr> result{make_advanced_inc(zeros_like(x), Var(output_grads[0]), indices, false).node()};
    for (std::size_t i = 1; i < node.inputs().size(); ++i) result.push_back(nullptr);
    return result;
}

std::vector<Array> AdvancedIncSubtensor::perform(const Apply&, const std::vector<Array>& inputs) const {
    Array out = inputs[0].copy();
    const Array& y = inputs[1];
    const std::vector<Array> indices(inputs.begin() + 2, inputs.end());
    const Shape index_shape = broadcast_shapes(indices);
    Shape rest_shape(out.shape().begin() + static_cast<long>(indices.size()), out.shape().end());
    Shape rest_strides(out.strides().begin() + static_cast<long>(indices.size()), out.strides().end());
    // y broadcast to the gathered shape, then walked one block at a time.
    Shape full_shape = index_shape;
    full_shape.insert(full_shape.end(), rest_shape.begin(), rest_shape.end());
    Array expanded = Array::zeros(out.dtype(), full_shape);
    write_into(expanded, y, true, set_ ? "set_subtensor()" : "inc_subtensor()");
    const std::int64_t block = shape_size(rest_shape);
    for_each_gather(out, indices, index_shape, [&](std::int64_t offset, std::int64_t position) {
        Array target = out.view(rest_shape, rest_strides, offset);
        write_into(target, expanded.view(rest_shape, c_strides(rest_shape), position * block), set_, "inc_subtensor()");
    });
    return {out};
}

std::vector<VariablePtr> AdvancedIncSubtensor::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    const Var gz(output_grads[0]);
    const Var y(node.inputs()[1]);
    const std::vector<Var> indices = index_inputs(node, 2);
    const Var gx = set_ ? make_advanced_inc(gz, zeros_like(y), indices, true) : gz;
    const Var gy = sum_to_broadcast_of(make_advanced(gz, indices), y);
    std::vector<VariablePtr> result{gx.node(), cast(gy, y.dtype()).node()};
    for (std::size_t i = 2; i < node.inputs().size(); ++i) result.push_back(nullptr);
    return result;
}

std::vector<Array> NonZero::perform(const Apply& node, const std::vector<Array>& inputs) const {
    // With a second input, the mask indexes it: their leading shapes must agree.
    if (inputs.size() == 2)
        for (int d = 0; d < inputs[0].ndim(); ++d)
            if (inputs[0].shape()[d] != inputs[1].shape()[d])
                throw IndexError("boolean index did not match indexed array along dimension " + std::to_string(d) +
                                 "; dimension is " + std::to_string(inputs[1].shape()[d]) +
                                 " but corresponding boolean dimension is " + std::to_string(inputs[0].shape()[d]));
    const Array flags = inputs[0].astype(DType::bool_);
    const std::vector<bool> values = flags.to_vector<bool>();
    std::vector<std::vector<std::int64_t>> positions(static_cast<std::size_t>(node.num_outputs()));
    const Shape& shape = flags.shape();
    for (std::size_t flat = 0; flat < values.size(); ++flat) {
        if (!values[flat]) continue;
        std::int64_t rest = static_cast<std::int64_t>(flat);
        for (std::size_t d = shape.size(); d-- > 0;) {
            positions[d].push_back(rest % shape[d]);
            rest /= shape[d];
        }
    }
    std::vector<Array> out;
    for (const auto& p : positions) out.push_back(Array::from_values(p));
    return out;
}

std::vector<VariablePtr> NonZero::grad(const Apply& node, const std::vector<VariablePtr>&) const {
    return std::vector<VariablePtr>(node.inputs().size(), nullptr);
}

namespace {

std::vector<Var> nonzero_of(const Var& x, const Var& indexed) {
    if (x.ndim() == 0) throw ValueError("nonzero(): " + x.str() + " is 0-d; index with a tensor of rank 1 or more");
    std::vector<TensorType> types(x.ndim(), TensorType(DType::int64, {false}));
    std::vector<VariablePtr> inputs{x.node()};
    if (indexed) inputs.push_back(indexed.node());
    const ApplyPtr node = Apply::make(std::make_shared<NonZero>(), std::move(inputs), types);
    std::vector<Var> result;
    for (const VariablePtr& v : node->outputs()) result.emplace_back(v);
    return result;
}

} // namespace

std::vector<Var> nonzero(const Var& x) { return nonzero_of(x, Var()); }

std::string ARange::pp(const Apply&, const std::vector<std::string>& inputs) const {
    return "arange(" + inputs[0] + ", " + inputs[1] + ", " + inputs[2] + ")";
}

std::vector<Array> ARange::perform(const Apply&, const std::vector<Array>& inputs) const {
    const std::int64_t start = integer_value(inputs[0]), stop = integer_value(inputs[1]), step = integer_value(inputs[2]);
    if (step == 0) throw ValueError("arange(): step cannot be zero");
    const std::int64_t length =
        step > 0 ? std::max<std::int64_t>(0, (stop - start + step - 1) / step) : std::max<std::int64_t>(0, (start - stop - step - 1) / -step);
    std::vector<std::int64_t> values(static_cast<std::size_t>(length));
    for (std::int64_t i = 0; i < length; ++i) values[i] = start + i * step;
    return {Array::from_values(values)};
}

std::vector<VariablePtr> ARange::grad(const Apply&, const std::vector<VariablePtr>&) const {
    return {nullptr, nullptr, nullptr};
}

Slice slice(const Bound& start, const Bound& stop, const Bound& step) {
    Slice s;
    if (start) s.start = static_cast<const Var&>(*start);
    if (stop) s.stop = static_cast<const Var&>(*stop);
    if (step) s.step = static_cast<const Var&>(*step);
    return s;
}

Var subtensor(const Var& x, const std::vector<Index>& index) {
    if (static_cast<int>(index.size()) > x.ndim())
        throw IndexError("too many indices for array: " + x.str() + " of " + x.type().str() + " has " +
                         std::to_string(x.ndim()) + " dimensions but " + std::to_string(index.size()) + " were indexed");
    bool any_tensor = false, any_basic = false;
    for (const Index& i : index) {
        if (!i.is_slice() && i.as_var().ndim() > 0) any_tensor = true;
        else any_basic = true;
    }
    if (any_tensor) {
        // Advanced indexing: integer tensors (a boolean mask stands for the
        // positions of its true elements) on the leading axes.
        std::vector<Var> indices;
        for (std::size_t k = 0; k < index.size(); ++k) {
            if (index[k].is_slice())
                throw IndexError("indexing " + x.str() + ": slices mixed with integer tensors are not supported; "
                                 "index the leading axes with tensors and slice afterwards");
            const Var& v = index[k].as_var();
            if (v.dtype() == DType::bool_) {
                if (index.size() != 1 || v.ndim() > x.ndim())
                    throw IndexError("indexing " + x.str() + ": a boolean mask must be the only index and have at most " +
                                     std::to_string(x.ndim()) + " dimensions");
                return make_advanced(x, nonzero_of(v, x));
            }
            if (!is_discrete(v.dtype()))
                throw TypeError("indexing " + x.str() + ": index " + std::to_string(k) + " (" + v.str() + ") is " +
                                std::string(dtype_name(v.dtype())) + "; indices must be integers");
            indices.push_back(v);
        }
        (void)any_basic;
        return make_advanced(x, indices);
    }
    std::vector<IndexEntry> entries;
    std::vector<Var> values;
    for (const Index& i : index) {
        IndexEntry e;
        if (!i.is_slice()) {
            check_integer_scalar(i.as_var(), "an index");
            values.push_back(i.as_var());
        } else {
            const Slice& s = i.as_slice();
            e.is_slice = true;
            for (auto [part, flag] : {std::pair{&s.start, &e.has_start}, {&s.stop, &e.has_stop}, {&s.step, &e.has_step}}) {
                if (!*part) continue;
                check_integer_scalar(**part, "a slice bound");
                *flag = true;
                values.push_back(**part);
            }
        }
        entries.push_back(e);
    }
    return make_subtensor(x, entries, values);
}

namespace {

Var write_subtensor(const Var& view, const Operand& y_operand, bool set) {
    const Var& y = y_operand;
    const ApplyPtr owner = view.owner();
    const char* who = set ? "set_subtensor()" : "inc_subtensor()";
    if (y.ndim() > view.ndim())
        throw ValueError(std::string(who) + ": the value " + y.str() + " has more dimensions (" + std::to_string(y.ndim()) +
                         ") than the selection (" + std::to_string(view.ndim()) + ")");
    if (owner) {
        if (const auto* op = dynamic_cast<const Subtensor*>(&owner->op()))
            return make_inc_subtensor(Var(owner->inputs()[0]), cast(y, view.dtype()), op->entries(), index_inputs(*owner, 1),
                                      set);
        if (dynamic_cast<const AdvancedSubtensor*>(&owner->op()))
            return make_advanced_inc(Var(owner->inputs()[0]), cast(y, view.dtype()), index_inputs(*owner, 1), set);
    }
    throw TypeError(std::string(who) + ": " + view.str() + " is not an indexing of a tensor (write x[index] as the first argument)");
}

} // namespace

Var set_subtensor(const Var& view, const Operand& y) { return write_subtensor(view, y, true); }
Var inc_subtensor(const Var& view, const Operand& y) { return write_subtensor(view, y, false); }

Var arange(const Operand& stop) { return arange(0, stop, 1); }

Var arange(const Operand& start, const Operand& stop, const Operand& step) {
    std::vector<VariablePtr> inputs;
    for (const Var* v : {&static_cast<const Var&>(start), &static_cast<const Var&>(stop), &static_cast<const Var&>(step)}) {
        check_integer_scalar(*v, "an arange bound");
        inputs.push_back(cast(*v, DType::int64).node());
    }
    return Var(Apply::make(std::make_shared<ARange>(), std::move(inputs), {TensorType(DType::int64, {false})})->output(0));
}

Var Var::operator[](const Index& index) const { return subtensor(*this, {index}); }
Var Var::operator[](std::initializer_list<Index> index) const { return subtensor(*this, std::vector<Index>(index)); }

} // namespace kiln
