// Graph walks: topological order, ancestors, graph inputs, and rebuilding a
// graph with some variables replaced. Walks are iterative, so graphs of any
// depth are safe.
#pragma once

#include "graph.hpp"

#include <unordered_map>
#include <vector>

namespace kiln {

/// Apply nodes needed by `outputs`, every node after the nodes it reads.
/// Variables in `stop_at` are treated as leaves (Theano's io_toposort).
std::vector<ApplyPtr> toposort(const std::vector<VariablePtr>& outputs,
                               const std::vector<VariablePtr>& stop_at = {});

/// Every variable `outputs` depend on, themselves included, in the order a
/// depth-first walk from the outputs first meets them.
std::vector<VariablePtr> ancestors(const std::vector<VariablePtr>& outputs,
                                   const std::vector<VariablePtr>& stop_at = {});

/// The leaves among the ancestors: inputs, constants and shared variables
/// (and any variable of `stop_at` that is reached).
std::vector<VariablePtr> graph_inputs(const std::vector<VariablePtr>& outputs,
                                      const std::vector<VariablePtr>& stop_at = {});

/// Replacements keyed by the variable they replace.
using Replacements = std::unordered_map<const Variable*, VariablePtr>;

/// The outputs rebuilt with every replaced variable swapped for its
/// replacement; nodes untouched by a replacement are shared, not copied.
/// Each replacement must have the type of the variable it replaces.
std::vector<VariablePtr> clone_replace(const std::vector<VariablePtr>& outputs,
                                       const Replacements& replacements);

/// For `copy`, the same graph as `original` with some leaves replaced (what
/// clone_replace makes of it), the node of `copy` at each node of `original`.
std::unordered_map<const Apply*, ApplyPtr> corresponding_nodes(const std::vector<VariablePtr>& original,
                                                               const std::vector<VariablePtr>& copy);

} // namespace kiln
