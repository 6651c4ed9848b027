#include "subtensor.hpp"

#include "index.hpp"
#include "math.hpp"
#include "reduce.hpp"
#include "shape_inference.hpp"

#include "../../ir/errors.hpp"
#include "../../kernels/indexing.hpp"

#include <limits>

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

// y's element strides when broadcast NumPy-style to `shape` (0 along the
// dimensions it repeats); `who` names the call in the error.
Shape broadcast_strides(const Array& y, const Shape& shape, const std::string& who) {
    const int rank = static_cast<int>(shape.size());
    if (y.ndim() > rank)
        throw ValueError(who + ": cannot write a value of shape " + shape_text(y.shape()) + " into a selection of shape " +
                         shape_text(shape));
    Shape strides(shape.size(), 0);
    const int pad = rank - y.ndim();
    for (int d = 0; d < y.ndim(); ++d) {
        const std::int64_t n = y.shape()[d];
        if (n == shape[pad + d]) strides[pad + d] = y.strides()[d];
        else if (n != 1)
            throw ValueError(who + ": shape mismatch: value of shape " + shape_text(y.shape()) +
                             " cannot be broadcast to the selection's shape " + shape_text(shape));
    }
    return strides;
}

// For p = 0, 1, ... in order, adds (or assigns, with `set`) y's block at
// value_offsets[p] into out's block at target_offsets[p]; both blocks have
// `block_shape`, walked with the given strides. y has out's dtype.
void scatter_into(Array& out, const Array& y, bool set, const std::vector<std::int64_t>& target_offsets,
                  const Shape& target_strides, const std::vector<std::int64_t>& value_offsets, const Shape& value_strides,
                  const Shape& block_shape) {
    visit_dtype(out.dtype(), [&](auto tag) {
        using T = decltype(tag);
        kernels::scatter<T>(set, out.mutable_data_as<T>(), target_offsets, target_strides, y.data_as<T>(), value_offsets,
                            value_strides, block_shape);
    });
}

