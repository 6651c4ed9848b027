// Shape inference: each op's output shapes as symbolic expressions of its
// input shapes, so shapes are known without computing values.
#include "cast.hpp"
#include "dimshuffle.hpp"
#include "dot.hpp"
#include "elemwise.hpp"
#include "layout.hpp"
#include "math.hpp"
#include "nnet.hpp"
#include "reduce.hpp"
#include "shape.hpp"
#include "subtensor.hpp"

#include "../../ir/walk.hpp"

#include <unordered_map>

namespace kiln {

namespace {

using Shapes = std::vector<SymbolicShape>;

VariablePtr one() { return constant_of(1, DType::int64).node(); }
Var i64(const VariablePtr& v) { return cast(Var(v), DType::int64); }

// The dimensions of input `k` (an int64 scalar graph per dimension).
SymbolicShape same_as(const Shapes& shapes, std::size_t k = 0) { return shapes.at(k); }

} // namespace

Shapes Elemwise::infer_shape(const Apply& node, const Shapes& in) const {
    const int ndim = node.output(0)->type().ndim();
    SymbolicShape out;
    for (int d = 0; d < ndim; ++d) {
        VariablePtr dim = one();
        for (std::size_t i = 0; i < in.size(); ++i)
            if (!node.inputs()[i]->type().broadcastable()[d]) {
                dim = in[i][d];
                break;
            }
        out.push_back(dim);
    }
    return {out};
}

Shapes DimShuffle::infer_shape(const Apply&, const Shapes& in) const {
    SymbolicShape out;
    for (Entry e : new_order_) out.push_back(e == new_axis ? one() : in[0][e]);
    return {out};
}

Shapes Cast::infer_shape(const Apply&, const Shapes& in) const { return {same_as(in)}; }
Shapes Softmax::infer_shape(const Apply&, const Shapes& in) const { return {same_as(in)}; }
Shapes IncSubtensor::infer_shape(const Apply&, const Shapes& in) const { return {same_as(in)}; }
Shapes AdvancedIncSubtensor::infer_shape(const Apply&, const Shapes& in) const { return {same_as(in)}; }

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

Shapes ShapeOp::infer_shape(const Apply&, const Shapes& in) const {
    return {{constant_of(static_cast<double>(in[0].size()), DType::int64).node()}};
}

Shapes ShapeI::infer_shape(const Apply&, const Shapes&) const { return {{}}; }

Shapes Dot::infer_shape(const Apply&, const Shapes& in) const {
    SymbolicShape out;
    if (in[0].size() == 2) out.push_back(in[0][0]);
    if (in[1].size() == 2) out.push_back(in[1][1]);
    return {out};
}

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

Shapes Join::infer_shape(const Apply&, const Shapes& in) const {
    SymbolicShape out = in[0];
    Var total = i64(in[0][axis_]);
    for (std::size_t i = 1; i < in.size(); ++i) total = total + i64(in[i][axis_]);
    out[axis_] = total.node();
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

Shapes ARange::infer_shape(const Apply& node, const Shapes&) const {
    const Var start(node.inputs()[0]), stop(node.inputs()[1]), step(node.inputs()[2]);
    // ceil((stop - start) / step) = -((start - stop) // step), never negative.
    return {{maximum(constant_of(0, DType::int64), -int_div(start - stop, step)).node()}};
}

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
