// FunctionGraph: the graph compile() works on, a copy-on-write view of the
// user's graph (whose nodes are immutable and never change). Its outputs are
// the function's outputs followed by its update values.
#pragma once

#include "../../ir/graph.hpp"

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kiln {

class FunctionGraph {
public:
    /// inputs: the explicit inputs (graph leaves the caller provides).
    FunctionGraph(std::vector<VariablePtr> inputs, std::vector<VariablePtr> outputs);

    const std::vector<VariablePtr>& inputs() const { return inputs_; }
    const std::vector<VariablePtr>& outputs() const { return outputs_; }

    /// Every Apply node the outputs need, in dependency order.
    std::vector<ApplyPtr> toposort() const;
    /// Who reads each variable: (node, input position), or (nullptr, output
    /// position) for a graph output.
    std::unordered_map<const Variable*, std::vector<std::pair<const Apply*, int>>> clients() const;

    /// Replaces a variable everywhere it is used. The replacement must have
    /// exactly the same type; throws TypeError naming both otherwise.
    void replace(const VariablePtr& old_variable, const VariablePtr& replacement, const std::string& reason);

    /// Installs outputs rebuilt by a rewrite pass, telling listeners each
    /// replacement it made.
    struct Replacement {
        VariablePtr old_variable, new_variable;
        std::string reason;
    };
    void commit(std::vector<VariablePtr> outputs, const std::vector<Replacement>& replacements);

    /// A feature: called for every replacement, with the rule that made it.
    using Listener = std::function<void(const Replacement&)>;
    void add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }

private:
    std::vector<VariablePtr> inputs_;
    std::vector<VariablePtr> outputs_;
    std::vector<Listener> listeners_;
};

} // namespace kiln
