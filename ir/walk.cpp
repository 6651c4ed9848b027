#include "walk.hpp"

#include "errors.hpp"

#include <unordered_set>

namespace kiln {

namespace {

using VariableSet = std::unordered_set<const Variable*>;

VariableSet set_of(const std::vector<VariablePtr>& variables) {
    VariableSet set;
    for (const auto& v : variables) set.insert(v.get());
    return set;
}

// Post-order walk over variables: visit(v) runs after all of v's ancestors.
template <class Visit>
void post_order(const std::vector<VariablePtr>& outputs, const VariableSet& stop, Visit&& visit) {
    VariableSet done;
    struct Frame {
        VariablePtr variable;
        std::size_t next_input;
    };
    std::vector<Frame> stack;
    VariableSet on_stack;
    for (const VariablePtr& output : outputs) {
        if (done.count(output.get())) continue;
        stack.push_back({output, 0});
        while (!stack.empty()) {
            Frame& frame = stack.back();
            const Variable* v = frame.variable.get();
            ApplyPtr owner = stop.count(v) ? nullptr : v->owner();
            if (owner && frame.next_input < owner->inputs().size()) {
                const VariablePtr& input = owner->inputs()[frame.next_input++];
                if (!done.count(input.get())) stack.push_back({input, 0});
                continue;
            }
            if (done.insert(v).second) visit(frame.variable);
            stack.pop_back();
        }
    }
}

} // namespace

std::vector<ApplyPtr> toposort(const std::vector<VariablePtr>& outputs,
                               const std::vector<VariablePtr>& stop_at) {
    std::vector<ApplyPtr> order;
    std::unordered_set<const Apply*> seen;
    const VariableSet stop = set_of(stop_at);
    post_order(outputs, stop, [&](const VariablePtr& v) {
        if (stop.count(v.get())) return;
        ApplyPtr owner = v->owner();
        if (owner && seen.insert(owner.get()).second) order.push_back(owner);
    });
    return order;
}

std::vector<VariablePtr> ancestors(const std::vector<VariablePtr>& outputs,
                                   const std::vector<VariablePtr>& stop_at) {
    // Pre-order: a variable is listed when first met, before its inputs.
    std::vector<VariablePtr> order;
    VariableSet seen;
    const VariableSet stop = set_of(stop_at);
    std::vector<VariablePtr> stack(outputs.rbegin(), outputs.rend());
    while (!stack.empty()) {
        VariablePtr v = stack.back();
        stack.pop_back();
        if (!seen.insert(v.get()).second) continue;
        order.push_back(v);
        if (stop.count(v.get())) continue;
        if (ApplyPtr owner = v->owner())
            for (auto it = owner->inputs().rbegin(); it != owner->inputs().rend(); ++it)
                if (!seen.count(it->get())) stack.push_back(*it);
    }
    return order;
}

std::vector<VariablePtr> graph_inputs(const std::vector<VariablePtr>& outputs,
                                      const std::vector<VariablePtr>& stop_at) {
    const VariableSet stop = set_of(stop_at);
    std::vector<VariablePtr> leaves;
    for (const VariablePtr& v : ancestors(outputs, stop_at))
        if (!v->owner() || stop.count(v.get())) leaves.push_back(v);
    return leaves;
}

std::vector<VariablePtr> clone_replace(const std::vector<VariablePtr>& outputs,
                                       const Replacements& replacements) {
    for (const auto& [old_variable, replacement] : replacements)
        KILN_CHECK(old_variable->type() == replacement->type(),
                   "clone_replace(): " + old_variable->str() + " of " + old_variable->type().str() +
                       " replaced by " + replacement->str() + " of " + replacement->type().str());
    std::unordered_map<const Variable*, VariablePtr> rebuilt;
    std::unordered_map<const Apply*, ApplyPtr> rebuilt_nodes;
    VariableSet stop;
    for (const auto& [old_variable, replacement] : replacements) stop.insert(old_variable);
    post_order(outputs, stop, [&](const VariablePtr& v) {
        if (auto found = replacements.find(v.get()); found != replacements.end()) {
            rebuilt[v.get()] = found->second;
            return;
        }
        ApplyPtr owner = v->owner();
        if (!owner) {
            rebuilt[v.get()] = v;
            return;
        }
        auto node = rebuilt_nodes.find(owner.get());
        if (node == rebuilt_nodes.end()) {
            bool changed = false;
            std::vector<VariablePtr> inputs;
            for (const VariablePtr& input : owner->inputs()) {
                inputs.push_back(rebuilt.at(input.get()));
                changed |= inputs.back() != input;
            }
            node = rebuilt_nodes.emplace(owner.get(), changed ? owner->with_inputs(std::move(inputs)) : owner).first;
        }
        rebuilt[v.get()] = node->second->output(v->index());
    });
    std::vector<VariablePtr> result;
    for (const VariablePtr& output : outputs) result.push_back(rebuilt.at(output.get()));
    return result;
}

std::unordered_map<const Apply*, ApplyPtr> corresponding_nodes(const std::vector<VariablePtr>& original,
                                                               const std::vector<VariablePtr>& copy) {
    KILN_CHECK(original.size() == copy.size(), "corresponding_nodes: graphs with different numbers of roots");
    std::unordered_map<const Apply*, ApplyPtr> found;
    std::vector<std::pair<const Variable*, VariablePtr>> pending;
    for (std::size_t i = 0; i < original.size(); ++i) pending.emplace_back(original[i].get(), copy[i]);
    while (!pending.empty()) {
        const auto [from, to] = pending.back();
        pending.pop_back();
        const ApplyPtr from_node = from->owner();
        const ApplyPtr to_node = to->owner();
        if (!from_node || !to_node || found.count(from_node.get())) continue;
        KILN_CHECK(from_node->inputs().size() == to_node->inputs().size(), "corresponding_nodes: graphs differ");
        found.emplace(from_node.get(), to_node);
        for (std::size_t i = 0; i < from_node->inputs().size(); ++i)
            pending.emplace_back(from_node->inputs()[i].get(), to_node->inputs()[i]);
    }
    return found;
}

} // namespace kiln
