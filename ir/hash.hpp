// Structural hash of a graph: equal for graphs that compute the same thing
// the same way, whatever their names or addresses; stable across processes.
#pragma once

#include "graph.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

struct Hash128 {
    std::uint64_t high = 0;
    std::uint64_t low = 0;

    /// 32 lowercase hex digits, high half first.
    std::string hex() const;
    /// The hash `hex()` wrote; nothing for text that is not 32 hex digits.
    static std::optional<Hash128> from_hex(std::string_view text);
    bool operator==(const Hash128&) const = default;
};

/// XXH3-128 of a byte string.
Hash128 hash_bytes(const void* data, std::size_t size);

/// XXH3-128 of the graph's canonical text (see canonical_graph_text).
Hash128 structural_hash(const std::vector<VariablePtr>& outputs, const std::vector<VariablePtr>& inputs = {});

/// One line per leaf and node in a fixed order: `inputs` first, in their
/// order, then the other leaves as a walk from the outputs first meets
/// them; constants include their values, ops their kind and parameters.
/// No names, no addresses.
std::string canonical_graph_text(const std::vector<VariablePtr>& outputs,
                                 const std::vector<VariablePtr>& inputs = {});

} // namespace kiln

/// Hash128 as a key of unordered containers: it is uniform already, so its
/// low half serves.
template <> struct std::hash<kiln::Hash128> {
    std::size_t operator()(const kiln::Hash128& key) const noexcept { return static_cast<std::size_t>(key.low); }
};
