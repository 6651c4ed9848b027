#include "dimshuffle.hpp"

#include <algorithm>

#include "shape_inference.hpp"

#include "../../ir/errors.hpp"

namespace kiln {

namespace {

std::string order_text(const std::vector<DimShuffle::Entry>& order, const char* separator) {
    std::string text;
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (i > 0) text += separator;
        text += order[i] == DimShuffle::new_axis ? "x" : std::to_string(order[i]);
    }
    return text;
}

} // namespace

DimShuffle::DimShuffle(std::vector<bool> input_broadcastable, std::vector<Entry> new_order)
    : input_broadcastable_(std::move(input_broadcastable)), new_order_(std::move(new_order)) {
    const int ndim = static_cast<int>(input_broadcastable_.size());
    std::vector<bool> kept(ndim, false);
    for (Entry entry : new_order_) {
        if (entry == new_axis) continue;
        if (entry < 0 || entry >= ndim)
            throw ValueError("dimshuffle(): axis " + std::to_string(entry) + " is out of range for a " +
                             std::to_string(ndim) + "-d input (order {" + order_text(new_order_, ",") + "})");
        if (kept[entry])
            throw ValueError("dimshuffle(): axis " + std::to_string(entry) + " appears twice in {" +
                             order_text(new_order_, ",") + "}");
        kept[entry] = true;
    }
    for (int d = 0; d < ndim; ++d)
        if (!kept[d] && !input_broadcastable_[d])
            throw ValueError("dimshuffle(): You cannot drop a non-broadcastable dimension (axis " +
                             std::to_string(d) + " is missing from {" + order_text(new_order_, ",") + "}).");
}

std::vector<bool> DimShuffle::output_broadcastable() const {
    std::vector<bool> out;
    for (Entry entry : new_order_) out.push_back(entry == new_axis || input_broadcastable_[entry]);
    return out;
}

std::string DimShuffle::params() const {
    std::string input;
    for (bool b : input_broadcastable_) input += b ? '1' : '0';
    return order_text(new_order_, ",") + "|" + input;
}

std::string DimShuffle::name() const { return "InplaceDimShuffle{" + order_text(new_order_, ",") + "}"; }

std::string DimShuffle::pp(const Apply&, const std::vector<std::string>& inputs) const {
    // Theano's DimShufflePrinter: leading 'x's are hidden.
    std::size_t first = 0;
    while (first < new_order_.size() && new_order_[first] == new_axis) ++first;
    const std::vector<Entry> rest(new_order_.begin() + static_cast<long>(first), new_order_.end());
    const int ndim = static_cast<int>(input_broadcastable_.size());
    bool identity = static_cast<int>(rest.size()) == ndim, reversal = identity;
    for (int i = 0; i < static_cast<int>(rest.size()); ++i) {
        identity = identity && rest[i] == i;
        reversal = reversal && rest[i] == ndim - 1 - i;
    }
    if (identity) return inputs[0];
    if (reversal) return inputs[0] + ".T";
    return "DimShuffle{" + order_text(rest, ", ") + "}(" + inputs[0] + ")";
}

std::vector<Array> DimShuffle::perform(const Apply&, const std::vector<Array>& inputs) const {
    const Array& x = inputs[0];
    Shape shape, strides;
    for (Entry entry : new_order_) {
        shape.push_back(entry == new_axis ? 1 : x.shape()[entry]);
        strides.push_back(entry == new_axis ? 0 : x.strides()[entry]);
    }
    return {x.view(std::move(shape), std::move(strides))};
}

Var dimshuffle(const Var& x, const std::vector<DimShuffle::Entry>& order) {
    auto op = std::make_shared<DimShuffle>(x.broadcastable(), order);
    TensorType type(x.dtype(), op->output_broadcastable());
    return Var(Apply::make(std::move(op), {x.node()}, {std::move(type)})->output(0));
}

Var dimshuffle(const Var& x, std::initializer_list<ShuffleEntry> pattern) {
    std::vector<DimShuffle::Entry> order;
    for (const ShuffleEntry& entry : pattern) order.push_back(entry.axis());
    return dimshuffle(x, order);
}

Var transpose(const Var& x) {
    std::vector<DimShuffle::Entry> order;
    for (int d = x.ndim() - 1; d >= 0; --d) order.push_back(d);
    return dimshuffle(x, order);
}

Var transpose(const Var& x, const std::vector<int>& axes) {
    std::vector<int> sorted = axes;
    std::sort(sorted.begin(), sorted.end());
    bool permutation = static_cast<int>(axes.size()) == x.ndim();
    for (std::size_t i = 0; permutation && i < sorted.size(); ++i) permutation = sorted[i] == static_cast<int>(i);
    if (!permutation) {
        std::string listed;
        for (int axis : axes) listed += (listed.empty() ? "" : ", ") + std::to_string(axis);
        throw ValueError("transpose(): axes (" + listed + ") are not a permutation of the " +
                         std::to_string(x.ndim()) + " axes of " + x.str() + " of " + x.type().str());
    }
    return dimshuffle(x, std::vector<DimShuffle::Entry>(axes.begin(), axes.end()));
}

// Shape inference: output shapes as graphs of the input shapes.

using shape_inference::Shapes;
using shape_inference::one;

Shapes DimShuffle::infer_shape(const Apply&, const Shapes& in) const {
    SymbolicShape out;
    for (Entry e : new_order_) out.push_back(e == new_axis ? one() : in[0][e]);
    return {out};
}

} // namespace kiln
