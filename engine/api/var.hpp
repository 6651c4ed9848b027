// Var: the user's handle on a symbolic tensor (Theano's TensorVariable).
#pragma once

#include "../../ir/graph.hpp"

#include <utility>
#include <vector>

#include <functional>
#include <initializer_list>
#include <string>

namespace kiln {

class Arg;
class Index;

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
