#include "rewriter.hpp"

#include "rules.hpp"

#include "../api/config.hpp"
#include "../ops/layout.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/hash.hpp"
#include "../../ir/log.hpp"
#include "../../ir/walk.hpp"

#include <algorithm>
#include <unordered_map>

namespace kiln {

namespace {

constexpr int max_passes = 64;
// Folding must not turn a small graph into a huge constant.
constexpr std::int64_t max_folded_elements = 1 << 16;

const char* phase_name(RewritePhase phase) {
    switch (phase) {
    case RewritePhase::canonicalize: return "canonicalize";
    case RewritePhase::stabilize: return "stabilize";
    case RewritePhase::specialize: return "specialize";
    }
    return "";
}

bool excluded(const RewriteOptions& options, const std::string& name) {
    return std::find(options.excluding.begin(), options.excluding.end(), name) != options.excluding.end();
}

// A node as merging sees it: two nodes compute the same values when their
// ops are equal (Op::operator==) and they read the same variables (already
// merged, so the same objects) into outputs of the same types.
struct NodeIdentity {
    const Apply* node;
    bool operator==(const NodeIdentity& other) const {
        const Apply& a = *node;
        const Apply& b = *other.node;
        if (!(a.op() == b.op()) || a.inputs() != b.inputs() || a.num_outputs() != b.num_outputs()) return false;
        for (int i = 0; i < a.num_outputs(); ++i)
            if (a.output(i)->type() != b.output(i)->type()) return false;
        return true;
    }
};

struct NodeIdentityHash {
    std::size_t operator()(const NodeIdentity& identity) const {
        std::size_t hash = identity.node->op().hash();
        for (const VariablePtr& input : identity.node->inputs())
            hash = hash * 1000003 ^ std::hash<const Variable*>{}(input.get());
        return hash;
    }
};

bool foldable(const Apply& node) {
    if (dynamic_cast<const Alloc*>(&node.op())) return false; // a shape, not a value worth storing
    for (const VariablePtr& input : node.inputs())
        if (!input->is_constant()) return false;
    return !node.inputs().empty();
}

// One bottom-up pass: merges equal constants and nodes, folds constant
// nodes, and applies the first matching rule at each node.
class Pass {
public:
    Pass(const std::vector<const Rewrite*>& rules, bool merge, bool fold, RewriteCounts& counts)
        : rules_(rules), merge_(merge), fold_(fold), counts_(counts) {}

    std::vector<VariablePtr> run(const FunctionGraph& fgraph) {
        for (const auto& [variable, readers] : fgraph.clients()) client_counts_[variable] = static_cast<int>(readers.size());
        if (merge_)
            for (const VariablePtr& leaf : graph_inputs(fgraph.outputs(), fgraph.inputs()))
                if (leaf->is_constant()) {
                    auto [it, inserted] = constants_.emplace(rewrites::constant_key(*leaf), leaf);
                    if (!inserted && it->second != leaf) record(leaf, it->second, "merge");
                }
        for (const ApplyPtr& node : kiln::toposort(fgraph.outputs(), fgraph.inputs())) visit(node);
        std::vector<VariablePtr> outputs;
        for (const VariablePtr& output : fgraph.outputs()) outputs.push_back(current(output));
        return outputs;
    }

    const std::vector<FunctionGraph::Replacement>& replacements() const { return replacements_; }

private:
    VariablePtr current(const VariablePtr& v) const {
        auto found = now_.find(v.get());
        return found == now_.end() ? v : found->second;
    }

    void record(const VariablePtr& old_variable, const VariablePtr& replacement, const std::string& reason) {
        now_[old_variable.get()] = replacement;
        replacements_.push_back({old_variable, replacement, reason});
        ++counts_[reason];
    }

    void visit(const ApplyPtr& node) {
        std::vector<VariablePtr> inputs;
        bool changed = false;
        for (const VariablePtr& input : node->inputs()) {
            inputs.push_back(current(input));
            changed = changed || inputs.back() != input;
        }
        ApplyPtr rebuilt = changed ? node->with_inputs(inputs) : node;
        if (merge_) {
            auto [it, inserted] = nodes_.emplace(NodeIdentity{rebuilt.get()}, rebuilt);
            if (!inserted && it->second != rebuilt) {
                for (int i = 0; i < node->num_outputs(); ++i) record(node->output(i), it->second->output(i), "merge");
                return;
            }
        }
        for (int i = 0; i < node->num_outputs(); ++i)
            if (rebuilt != node) now_[node->output(i).get()] = rebuilt->output(i);
        if (rebuilt->num_outputs() != 1) return;
        if (std::optional<VariablePtr> replacement = rewrite(*rebuilt))
            record(node->output(0), *replacement, last_reason_);
    }

