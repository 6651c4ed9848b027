// Compiled graphs found again by the structure of the request: compiling a
// function whose graph, options and configuration were compiled before does
// no rewriting, scheduling or lowering; it rebinds the earlier result to the
// new request's inputs and shared variables.
#pragma once

#include "../api/config.hpp"
#include "../api/function.hpp"
#include "../rewrite/rewriter.hpp"

#include "../../ir/graph.hpp"
#include "../../ir/hash.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

class Executable;

/// Where compile() got a compiled graph.
enum class GraphSource {
    /// Rewritten, planned and lowered now.
    compiled,
    /// Found in this process's memory, compiled earlier.
    memory,
    /// Read from the on-disk kernel cache (no rewriting), then planned with
    /// its kernels taken from the kernel cache.
    disk,
    /// Loaded from a file save_function wrote (load_function).
    file,
};

/// What compiling a graph cost, measured when it was compiled.
struct CompileCosts {
    double rewrite_seconds = 0;
    /// Reading and checking the optimized graph from the disk cache.
    double graph_load_seconds = 0;
    /// Fusion into loops and buffer planning.
    double planning_seconds = 0;
    /// Every kernel's machine code: lowering to LLVM IR, LLVM's passes and
    /// code generation, or a kernel cache look-up (kernels compile in parallel).
    double kernels_seconds = 0;
    /// Kernels LLVM compiled for it, and kernels found in the kernel cache,
    /// in memory or on disk (differences of the process's counters, so
    /// another thread compiling at the same time can blur them).
    std::uint64_t kernels_compiled = 0;
    std::uint64_t kernels_from_cache = 0;
    std::uint64_t kernels_from_disk = 0;
};

/// What compile() derives from a graph, independent of which shared
/// variables it reads: those are placeholders here, numbered in the order
/// of the request's graph (see request_shared_leaves).
struct CompiledGraph {
    /// The explicit inputs the graph was compiled with.
    std::vector<VariablePtr> inputs;
    /// The optimized outputs, then the update values, over `inputs`,
    /// constants and the placeholders.
    std::vector<VariablePtr> roots;
    /// The leaves the executable takes after the explicit inputs, in order:
    /// a constant, or a placeholder for the request's shared variable
    /// number `shared_index`.
    struct Leaf {
        VariablePtr variable;
        int shared_index = -1;
    };
    std::vector<Leaf> implicit_leaves;
    std::shared_ptr<const Executable> executable;
    RewriteCounts rewrites;
    CompileCosts costs;
    /// Bytes of the constants it holds (what keeping it costs).
    std::size_t constant_bytes = 0;
};

/// The shared variables a request's graph reads, in a walk order that
/// depends only on the graph's structure.
std::vector<VariablePtr> request_shared_leaves(const std::vector<VariablePtr>& roots,
                                               const std::vector<VariablePtr>& inputs);

/// One named part of a function key, as text.
struct KeyComponent {
    std::string name;
    std::string value;
};

/// An update's target as a function key sees it: its type, and which of
/// the request's shared leaves it is (-1: one the graph does not read).
/// The executable may write the new value into that leaf's buffer.
struct UpdateTarget {
    TensorType type;
    int shared_index = -1;
};

/// Everything that decides what compile() builds from a request, part by
/// part: the graph's structure and constants' values ("graph", a hash),
/// its names ("names", a hash), how many roots are outputs, the update
/// targets, the rewrite mode and exclusions, the linker, and the device
/// (the backend's name) it runs on.
std::vector<KeyComponent> function_key_components(const std::vector<VariablePtr>& roots,
                                                  const std::vector<VariablePtr>& inputs, std::size_t output_count,
                                                  const std::vector<UpdateTarget>& update_targets,
                                                  const RewriteOptions& rewrite_options, Linker linker,
                                                  std::string_view device);
/// The hash of all the components: what compile() looks a graph up by.
Hash128 function_key(const std::vector<KeyComponent>& components);

/// The compiled graph kept in memory under `key`, or null; counts a hit.
std::shared_ptr<const CompiledGraph> find_compiled_graph(const Hash128& key);
/// Keeps `graph` under `key` and counts where it came from (compiled or
/// disk); the least recently used entries beyond the cache's capacity
/// (entries, and bytes of constants) are dropped, and a graph whose
/// constants alone exceed it is not kept.
void keep_compiled_graph(const Hash128& key, std::shared_ptr<const CompiledGraph> graph, GraphSource source);

} // namespace kiln
