#include "fgraph.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/walk.hpp"

namespace kiln {

FunctionGraph::FunctionGraph(std::vector<VariablePtr> inputs, std::vector<VariablePtr> outputs)
    : inputs_(std::move(inputs)), outputs_(std::move(outputs)) {}

std::vector<ApplyPtr> FunctionGraph::toposort() const { return kiln::toposort(outputs_, inputs_); }

std::unordered_map<const Variable*, std::vector<std::pair<const Apply*, int>>> FunctionGraph::clients() const {
    std::unordered_map<const Variable*, std::vector<std::pair<const Apply*, int>>> result;
    for (const ApplyPtr& node : toposort())
        for (std::size_t i = 0; i < node->inputs().size(); ++i)
            result[node->inputs()[i].get()].emplace_back(node.get(), static_cast<int>(i));
    for (std::size_t i = 0; i < outputs_.size(); ++i) result[outputs_[i].get()].emplace_back(nullptr, static_cast<int>(i));
    return result;
}

void FunctionGraph::replace(const VariablePtr& old_variable, const VariablePtr& replacement, const std::string& reason) {
    if (old_variable->type() != replacement->type())
        throw TypeError("FunctionGraph::replace(): The type of the replacement must be the same as the type of the "
                        "original Variable (" + old_variable->str() + " of " + old_variable->type().str() + " replaced by " +
                        replacement->str() + " of " + replacement->type().str() + ", by " + reason + ")");
    commit(clone_replace(outputs_, {{old_variable.get(), replacement}}), {{old_variable, replacement, reason}});
}

void FunctionGraph::commit(std::vector<VariablePtr> outputs, const std::vector<Replacement>& replacements) {
    KILN_CHECK(outputs.size() == outputs_.size(), "commit() changes the number of outputs");
    outputs_ = std::move(outputs);
    for (const Replacement& r : replacements)
        for (const Listener& listener : listeners_) listener(r);
}

} // namespace kiln