    std::optional<VariablePtr> rewrite(const Apply& node) {
        const VariablePtr output = node.output(0);
        if (fold_ && foldable(node)) {
            std::vector<Array> values;
            for (const VariablePtr& input : node.inputs()) values.push_back(input->constant_value());
            const Array value = node.op().perform(node, values)[0];
            if (value.size() <= max_folded_elements) {
                last_reason_ = "constant_folding";
                return Variable::make_constant(value, output->type());
            }
        }
        for (const Rewrite* rule : rules_) {
            const std::optional<Var> result = rule->apply(node, RewriteContext(client_counts_));
            if (!result || result->node() == output) continue;
            if (result->type() != output->type()) {
                logging::get("opt")->debug("{}: skipped, it would change {} into {}", rule->name, output->type().str(),
                                           result->type().str());
                ++counts_["type_mismatch_skipped"];
                continue;
            }
            last_reason_ = rule->name;
            return result->node();
        }
        return std::nullopt;
    }

    const std::vector<const Rewrite*>& rules_;
    bool merge_, fold_;
    RewriteCounts& counts_;
    std::unordered_map<const Variable*, VariablePtr> now_;
    // Readers in the graph as the pass began (rebuilt nodes read what their originals read).
    std::unordered_map<const Variable*, int> client_counts_;
    std::unordered_map<NodeIdentity, ApplyPtr, NodeIdentityHash> nodes_;
    std::unordered_map<std::string, VariablePtr> constants_;
    std::vector<FunctionGraph::Replacement> replacements_;
    std::string last_reason_;
};

void run_to_fixed_point(FunctionGraph& fgraph, const std::vector<const Rewrite*>& rules, bool merge, bool fold,
                        RewriteCounts& counts, const char* phase) {
    for (int pass = 0; pass < max_passes; ++pass) {
        Pass p(rules, merge, fold, counts);
        std::vector<VariablePtr> outputs = p.run(fgraph);
        if (p.replacements().empty()) return;
        fgraph.commit(std::move(outputs), p.replacements());
    }
    logging::get("opt")->warn("{}: no fixed point after {} passes; the graph is correct but may not be fully rewritten",
                              phase, max_passes);
}

} // namespace

const std::vector<Rewrite>& rewrite_registry() {
    static const std::vector<Rewrite> registry = [] {
        std::vector<Rewrite> all = rewrites::canonicalize();
        for (Rewrite& r : rewrites::stabilize()) all.push_back(std::move(r));
        for (Rewrite& r : rewrites::specialize()) all.push_back(std::move(r));
        return all;
    }();
    return registry;
}

RewriteCounts rewrite_graph(FunctionGraph& fgraph, const RewriteOptions& options) {
    RewriteCounts counts;
    if (options.mode == OptimizerMode::none) return counts;
    const bool merge = !excluded(options, "merge");
    const bool fold = !excluded(options, "constant_folding");
    if (options.mode == OptimizerMode::fast_compile) {
        run_to_fixed_point(fgraph, {}, merge, fold, counts, "fast_compile");
        return counts;
    }
    // Each phase keeps the rules of the phases before it active.
    std::vector<const Rewrite*> rules;
    for (RewritePhase phase : {RewritePhase::canonicalize, RewritePhase::stabilize, RewritePhase::specialize}) {
        if (excluded(options, phase_name(phase))) continue;
        for (const Rewrite& rule : rewrite_registry())
            if (rule.phase == phase && !excluded(options, rule.name)) rules.push_back(&rule);
        run_to_fixed_point(fgraph, rules, merge, fold, counts, phase_name(phase));
    }
    for (const auto& [name, count] : counts) logging::get("opt")->debug("{} fired {} times", name, count);
    return counts;
}

RewriteOptions rewrite_options_from_config() {
    return {config().mode(), config().optimizer_excluding()};
}

} // namespace kiln
