// Compiled graphs kept in the on-disk kernel cache under their function key,
// so that compile() in the next process skips rewriting: an entry holds the
// optimized graph in the graph text format, how its leaves bind to a
// request, and the rewrite counts. Its kernels are kernel entries of their own.
#pragma once

#include "function_cache.hpp"

#include "../../jit/backend.hpp"
#include "../../jit/disk_cache.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

/// Rewrite counts as function entries and saved functions store them: a
/// line "rewrite COUNT NAME" each.
std::string rewrite_count_lines(const RewriteCounts& counts);
/// Adds the count of one such line to `counts`; false for a line that is not one.
bool read_rewrite_count_line(std::string_view line, RewriteCounts& counts);

/// The compiled graph's optimized form as an entry's payload.
std::string compiled_graph_payload(const CompiledGraph& graph);

/// Rebuilds a compiled graph (no executable yet) from a payload, over new
/// inputs and placeholders; throws kiln::ValueError naming what does not
/// fit a request with `explicit_inputs`, `shared` leaves and `root_count`
/// roots (outputs, then update values).
std::shared_ptr<CompiledGraph> read_compiled_graph_payload(std::string_view payload,
                                                           const std::vector<VariablePtr>& explicit_inputs,
                                                           const std::vector<VariablePtr>& shared,
                                                           std::size_t root_count);

/// The graph stored on disk for the function `key` compiled for `backend`,
/// rebuilt as above; null when there is none. An entry that does not fit
/// the request is removed.
std::shared_ptr<CompiledGraph> load_compiled_graph(jit::DiskCache& disk, const jit::Backend& backend, const Hash128& key,
                                                   const std::vector<KeyComponent>& key_components,
                                                   const std::vector<VariablePtr>& explicit_inputs,
                                                   const std::vector<VariablePtr>& shared, std::size_t root_count);

/// Stores `graph` (just compiled) under `key`, with its key components and
/// the name of the function it was compiled for (`name`, "" for none) in
/// the readable manifest; a failed write only warns (once per cache). A
/// graph holding more than 1 MiB of constants is not stored.
void store_compiled_graph(jit::DiskCache& disk, const jit::Backend& backend, const Hash128& key,
                          const std::vector<KeyComponent>& key_components, const CompiledGraph& graph,
                          const std::string& name);

} // namespace kiln
