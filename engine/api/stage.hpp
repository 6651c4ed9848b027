// The stages of compile() that a function can print and a dump folder keeps.
#pragma once

#include <array>
#include <string_view>

namespace kiln {

enum class Stage {
    graph,           // the graph as given (givens applied), before rewriting
    optimized,       // after rewriting, each node with its place in the schedule
    rewrites,        // the rewrites that fired, with counts
    schedule,        // the steps: fused loops and op calls
    kernel,          // each fused loop's kernel IR, with its key
    llvm,            // each kernel's LLVM IR as lowered
    llvm_optimized,  // the same after LLVM's optimization passes
    assembly,        // native assembly for the host CPU
};

inline constexpr std::array<Stage, 8> all_stages = {Stage::graph,    Stage::optimized, Stage::rewrites,
                                                    Stage::schedule, Stage::kernel,    Stage::llvm,
                                                    Stage::llvm_optimized, Stage::assembly};

/// "graph", "optimized", "rewrites", "schedule", "kernel", "llvm", "llvm-opt", "asm".
std::string_view stage_name(Stage stage);
/// The stage stage_name() spells so; throws ValueError listing the names.
Stage stage_from_name(std::string_view name);
/// Its file in a dump folder: "graph.txt", ..., "kernel.txt", "llvm.ll", "llvm-opt.ll", "asm.s".
std::string_view stage_file(Stage stage);

} // namespace kiln
