// The graph text reader's table of ops: each Kind{params} is built through
// the builder the API uses, so a graph read from text passes the same
// checks as one built in C++.
#pragma once

#include "../../ir/graph.hpp"

#include <string_view>
#include <vector>

namespace kiln::graph_text {

/// The node kiln builds for the op kind{params} on `inputs`. Throws a kiln
/// error naming what is wrong: an unknown kind, params it cannot read, or
/// inputs the builder refuses. The caller checks that the node built is
/// the node written (same op, same inputs, same types).
ApplyPtr build_node(std::string_view kind, std::string_view params, const std::vector<VariablePtr>& inputs);

} // namespace kiln::graph_text
