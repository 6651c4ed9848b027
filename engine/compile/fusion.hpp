// Fusion: partitions a scheduled graph into steps. Chains of elementwise
// operations (Elemwise, Cast) of one loop shape become one FusedLoop with
// its kernel IR, together with the reduction they feed, if any, and the
// DimShuffle views only they read (the loop reads the view's source with
// the view's strides); every other node stays a step of its own, run by its
// op. Each decision not to fuse keeps its reason, which the schedule dump
// prints: an op step says why it is no loop, a loop names the producers that
// did not join it and why.
#pragma once

#include "../../ir/graph.hpp"
#include "../../ir/kernel.hpp"

#include <string>
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
    /// For each input, the DimShuffle order through which the loop reads it
    /// (a view folded into the loop); empty where it reads the input as is.
    std::vector<std::vector<int>> input_orders;
    Kernel kernel;
    /// The producers of its inputs that could have joined it but did not,
    /// each with the reason: "exp -> TensorType(float64, matrix): ...".
    std::vector<std::string> declined;
};

/// The type in which `loop` reads its input k: the input's own, or that of
/// the view folded into the loop.
TensorType loop_input_type(const FusedLoop& loop, std::size_t k);

struct OpStep {
    ApplyPtr node;
    /// Why fusion left the node out of every loop ("" when nothing was fused).
    std::string not_fused;
};

using Step = std::variant<OpStep, FusedLoop>;

/// Steps computing `schedule` (nodes in topological order); `roots` are the
/// variables the caller reads afterwards (they are never fused away).
std::vector<Step> fuse(const std::vector<ApplyPtr>& schedule, const std::vector<VariablePtr>& roots);

/// Every node a step of its own, run by its op (the interpreter linker).
std::vector<Step> one_step_per_node(const std::vector<ApplyPtr>& schedule);

/// One line per step: "#2 loop [add, exp, true_div] -> TensorType(float64, matrix)" or "#3 op Dot22".
std::string steps_text(const std::vector<Step>& steps);
/// One step's line: "loop [mul, add] -> TensorType(float64, vector)" or "op dot".
std::string step_text(const Step& step);

} // namespace kiln
