// Printing symbolic variables and compiled functions.
#pragma once

#include "function.hpp"
#include "var.hpp"

#include "../../ir/print.hpp"

#include <string>

namespace kiln {

/// Theano's pp: "(x + y)".
std::string pp(const Var& variable);
/// Theano's debugprint of one variable or several.
std::string debugprint(const Var& variable, const DebugprintOptions& options = {});
std::string debugprint(const std::vector<Var>& variables, const DebugprintOptions& options = {});
/// The compiled graph of a function, each node followed by its position in
/// the schedule.
std::string debugprint(const Function& function, const DebugprintOptions& options = {});
/// Graphviz DOT of the graph computing the variables.
std::string to_dot(const std::vector<Var>& variables);
/// Graphviz DOT of a function's compiled graph, each fused loop drawn as a
/// cluster labelled with its step number and kernel key.
std::string to_dot(const Function& function);

} // namespace kiln
