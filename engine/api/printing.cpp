#include "printing.hpp"

#include "../../ir/kernel.hpp"
#include "../../ir/walk.hpp"

namespace kiln {

namespace {

std::vector<VariablePtr> nodes_of(const std::vector<Var>& variables) {
    return std::vector<VariablePtr>(variables.begin(), variables.end());
}

// What a compiled function computes: its outputs, then its update values.
std::vector<VariablePtr> compiled_roots(const Function& function) {
    std::vector<VariablePtr> roots = nodes_of(function.outputs());
    for (const auto& update : function.updates()) roots.push_back(update.second.node());
    return roots;
}

} // namespace

std::string pp(const Var& variable) { return pp(variable.node()); }

std::string debugprint(const Var& variable, const DebugprintOptions& options) {
    return debugprint(variable.node(), options);
}

std::string debugprint(const std::vector<Var>& variables, const DebugprintOptions& options) {
    return debugprint(nodes_of(variables), options);
}

std::string debugprint(const Function& function, const DebugprintOptions& options) {
    const std::vector<VariablePtr> roots = compiled_roots(function);
    std::vector<VariablePtr> stops = nodes_of(function.inputs());
    DebugprintOptions ordered = options;
    int position = 0;
    for (const ApplyPtr& node : toposort(roots, stops)) ordered.order[node.get()] = position++;
    return debugprint(roots, ordered);
}

std::string to_dot(const std::vector<Var>& variables) { return to_dot(nodes_of(variables)); }

std::string to_dot(const Function& function) {
    DotOptions options;
    const std::vector<FunctionStep> steps = function.steps();
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (!steps[i].kernel) continue;
        DotOptions::Cluster cluster{"loop #" + std::to_string(i) + " " + steps[i].kernel->key().hex().substr(0, 8), {}};
        for (const ApplyPtr& node : steps[i].nodes) cluster.nodes.push_back(node.get());
        options.clusters.push_back(std::move(cluster));
    }
    return to_dot(compiled_roots(function), options);
}

} // namespace kiln
