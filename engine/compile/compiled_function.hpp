// What a Function holds: a compiled graph bound to one request's inputs,
// outputs, updates and shared variables.
#pragma once

#include "../api/function.hpp"
#include "../cache/function_cache.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

class Executable;

class CompiledFunction {
public:
    std::string name;
    std::vector<Var> inputs;
    std::vector<Var> outputs;
    std::vector<std::pair<Var, Var>> updates;
    bool single_output = false;
    std::optional<bool> allow_input_downcast;
    /// The leaves that are not explicit inputs: shared variables and constants.
    std::vector<VariablePtr> implicit_leaves;
    /// Each update's target's slot among the executable's leaves (-1: the
    /// graph does not read it).
    std::vector<int> update_leaf_slots;
    /// What a call locks: every shared variable it reads or updates, in
    /// SharedLocks' order (exclusive for update targets).
    std::vector<SharedLocks::Entry> shared_locks;
    NanGuard nan_guard = NanGuard::off;
    std::shared_ptr<const Executable> executable;
    /// The roots of the executable's graph (outputs, then update values),
    /// which `outputs` and `updates` are bound copies of: the executable's
    /// steps name these nodes.
    std::vector<VariablePtr> executable_roots;
    RewriteCounts rewrites;
    /// The request's outputs then update values, givens applied, before
    /// rewriting (the "graph" stage).
    std::vector<VariablePtr> user_roots;
    /// The key compile() looked the graph up by, and what it hashed.
    Hash128 key;
    std::vector<KeyComponent> key_components;
    /// Where compile() got the compiled graph.
    GraphSource graph_source = GraphSource::compiled;
    /// How the compiled graph was made (when it was first compiled).
    CompileCosts costs;

    std::string label() const { return name.empty() ? "kiln function" : "kiln function '" + name + "'"; }
};


} // namespace kiln
