// DimShuffle: permutes axes, inserts broadcastable axes ('x') and drops
// broadcastable ones. Always a view of its input (Theano 1.0 prints it as
// InplaceDimShuffle{...}).
#pragma once

#include "../api/var.hpp"

#include <variant>
#include <vector>

namespace kiln {

class DimShuffle : public Op {
public:
    /// An input axis, or new_axis for an inserted broadcastable one ('x').
    using Entry = int;
    static constexpr Entry new_axis = -1;

    DimShuffle(std::vector<bool> input_broadcastable, std::vector<Entry> new_order);

    const std::vector<Entry>& new_order() const { return new_order_; }
    const std::vector<bool>& input_broadcastable() const { return input_broadcastable_; }
    std::vector<bool> output_broadcastable() const;

    std::string kind() const override { return "DimShuffle"; }
    std::string params() const override;
    std::string name() const override;
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    std::vector<bool> input_broadcastable_;
    std::vector<Entry> new_order_;
};

/// x.dimshuffle(order): each entry is an axis of x or DimShuffle::new_axis.
/// Throws ValueError for a repeated or out-of-range axis, and for dropping an
/// axis that is not broadcastable.
Var dimshuffle(const Var& x, const std::vector<DimShuffle::Entry>& order);

/// Theano's pattern form: dimshuffle(x, {"x", 0}), x's axes and "x" for new
/// broadcastable ones.
Var dimshuffle(const Var& x, std::initializer_list<ShuffleEntry> pattern);

/// Reverses the axes (x.T).
Var transpose(const Var& x);
/// The axes in the order given, which must be a permutation of 0 .. ndim-1
/// (Theano's transpose(x, axes)); ValueError otherwise.
Var transpose(const Var& x, const std::vector<int>& axes);

} // namespace kiln
