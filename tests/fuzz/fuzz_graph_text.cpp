// libFuzzer target for the graph text reader. Any bytes either read or
// raise SyntaxError; a text that reads writes back to a text that reads
// into a graph with the same structural hash and the same text again.
// Anything else (a crash, another exception, a hang) is a finding.
#include "fuzz_checks.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    kiln::ParsedGraph graph;
    try {
        graph = kiln::read_graph_text(text);
    } catch (const kiln::SyntaxError&) {
        return 0;
    }
    kiln::fuzz::check_round_trip(graph, text);
    return 0;
}
