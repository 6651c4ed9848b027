// Var: the user's handle on a symbolic tensor (Theano's TensorVariable).
#pragma once

#include "axes.hpp"

#include "../../ir/graph.hpp"

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln {

class Arg;
class Index;
class Operand;

/// One entry of a dimshuffle pattern: an axis of the input, or "x" for a new
/// broadcastable axis (Theano's x.dimshuffle(0, 'x', 1)).
class ShuffleEntry {
public:
    ShuffleEntry(int axis) : axis_(axis) {}
    /// "x"; any other text is a ValueError naming it.
    ShuffleEntry(const char* name);
    /// The input axis, or -1 (DimShuffle::new_axis) for "x".
    int axis() const { return axis_; }

private:
    int axis_;
};

class Var {
public:
    Var() = default;
    Var(VariablePtr node) : node_(std::move(node)) {}

    const VariablePtr& node() const { return node_; }
    operator const VariablePtr&() const { return node_; }
    explicit operator bool() const { return node_ != nullptr; }

    const TensorType& type() const { return node_->type(); }
    DType dtype() const { return type().dtype(); }
    int ndim() const { return type().ndim(); }
    const std::vector<bool>& broadcastable() const { return type().broadcastable(); }

    /// The Apply node that computes this variable, null for inputs.
    ApplyPtr owner() const { return node_->owner(); }
    int index() const { return node_->index(); }
    const std::string& name() const { return node_->name(); }
    /// Labels the variable for printing (pp, debugprint, errors); returns it.
    const Var& named(std::string name) const {
        node_->set_name(std::move(name));
        return *this;
    }
    /// Theano's str(variable).
    std::string str() const { return node_->str(); }

    /// NumPy indexing (see index.hpp): x[2], x[slice(a, b)], x[{i, slice({}, {}, -1)}],
    /// x[{arange(n), y}].
    Var operator[](const Index& index) const;
    Var operator[](std::initializer_list<Index> index) const;

    /// Computes this variable with the given inputs bound (Theano's
    /// x.eval({x: value})); shared variables and constants bring their own.
    /// (Two overloads rather than a default argument: Arg is incomplete here.)
    Array eval(const std::vector<std::pair<Var, Arg>>& bindings) const;
    Array eval() const;

    // Theano's TensorVariable methods: each is the free function of the same
    // name applied to this variable.

    /// x.shape: an int64 vector, indexable (x.shape()[0] is x.shape[0]).
    Var shape() const;
    /// x.T: the axes in reverse order.
    Var T() const;
    Var transpose() const;
    /// The axes in the given order (a permutation of 0 .. ndim-1).
    Var transpose(const std::vector<int>& axes) const;
    Var dimshuffle(std::initializer_list<ShuffleEntry> pattern) const;
    /// A shape entry may be -1 (inferred) or a symbolic int scalar.
    Var reshape(const std::vector<Operand>& shape) const;
    Var flatten(int ndim = 1) const;
    Var squeeze() const;
    Var repeat(int repeats, int axis) const;
    Var astype(DType dtype) const;
    /// A dtype by name: "float32", "int64", "floatX", ...
    Var astype(std::string_view dtype) const;
    Var clip(const Operand& low, const Operand& high) const;
    Var dot(const Var& other) const;
    Var sum(const Axes& axis = {}, bool keepdims = false) const;
    Var prod(const Axes& axis = {}, bool keepdims = false) const;
    Var mean(const Axes& axis = {}, bool keepdims = false) const;
    Var max(const Axes& axis = {}, bool keepdims = false) const;
    Var min(const Axes& axis = {}, bool keepdims = false) const;
    Var all(const Axes& axis = {}, bool keepdims = false) const;
    Var any(const Axes& axis = {}, bool keepdims = false) const;
    Var var(const Axes& axis = {}, bool keepdims = false, int ddof = 0) const;
    Var std(const Axes& axis = {}, bool keepdims = false, int ddof = 0) const;
    Var argmax(std::optional<int> axis = std::nullopt, bool keepdims = false) const;
    Var argmin(std::optional<int> axis = std::nullopt, bool keepdims = false) const;

    /// Identity, as Python's `is`: the same variable, not an equal one.
    bool is(const Var& other) const { return node_ == other.node_; }

private:
    VariablePtr node_;
};

std::ostream& operator<<(std::ostream& os, const Var& var);

} // namespace kiln

template <> struct std::hash<kiln::Var> {
    std::size_t operator()(const kiln::Var& var) const noexcept {
        return std::hash<const kiln::Variable*>{}(var.node().get());
    }
};
