// Internal: the rule tables of each phase and the matching helpers they share.
#pragma once

#include "rewriter.hpp"

#include "../ops/elemwise.hpp"

#include <optional>
#include <vector>

namespace kiln::rewrites {

std::vector<Rewrite> canonicalize();
std::vector<Rewrite> stabilize();
std::vector<Rewrite> specialize();

/// The scalar op of an Elemwise node producing v, if v is one.
std::optional<ScalarOp> scalar_op_of(const VariablePtr& v);
/// The node producing v when it is an Elemwise of `op`.
ApplyPtr elemwise_owner(const VariablePtr& v, ScalarOp op);
/// The value of a constant whose elements are all equal.
std::optional<double> constant_scalar(const VariablePtr& v);
bool is_constant_equal(const VariablePtr& v, double value);
/// A constant's value as a key: its type, shape and a hash of its bytes.
std::string constant_key(const Variable& v);
/// Whether a and b compute the same values from the same leaves: the same
/// variable, equal constants, or equal ops over inputs that are. Rules use
/// it where merging may not have run (grad() stabilizes an unmerged cost).
bool same_computation(const VariablePtr& a, const VariablePtr& b);
/// The node's op as an O, or null: rules match ops by their class and read
/// typed parameters, never the text of kind() or params().
template <class O> const O* op_of(const Apply& node) { return dynamic_cast<const O*>(&node.op()); }
/// The op of the node producing v as an O, or null (for a leaf too).
template <class O> const O* op_of(const VariablePtr& v) {
    const ApplyPtr owner = v->owner();
    return owner ? op_of<O>(*owner) : nullptr;
}
/// A rule that needs only the node, as a Rewrite's apply function.
template <class F> auto node_only(F f) {
    return [f](const Apply& node, const RewriteContext&) { return f(node); };
}

/// The scalar op of an Elemwise node.
std::optional<ScalarOp> scalar_op_of(const Apply& node);

} // namespace kiln::rewrites
