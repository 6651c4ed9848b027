// Fusion: partitions a scheduled graph into steps. Chains of elementwise
// operations (Elemwise, Cast) of one loop shape become one FusedLoop with
// its kernel IR, together with the reduction they feed, if any; every other
// node stays a step of its own, run by its op.
#pragma once

#include "../ir/graph.hpp"
#include "../ir/kernel.hpp"

#include <variant>
#include <vector>

namespace kiln {

struct FusedLoop {
    /// The fused nodes, in order.
    std::vector<ApplyPtr> nodes;
    /// What the loop writes, in kernel output order: the last node's output,
    /// after the outputs of other nodes that are read outside the loop.
    std::vector<VariablePtr> outputs;
    /// A reduction loop: which dimensions of the iteration space (the shape
    /// of the reduced input) it reduces. Empty for an elementwise loop.
    std::vector<bool> reduced;
    /// What the kernel's input buffers and parameters read, in kernel order.
    std::vector<VariablePtr> inputs;
    std::vector<VariablePtr> params;
    Kernel kernel;
};

struct OpStep {
    ApplyPtr node;
};

using Step = std::variant<OpStep, FusedLoop>;

/// Steps computing `schedule` (nodes in topological order); `roots` are the
/// variables the caller reads afterwards (they are never fused away).
std::vector<Step> fuse(const std::vector<ApplyPtr>& schedule, const std::vector<VariablePtr>& roots);

/// One line per step: "#2 loop [add, exp, true_div] -> TensorType(float64, matrix)" or "#3 op Dot22".
std::string steps_text(const std::vector<Step>& steps);
/// One step's line: "loop [mul, add] -> TensorType(float64, vector)" or "op dot".
std::string step_text(const Step& step);

} // namespace kiln
