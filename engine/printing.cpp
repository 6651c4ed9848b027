#include "printing.hpp"

#include "../ir/walk.hpp"

namespace kiln {

namespace {

std::vector<VariablePtr> nodes_of(const std::vector<Var>& variables) {
    return std::vector<VariablePtr>(variables.begin(), variables.end());
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
    std::vector<VariablePtr> roots = nodes_of(function.outputs());
    for (const auto& update : function.updates()) roots.push_back(update.second.node());
    std::vector<VariablePtr> stops = nodes_of(function.inputs());
    DebugprintOptions ordered = options;
    int position = 0;
    for (const ApplyPtr& node : toposort(roots, stops)) ordered.order[node.get()] = position++;
    return debugprint(roots, ordered);
}

std::string to_dot(const std::vector<Var>& variables) { return to_dot(nodes_of(variables)); }

} // namespace kiln
