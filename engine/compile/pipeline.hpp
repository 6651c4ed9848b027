// compile() as one straight line of stages, each in a file of its own:
//
//   1 check the request                       compile/request_checks
//   2 its function key                        cache/function_cache
//   3 the compiled graph kept in memory       cache/function_cache
//   4 else the one kept on disk               cache/function_disk_cache
//   5 else rewrite                            rewrite/rewriter
//   6 fuse into loops and op steps            compile/fusion
//   7 plan buffers, in-place updates, frees   compile/plan
//   8 compile kernels on the backend          jit::Backend (compile/backends)
//   9 keep the graph on disk and in memory    cache/
//  10 bind it to the request's inputs and shared variables
//
// Stages 3-9 are skipped when an earlier one finds the graph: a graph from
// memory is bound as it is, one from disk is planned and gets its kernels
// (from the kernel cache) without rewriting.
#pragma once

#include "compiled_function.hpp"

#include "../api/function.hpp"

#include <memory>
#include <vector>

namespace kiln {

/// The compiled function of a compile() request; `single_output` when it
/// returns its one output as an Array rather than a list.
std::shared_ptr<CompiledFunction> compile_function(const std::vector<Var>& inputs, const std::vector<Var>& outputs,
                                                   const CompileOptions& options, bool single_output);

} // namespace kiln
