// The first stage of compile(): a request's checks, with Theano's error
// texts, and what the later stages need from it. A request that fails a
// check changes nothing.
#pragma once

#include "../api/function.hpp"
#include "../cache/function_cache.hpp"
#include "../rewrite/rewriter.hpp"

#include <string>
#include <vector>

namespace kiln {

/// A checked request, in the form the pipeline works on.
struct CheckedRequest {
    /// The outputs, then the update values, with givens substituted: one
    /// graph, substituted once.
    std::vector<VariablePtr> roots;
    std::vector<VariablePtr> explicit_inputs;
    /// The shared variables the graph reads (request_shared_leaves).
    std::vector<VariablePtr> shared;
    std::vector<UpdateTarget> update_targets;
    RewriteOptions rewrite_options;
    Linker linker = Linker::jit;
    Device device = Device::cpu;
};

/// "compile(): " or "compile() of 'name': ", how errors of this request begin.
std::string compile_api(const CompileOptions& options);

/// Checks inputs, outputs, updates and givens, and that every leaf of the
/// graph is given and every input used (as config on_unused_input says).
/// Throws TypeError, ValueError, MissingInputError or UnusedInputError
/// naming the culprit.
CheckedRequest check_request(const std::vector<Var>& inputs, const std::vector<Var>& outputs,
                             const CompileOptions& options);

} // namespace kiln
