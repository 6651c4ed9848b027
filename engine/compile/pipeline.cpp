#include "pipeline.hpp"

#include "backends.hpp"
#include "fusion.hpp"
#include "request_checks.hpp"

#include "../api/config.hpp"
#include "../cache/disk_store.hpp"
#include "../cache/function_cache.hpp"
#include "../cache/function_disk_cache.hpp"
#include "../rewrite/fgraph.hpp"
#include "../runtime/executor.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/log.hpp"
#include "../../ir/walk.hpp"

#include <algorithm>
#include <chrono>

namespace kiln {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Rewrites a request's graph. Shared variables become placeholders, so the
// result serves any request of the same structure; `shared` is
// request_shared_leaves(roots, explicit_inputs).
std::shared_ptr<CompiledGraph> rewrite_request(const std::vector<VariablePtr>& roots,
                                               const std::vector<VariablePtr>& explicit_inputs,
                                               const std::vector<VariablePtr>& shared,
                                               const RewriteOptions& rewrite_options) {
    // Rewrite a copy-on-write view; the user's graph stays as it was.
    const auto start = std::chrono::steady_clock::now();
    FunctionGraph fgraph(explicit_inputs, roots);
    auto graph = std::make_shared<CompiledGraph>();
    graph->rewrites = rewrite_graph(fgraph, rewrite_options);
    graph->inputs = explicit_inputs;

    Replacements placeholders;
    for (const VariablePtr& leaf : graph_inputs(fgraph.outputs(), explicit_inputs)) {
        if (std::find(explicit_inputs.begin(), explicit_inputs.end(), leaf) != explicit_inputs.end()) continue;
        CompiledGraph::Leaf implicit{leaf};
        if (leaf->is_shared()) {
            const auto found = std::find(shared.begin(), shared.end(), leaf);
            KILN_CHECK(found != shared.end(), "a rewrite introduced shared variable " + leaf->str());
            implicit.shared_index = static_cast<int>(found - shared.begin());
            implicit.variable = Variable::make_input(leaf->type(), leaf->name());
            placeholders.emplace(leaf.get(), implicit.variable);
        }
        graph->implicit_leaves.push_back(std::move(implicit));
    }
    graph->roots = clone_replace(fgraph.outputs(), placeholders);
    graph->costs.rewrite_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return graph;
}

// The leaves the executable takes (explicit inputs, then the implicit
// leaves), and the update values it may compute into their targets' buffers.
struct ExecutableLeaves {
    std::vector<VariablePtr> leaves;
    std::vector<Executable::Replacement> replacements;
};

ExecutableLeaves executable_leaves(const CompiledGraph& graph, std::size_t output_count,
                                   const std::vector<UpdateTarget>& update_targets) {
    ExecutableLeaves found{graph.inputs, {}};
    for (const CompiledGraph::Leaf& leaf : graph.implicit_leaves) found.leaves.push_back(leaf.variable);
    for (std::size_t i = 0; i < update_targets.size(); ++i)
        for (std::size_t k = 0; k < graph.implicit_leaves.size(); ++k)
            if (update_targets[i].shared_index >= 0 &&
                graph.implicit_leaves[k].shared_index == update_targets[i].shared_index)
                found.replacements.push_back({output_count + i, graph.inputs.size() + k});
    return found;
}

// Bytes of the constants a compiled graph holds (what keeping it costs).
std::size_t constant_bytes(const CompiledGraph& graph) {
    std::size_t bytes = 0;
    for (const CompiledGraph::Leaf& leaf : graph.implicit_leaves)
        if (leaf.variable->is_constant())
            bytes += static_cast<std::size_t>(leaf.variable->constant_value().size() *
                                              dtype_size(leaf.variable->constant_value().dtype()));
    return bytes;
}

// Stages 6-8 for a rewritten graph: fused, planned, and its kernels compiled
// (or found in the kernel cache, in memory or in `store`). The roots after
// the first `output_count` are the updates of `update_targets`.
void build_executable(CompiledGraph& graph, std::size_t output_count, const std::vector<UpdateTarget>& update_targets,
                      Linker linker, jit::Backend& backend, const std::shared_ptr<jit::DiskCache>& store,
                      jit::KeepTexts keep_texts) {
    const auto planning_start = std::chrono::steady_clock::now();
    const ExecutableLeaves leaves = executable_leaves(graph, output_count, update_targets);
    graph.constant_bytes = constant_bytes(graph);
    const std::vector<ApplyPtr> schedule = toposort(graph.roots, graph.inputs);
    std::vector<Step> steps = linker == Linker::interpreter ? one_step_per_node(schedule) : fuse(schedule, graph.roots);
    auto executable = std::make_shared<Executable>(leaves.leaves, graph.roots, schedule, std::move(steps), linker,
                                                   backend, leaves.replacements);
    graph.costs.planning_seconds = seconds_since(planning_start);

    const jit::JitCounters before = backend.counters();
    const auto kernels_start = std::chrono::steady_clock::now();
    executable->compile_kernels(store, keep_texts);
    graph.costs.kernels_seconds = seconds_since(kernels_start);
    const jit::JitCounters after = backend.counters();
    graph.costs.kernels_compiled = after.compiled - before.compiled;
    graph.costs.kernels_from_disk = after.disk_hits - before.disk_hits;
    graph.costs.kernels_from_cache = after.memory_hits - before.memory_hits + graph.costs.kernels_from_disk;
    graph.executable = std::move(executable);
}

// Stage 10: the compiled graph bound to this request's inputs and shared variables.
std::shared_ptr<CompiledFunction> bind_to_request(const CompiledGraph& graph, GraphSource source,
                                                  const CheckedRequest& request, const std::vector<Var>& inputs,
                                                  std::size_t output_count, const CompileOptions& options,
                                                  bool single_output) {
    auto compiled = std::make_shared<CompiledFunction>();
    compiled->name = options.name;
    compiled->single_output = single_output;
    compiled->rewrites = graph.rewrites;
    compiled->inputs = inputs;
    compiled->allow_input_downcast = options.allow_input_downcast;
    compiled->nan_guard = options.nan_guard.value_or(config().nan_guard());
    compiled->executable = graph.executable;
    compiled->executable_roots = graph.roots;
    compiled->user_roots = request.roots;
    compiled->graph_source = source;
    compiled->costs = graph.costs;
    Replacements bindings;
    for (std::size_t i = 0; i < request.explicit_inputs.size(); ++i)
        if (graph.inputs[i] != request.explicit_inputs[i])
            bindings.emplace(graph.inputs[i].get(), request.explicit_inputs[i]);
    for (const CompiledGraph::Leaf& leaf : graph.implicit_leaves) {
        if (leaf.shared_index < 0) {
            compiled->implicit_leaves.push_back(leaf.variable);
            continue;
        }
        const VariablePtr& variable = request.shared.at(static_cast<std::size_t>(leaf.shared_index));
        compiled->implicit_leaves.push_back(variable);
        bindings.emplace(leaf.variable.get(), variable);
    }
    const std::vector<VariablePtr> bound = clone_replace(graph.roots, bindings);
    for (std::size_t i = 0; i < output_count; ++i) compiled->outputs.emplace_back(bound[i]);
    for (std::size_t i = 0; i < options.updates.size(); ++i) {
        const Var& target = options.updates[i].first;
        compiled->updates.emplace_back(target, Var(bound[output_count + i]));
        const auto leaf = std::find(compiled->implicit_leaves.begin(), compiled->implicit_leaves.end(), target.node());
        compiled->update_leaf_slots.push_back(
            leaf == compiled->implicit_leaves.end()
                ? -1
                : static_cast<int>(inputs.size() + (leaf - compiled->implicit_leaves.begin())));
    }
    std::vector<SharedLocks::Entry> locks;
    for (const VariablePtr& leaf : compiled->implicit_leaves)
        if (leaf->is_shared()) locks.push_back({leaf->shared_storage().get(), false});
    for (const auto& [target, value] : compiled->updates) locks.push_back({target.node()->shared_storage().get(), true});
    compiled->shared_locks = SharedLocks::lock_order(std::move(locks));
    return compiled;
}

const char* source_text(GraphSource source) {
    return source == GraphSource::memory ? "graph found by its structure"
           : source == GraphSource::disk ? "graph read from the disk cache"
                                         : "new graph";
}

} // namespace

