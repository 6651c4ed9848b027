// A graph read from text (the expression syntax or the graph text format):
// what compile() needs to turn it into a function.
#pragma once

#include "../api/var.hpp"

#include <string>
#include <utility>
#include <vector>

namespace kiln {

struct ParsedGraph {
    /// The inputs, in the order the text declares them.
    std::vector<Var> inputs;
    /// The outputs, in order.
    std::vector<Var> outputs;
    /// A name for each output: the name it was assigned to or carries;
    /// empty when it has none.
    std::vector<std::string> output_names;
    /// (shared variable, new value) pairs, as CompileOptions::updates takes them.
    std::vector<std::pair<Var, Var>> updates;
};

} // namespace kiln
