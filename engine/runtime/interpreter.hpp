// The reference interpreter: runs a graph node by node through each op's
// perform. It is the oracle every faster path is checked against.
#pragma once

#include "../../ir/graph.hpp"

#include <unordered_map>
#include <span>
#include <vector>

namespace kiln {

/// Values of variables during one evaluation, keyed by variable.
using ValueMap = std::unordered_map<const Variable*, Array>;

/// Runs one node through its op's perform and checks what it returns; a
/// failure is rethrown with the node, its position `position` in the
/// schedule, its input types and shapes appended.
std::vector<Array> perform_node(const Apply& node, const std::vector<Array>& inputs, std::size_t position);

/// Runs `nodes` (in topological order) with `values` holding every leaf they
/// read; adds each node's outputs to `values`. A failing node rethrows its
/// error with the node, its input types and shapes appended, and its
/// position: positions[i] for nodes[i] when given, else i.
void run_nodes(const std::vector<ApplyPtr>& nodes, ValueMap& values, std::span<const std::size_t> positions = {});

/// Evaluates outputs from values bound to their graph inputs; constants and
/// shared variables supply their own values.
std::vector<Array> evaluate(const std::vector<VariablePtr>& outputs,
                            const std::vector<std::pair<VariablePtr, Array>>& bindings = {});

} // namespace kiln
