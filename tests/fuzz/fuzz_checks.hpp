// What both fuzz targets check of a graph that parsed.
#pragma once

#include <kiln/kiln.hpp>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace kiln::fuzz {

inline Hash128 hash_of(const ParsedGraph& graph) {
    std::vector<VariablePtr> outputs(graph.outputs.begin(), graph.outputs.end());
    std::vector<VariablePtr> inputs(graph.inputs.begin(), graph.inputs.end());
    for (const auto& [variable, value] : graph.updates) outputs.push_back(value.node());
    return structural_hash(outputs, inputs);
}

[[noreturn]] inline void finding(const char* what, std::string_view input, const std::string& detail) {
    std::fprintf(stderr, "fuzz finding: %s\n-- input --\n%.*s\n-- detail --\n%s\n", what, static_cast<int>(input.size()),
                 input.data(), detail.c_str());
    std::abort();
}

// The graph written as text reads back (no exception allowed) into the same
// structure, and writes the same text again.
inline void check_round_trip(const ParsedGraph& graph, std::string_view input) {
    const std::string written = write_graph_text(graph.outputs, graph.inputs, graph.updates);
    ParsedGraph again;
    try {
        again = read_graph_text(written);
    } catch (const Error& error) {
        finding("the written graph does not read back", input, written + "\n" + error.what());
    }
    if (!(hash_of(again) == hash_of(graph))) finding("the graph read back has another structural hash", input, written);
    const std::string rewritten = write_graph_text(again.outputs, again.inputs, again.updates);
    if (rewritten != written) finding("writing the graph read back gives other text", input, written + "\n--\n" + rewritten);
}

} // namespace kiln::fuzz
