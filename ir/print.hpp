// Printers for graphs: pp (Theano's pretty printer), debugprint (the tree of
// ops with ids and types) and Graphviz DOT.
#pragma once

#include "graph.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace kiln {

/// Theano's str(node): "Elemwise{add,no_inplace}(x, y)".
std::string apply_text(const Apply& node);

/// The expression as Theano's pp prints it: "(x + y)", "exp((-x))".
std::string pp(const VariablePtr& variable);

struct DebugprintOptions {
    bool print_type = false;
    /// Theano's ids='CHAR' (A, B, ..., Z, BA, ...); false prints none.
    bool ids = true;
    /// Position of each node in a compiled schedule, printed after the name.
    std::unordered_map<const Apply*, int> order;
};

/// One line per variable, children indented under " |": Theano's debugprint.
std::string debugprint(const std::vector<VariablePtr>& outputs, const DebugprintOptions& options = {});
std::string debugprint(const VariablePtr& output, const DebugprintOptions& options = {});

struct DotOptions {
    /// Apply nodes drawn together in a labelled box (a cluster), such as the
    /// nodes of one fused loop; their outputs go in the box too.
    struct Cluster {
        std::string label;
        std::vector<const Apply*> nodes;
    };
    std::vector<Cluster> clusters;
};

/// The text for inside double quotes, in DOT and the graph text format:
/// '"' and '\\' escaped with a backslash, newlines as \n.
std::string escape_quoted(const std::string& text);

/// A Graphviz digraph: variables as boxes, Apply nodes as ellipses.
std::string to_dot(const std::vector<VariablePtr>& outputs, const DotOptions& options = {});

} // namespace kiln
