// libFuzzer target for the expression syntax and value literals. Any
// bytes either parse or raise a kiln error other than InternalError; a
// graph that parses goes through the graph text format and back unchanged.
#include "fuzz_checks.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        kiln::parse_literal(text);
    } catch (const kiln::InternalError&) {
        throw;
    } catch (const kiln::Error&) {
    }
    kiln::ParsedGraph graph;
    try {
        graph = kiln::parse_expression(text);
    } catch (const kiln::InternalError&) {
        throw;
    } catch (const kiln::Error&) {
        return 0;
    }
    kiln::fuzz::check_round_trip(graph, text);
    return 0;
}