// Adds or assigns `y` (broadcast NumPy-style) into the view `target`.
void write_into(Array& target, const Array& y, bool set, const std::string& who) {
    const Array source = y.dtype() == target.dtype() ? y : y.astype(target.dtype());
    const Shape strides = broadcast_strides(source, target.shape(), who);
    if (target.size() == 0) return;
    scatter_into(target, source, set, {0}, target.strides(), {0}, strides, target.shape());
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

// What an inc/set op writes its result into: x itself when the caller gave
// up the only reference to x's buffer, else a copy of x.
Array result_buffer(const Array& x) { return x.writable_in_place() ? x : x.copy(); }

[[noreturn]] void throw_out_of_bounds(const std::string& given, std::size_t axis, std::int64_t n) {
    throw IndexError("index " + given + " is out of bounds for axis " + std::to_string(axis) + " with size " +
                     std::to_string(n));
}

// The element offset into x of each position of the index arrays broadcast
// to index_shape (C order), after NumPy's wrap of negative indices.
std::vector<std::int64_t> gather_offsets(const Array& x, const std::vector<Array>& indices, const Shape& index_shape) {
    std::vector<std::int64_t> offsets(static_cast<std::size_t>(shape_size(index_shape)), 0);
    if (offsets.empty()) return offsets;
    for (std::size_t k = 0; k < indices.size(); ++k) {
        const Array& a = indices[k];
        const std::int64_t n = x.shape()[k], stride = x.strides()[k];
        const Shape strides = broadcast_strides(a, index_shape, "indexing");
        visit_dtype(a.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* base = a.template data_as<T>();
            std::int64_t* next = offsets.data();
            walk_strided<1>(index_shape, {&strides}, [&](const auto& at) {
                const T given = base[at[0]];
                std::int64_t i = static_cast<std::int64_t>(given);
                if (i < 0) i += n;
                const bool beyond = std::is_unsigned_v<T> && sizeof(T) == 8 &&
                                    given > static_cast<T>(std::numeric_limits<std::int64_t>::max());
                if (beyond || i < 0 || i >= n) throw_out_of_bounds(std::to_string(given), k, n);
                *next++ += i * stride;
            });
        });
    }
    return offsets;
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
    Array out = result_buffer(inputs[0]);
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
    const auto first_rest = static_cast<long>(indices.size());
    const Shape index_shape = broadcast_shapes(indices);
    const Shape rest_shape(x.shape().begin() + first_rest, x.shape().end());
    const Shape rest_strides(x.strides().begin() + first_rest, x.strides().end());
    Shape out_shape = index_shape;
    out_shape.insert(out_shape.end(), rest_shape.begin(), rest_shape.end());
    Array out = Array::uninitialized(x.dtype(), out_shape);
    const auto element_bytes = static_cast<std::size_t>(dtype_size(x.dtype()));
    const Array& ids = indices[0];
    if (indices.size() == 1 && is_discrete(ids.dtype()) && ids.dtype() != DType::bool_ &&
        (ids.ndim() <= 1 || ids.is_c_contiguous())) {
        // One index array walked in order: the ids are checked and used in one pass.
        visit_dtype(ids.dtype(), [&](auto tag) {
            using I = decltype(tag);
            if constexpr (!std::is_same_v<I, bool> && std::is_integral_v<I>) {
                const std::int64_t failure = kernels::gather_along(
                    element_bytes, x.data(), x.shape()[0], x.strides()[0], ids.data_as<I>(),
                    ids.ndim() == 1 ? ids.strides()[0] : 1, ids.size(), rest_shape, rest_strides, out.mutable_data());
                if (failure >= 0) throw_out_of_bounds(std::to_string(ids.value_at<I>(failure)), 0, x.shape()[0]);
            } else {
                throw InternalError("AdvancedSubtensor: index array of " + std::string(dtype_name(ids.dtype())));
            }
        });
        return {out};
    }
    const std::vector<std::int64_t> offsets = gather_offsets(x, indices, index_shape);
    kernels::gather(element_bytes, x.data(), offsets, rest_shape, rest_strides, out.mutable_data());
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
    Array out = result_buffer(inputs[0]);
    const Array y = inputs[1].dtype() == out.dtype() ? inputs[1] : inputs[1].astype(out.dtype());
    const std::vector<Array> indices(inputs.begin() + 2, inputs.end());
    const auto first_rest = static_cast<long>(indices.size());
    const Shape index_shape = broadcast_shapes(indices);
    const Shape rest_shape(out.shape().begin() + first_rest, out.shape().end());
    const Shape rest_strides(out.strides().begin() + first_rest, out.strides().end());
    // y broadcasts to the gathered shape: the index positions, then the rest.
    Shape full_shape = index_shape;
    full_shape.insert(full_shape.end(), rest_shape.begin(), rest_shape.end());
    const Shape y_strides = broadcast_strides(y, full_shape, set_ ? "set_subtensor()" : "inc_subtensor()");
    const auto index_rank = static_cast<long>(index_shape.size());
    const Shape y_index_strides(y_strides.begin(), y_strides.begin() + index_rank);
    const Shape y_block_strides(y_strides.begin() + index_rank, y_strides.end());
    const std::vector<std::int64_t> offsets = gather_offsets(out, indices, index_shape);
    std::vector<std::int64_t> value_offsets;
    value_offsets.reserve(offsets.size());
    walk_strided<1>(index_shape, {&y_index_strides}, [&](const auto& at) { value_offsets.push_back(at[0]); });
    scatter_into(out, y, set_, offsets, rest_strides, value_offsets, y_block_strides, rest_shape);
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

Slice slice(const Bound& start, const Bound& stop, const Bound& step) {
    Slice s;
    if (start) s.start = static_cast<const Var&>(*start);
    if (stop) s.stop = static_cast<const Var&>(*stop);
    if (step) s.step = static_cast<const Var&>(*step);
    return s;
}

Var subtensor(const Var& x, const std::vector<Index>& given) {
    if (static_cast<int>(given.size()) > x.ndim())
        throw IndexError("too many indices for array: " + x.str() + " of " + x.type().str() + " has " +
                         std::to_string(x.ndim()) + " dimensions but " + std::to_string(given.size()) + " were indexed");
    // With integer tensors, trailing full slices select what no index
    // would: x[[i, j], :] is x[[i, j]] (advanced indexing takes no slices).
    std::vector<Index> index = given;
    const auto is_tensor = [](const Index& i) { return !i.is_slice() && i.as_var().ndim() > 0; };
    const auto is_full_slice = [](const Index& i) {
        return i.is_slice() && !i.as_slice().start && !i.as_slice().stop && !i.as_slice().step;
    };
    if (std::any_of(index.begin(), index.end(), is_tensor))
        while (is_full_slice(index.back())) index.pop_back();
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

Var Var::operator[](const Index& index) const { return subtensor(*this, {index}); }
Var Var::operator[](std::initializer_list<Index> index) const { return subtensor(*this, std::vector<Index>(index)); }

namespace {

const char* const index_op_names[] = {"Subtensor", "IncSubtensor", "AdvancedSubtensor", "AdvancedIncSubtensor"};

// The integer scalars that fill the entries' integer and bound slots.
std::vector<Var> entry_values(const std::vector<IndexEntry>& entries, const Var& x, const std::vector<Var>& values) {
    if (entries.size() > static_cast<std::size_t>(x.ndim()))
        throw IndexError("too many indices: " + x.str() + " of " + x.type().str() + " indexed with " +
                         std::to_string(entries.size()) + " entries");
    std::size_t slots = 0;
    for (const IndexEntry& e : entries)
        slots += e.is_slice ? (e.has_start ? 1 : 0) + (e.has_stop ? 1 : 0) + (e.has_step ? 1 : 0) : 1;
    if (values.size() != slots)
        throw TypeError("the index entries take " + std::to_string(slots) + " integer inputs, got " +
                        std::to_string(values.size()));
    for (const Var& v : values) check_integer_scalar(v, "an index value");
    return values;
}

void check_index_arrays(const Var& x, const std::vector<Var>& indices) {
    if (indices.empty() || indices.size() > static_cast<std::size_t>(x.ndim()))
        throw IndexError("advanced indexing of " + x.str() + " of " + x.type().str() + " takes 1 to " +
                         std::to_string(x.ndim()) + " index tensors, got " + std::to_string(indices.size()));
    for (const Var& i : indices)
        if (!is_discrete(i.dtype()) || i.dtype() == DType::bool_)
            throw IndexError("advanced indexing: index " + i.str() + " of " + i.type().str() + " is not an integer tensor");
}

void check_written_value(const Var& x, const Var& y, int selection_rank) {
    if (y.ndim() > selection_rank)
        throw ValueError("cannot write " + y.str() + " of " + y.type().str() + " into a " +
                         std::to_string(selection_rank) + "-d selection of " + x.str());
}

} // namespace

std::vector<IndexEntry> entries_from_text(std::string_view text) {
    std::vector<IndexEntry> entries;
    if (text.empty()) return entries;
    std::size_t begin = 0;
    while (true) {
        const std::size_t comma = text.find(',', begin);
        std::string_view entry = text.substr(begin, comma == std::string_view::npos ? text.size() - begin : comma - begin);
        while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
        IndexEntry e;
        if (entry != "int64") {
            e.is_slice = true;
            bool* parts[] = {&e.has_start, &e.has_stop, &e.has_step};
            std::size_t part = 0, from = 0;
            while (true) {
                const std::size_t colon = entry.find(':', from);
                const std::string_view bound = entry.substr(from, colon == std::string_view::npos ? entry.size() - from : colon - from);
                if (part >= 3 || (bound != "int64" && !bound.empty()))
                    throw ValueError("'" + std::string(entry) + "' is not an index entry (int64, or a slice such as int64::)");
                *parts[part++] = !bound.empty();
                if (colon == std::string_view::npos) break;
                from = colon + 1;
            }
            if (part != 3) throw ValueError("'" + std::string(entry) + "' is not an index entry (int64, or a slice such as int64::)");
        }
        entries.push_back(e);
        if (comma == std::string_view::npos) break;
        begin = comma + 1;
    }
    return entries;
}

Var subtensor_node(const std::vector<IndexEntry>& entries, const std::vector<Var>& inputs) {
    check_input_count(index_op_names[0], inputs, 1);
    const std::vector<Var> values(inputs.begin() + 1, inputs.end());
    return make_subtensor(inputs[0], entries, entry_values(entries, inputs[0], values));
}

Var inc_subtensor_node(const std::vector<IndexEntry>& entries, bool set, const std::vector<Var>& inputs) {
    check_input_count(index_op_names[1], inputs, 2);
    const std::vector<Var> values(inputs.begin() + 2, inputs.end());
    entry_values(entries, inputs[0], values);
    int selection_rank = inputs[0].ndim();
    for (const IndexEntry& e : entries) selection_rank -= e.is_slice ? 0 : 1;
    check_written_value(inputs[0], inputs[1], selection_rank);
    return make_inc_subtensor(inputs[0], inputs[1], entries, values, set);
}

Var advanced_subtensor_node(const std::vector<Var>& inputs) {
    check_input_count(index_op_names[2], inputs, 2);
    const std::vector<Var> indices(inputs.begin() + 1, inputs.end());
    check_index_arrays(inputs[0], indices);
    return make_advanced(inputs[0], indices);
}

Var advanced_inc_subtensor_node(bool set, const std::vector<Var>& inputs) {
    check_input_count(index_op_names[3], inputs, 3);
    const std::vector<Var> indices(inputs.begin() + 2, inputs.end());
    check_index_arrays(inputs[0], indices);
    int index_rank = 0;
    for (const Var& i : indices) index_rank = std::max(index_rank, i.ndim());
    check_written_value(inputs[0], inputs[1], index_rank + inputs[0].ndim() - static_cast<int>(indices.size()));
    return make_advanced_inc(inputs[0], inputs[1], indices, set);
}

// Shape inference: output shapes as graphs of the input shapes.

using shape_inference::Shapes;
using shape_inference::i64;
using shape_inference::same_as;

Shapes IncSubtensor::infer_shape(const Apply&, const Shapes& in) const { return {same_as(in)}; }

Shapes AdvancedIncSubtensor::infer_shape(const Apply&, const Shapes& in) const { return {same_as(in)}; }

Shapes Subtensor::infer_shape(const Apply& node, const Shapes& in) const {
    SymbolicShape out;
    std::size_t next = 1;
    for (std::size_t axis = 0; axis < in[0].size(); ++axis) {
        if (axis >= entries_.size()) {
            out.push_back(in[0][axis]);
            continue;
        }
        const IndexEntry& e = entries_[axis];
        if (!e.is_slice) {
            ++next;
            continue;
        }
        // Python's slice.indices(n) and the length it gives, symbolically.
        const Var n = i64(in[0][axis]);
        const std::optional<Var> start = e.has_start ? std::optional(i64(node.inputs()[next++])) : std::nullopt;
        const std::optional<Var> stop = e.has_stop ? std::optional(i64(node.inputs()[next++])) : std::nullopt;
        const Var step = e.has_step ? i64(node.inputs()[next++]) : constant_of(1, DType::int64);
        const Var forward = step > 0;
        auto bound = [&](const std::optional<Var>& v, const Var& fallback) {
            if (!v) return fallback;
            const Var wrapped = where(*v < 0, *v + n, *v);
            return where(forward, clip(wrapped, 0, n), clip(wrapped, -1, n - 1));
        };
        const Var first = bound(start, where(forward, 0, n - 1));
        const Var last = bound(stop, where(forward, n, -1));
        out.push_back(maximum(constant_of(0, DType::int64), -int_div(first - last, step)).node());
    }
    return {out};
}

Shapes AdvancedSubtensor::infer_shape(const Apply& node, const Shapes& in) const {
    std::size_t rank = 0;
    for (std::size_t k = 1; k < in.size(); ++k) rank = std::max(rank, in[k].size());
    SymbolicShape out;
    for (std::size_t d = 0; d < rank; ++d) {
        Var dim = constant_of(1, DType::int64);
        for (std::size_t k = 1; k < in.size(); ++k) {
            const std::size_t n = in[k].size();
            if (d + n >= rank) dim = maximum(dim, i64(in[k][d + n - rank]));
        }
        out.push_back(dim.node());
    }
    const std::size_t indexed = node.inputs().size() - 1;
    for (std::size_t d = indexed; d < in[0].size(); ++d) out.push_back(in[0][d]);
    return {out};
}

} // namespace kiln