std::shared_ptr<CompiledFunction> compile_function(const std::vector<Var>& inputs, const std::vector<Var>& outputs,
                                                   const CompileOptions& options, bool single_output) {
    const CheckedRequest request = check_request(inputs, outputs, options);
    jit::Backend& backend = backend_for(request.device);

    std::vector<KeyComponent> key_components =
        function_key_components(request.roots, request.explicit_inputs, outputs.size(), request.update_targets,
                                request.rewrite_options, request.linker, backend.name());
    const Hash128 key = function_key(key_components);

    GraphSource source = GraphSource::memory;
    std::shared_ptr<const CompiledGraph> graph = find_compiled_graph(key);
    if (!graph) {
        // Kernels' code goes through the disk store whenever loops are
        // compiled; whole functions only when JIT-linked (the other linkers
        // are for debugging) and rewritten (a graph compiled without
        // rewriting, as load_function compiles, has none to spare).
        const std::shared_ptr<jit::DiskCache> store =
            request.linker == Linker::interpreter ? nullptr : configured_disk_cache();
        const bool stores_functions =
            store && request.linker == Linker::jit && request.rewrite_options.mode != OptimizerMode::none;

        std::shared_ptr<CompiledGraph> made;
        if (stores_functions)
            made = load_compiled_graph(*store, backend, key, key_components, request.explicit_inputs, request.shared,
                                       request.roots.size());
        source = made ? GraphSource::disk : GraphSource::compiled;
        if (!made) made = rewrite_request(request.roots, request.explicit_inputs, request.shared, request.rewrite_options);

        // Dumps show the code compiled here rather than lowering it again.
        const bool dumps = options.keep_code_texts || !config().dump_dir().empty();
        build_executable(*made, outputs.size(), request.update_targets, request.linker, backend, store,
                         dumps ? jit::KeepTexts::yes : jit::KeepTexts::no);

        if (stores_functions && source == GraphSource::compiled)
            store_compiled_graph(*store, backend, key, key_components, *made, options.name);
        keep_compiled_graph(key, made, source);
        graph = std::move(made);
    }

    std::shared_ptr<CompiledFunction> compiled =
        bind_to_request(*graph, source, request, inputs, outputs.size(), options, single_output);
    compiled->key = key;
    compiled->key_components = std::move(key_components);
    logging::get("engine")->debug("compiled {} ({})", compiled->label(), source_text(source));
    return compiled;
}

} // namespace kiln
