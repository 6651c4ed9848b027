// The rewrite pipeline compile() runs: named node-local rewrites in phases
// (canonicalize, stabilize, specialize), each applied to a fixed point with
// merging of equal nodes and constant folding along the way.
#pragma once

#include "fgraph.hpp"

#include "../api/config.hpp"
#include "../api/var.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kiln {

enum class RewritePhase { canonicalize, stabilize, specialize };

/// What a rewrite may ask about the graph around the node it looks at.
class RewriteContext {
public:
    explicit RewriteContext(const std::unordered_map<const Variable*, int>& client_counts) : clients_(client_counts) {}
    /// How many nodes (and graph outputs) read v in the graph being rewritten.
    int clients(const VariablePtr& v) const {
        auto found = clients_.find(v.get());
        return found == clients_.end() ? 0 : found->second;
    }

private:
    const std::unordered_map<const Variable*, int>& clients_;
};

/// One rewrite: looks at a single-output node and returns what replaces its
/// output (of exactly the same type), or nothing.
struct Rewrite {
    std::string name;
    RewritePhase phase;
    /// The algebra, in one line: "x * 1 -> x".
    std::string rule;
    std::function<std::optional<Var>(const Apply&, const RewriteContext&)> apply;
};

/// Every rewrite kiln has, in the order they are tried.
const std::vector<Rewrite>& rewrite_registry();

struct RewriteOptions {
    OptimizerMode mode = OptimizerMode::fast_run;
    /// Rewrites, phases ("canonicalize", ...), "merge" or "constant_folding"
    /// to leave out.
    std::vector<std::string> excluding;
};

/// Rewrites fgraph in place (its outputs; the nodes themselves never change).
RewriteCounts rewrite_graph(FunctionGraph& fgraph, const RewriteOptions& options);

/// The options compile() uses by default: config's "mode" and
/// "optimizer_excluding" (names separated by ':').
RewriteOptions rewrite_options_from_config();

} // namespace kiln
