#include "function.hpp"

#include "compiled_function.hpp"
#include "dump_folder.hpp"
#include "executor.hpp"

#include "filter.hpp"
#include "function_cache.hpp"
#include "function_disk_cache.hpp"
#include "interpreter.hpp"

#include "../ir/errors.hpp"
#include "../jit/cpu_backend.hpp"
#include "../ir/print.hpp"
#include "../ir/log.hpp"
#include "../ir/walk.hpp"

#include <algorithm>
#include <chrono>
#include <ostream>
#include <unordered_map>
#include <unordered_set>

namespace kiln {

namespace {

std::string api(const CompileOptions& options) {
    return options.name.empty() ? "compile(): " : "compile() of '" + options.name + "': ";
}

void check_inputs(const std::vector<Var>& inputs, const CompileOptions& options) {
    std::unordered_map<const Variable*, std::size_t> seen;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Var& input = inputs[i];
        if (!input) throw TypeError(api(options) + "input " + std::to_string(i) + " is an empty Var");
        if (input.node()->is_constant())
            throw TypeError(api(options) + "Constants not allowed in param list (input " + std::to_string(i) +
                            " is " + input.str() + ")");
        if (input.node()->is_shared())
            throw TypeError(api(options) + "Cannot use a shared variable (" + input.str() +
                            ") as explicit input. Consider substituting a non-shared variable via the `givens` "
                            "parameter");
        if (auto found = seen.find(input.node().get()); found != seen.end())
            throw UnusedInputError(api(options) + "Variable " + input.str() + " is used twice in inputs, at indices " +
                                   std::to_string(found->second) + " and " + std::to_string(i) + ".");
        seen.emplace(input.node().get(), i);
    }
}

void check_updates(const std::vector<std::pair<Var, Var>>& updates, const CompileOptions& options) {
    std::unordered_set<const Variable*> targets;
    for (const auto& [target, value] : updates) {
        if (!target || !value) throw TypeError(api(options) + "an update pair holds an empty Var");
        if (!target.node()->is_shared())
            throw TypeError(api(options) + "update target " + target.str() +
                            " is not a shared variable; only shared variables can be updated");
        if (!targets.insert(target.node().get()).second)
            throw ValueError(api(options) + "this shared variable already has an update expression (" +
                             target.str() + ")");
        if (target.type() != value.type()) {
            std::string message = api(options) +
                                  "An update must have the same type as the original shared variable (shared_var=" +
                                  target.str() + ", shared_var.type=" + target.type().str() + ", update_val=" +
                                  value.str() + ", update_val.type=" + value.type().str() + ").";
            if (target.dtype() == value.dtype() && target.ndim() == value.ndim())
                message += " If the difference is related to the broadcast pattern, you can call "
                           "unbroadcast(var, {axis, ...}) to remove broadcastable dimensions.";
            throw TypeError(message);
        }
    }
}

Replacements givens_map(const std::vector<std::pair<Var, Var>>& givens, const std::vector<Var>& inputs,
                        const CompileOptions& options) {
    Replacements replacements;
    std::unordered_set<const Variable*> explicit_inputs;
    for (const Var& input : inputs) explicit_inputs.insert(input.node().get());
    for (const auto& [variable, replacement] : givens) {
        if (!variable || !replacement) throw TypeError(api(options) + "a givens pair holds an empty Var");
        if (explicit_inputs.count(variable.node().get()))
            throw ValueError(api(options) + "You are trying to replace variable '" + variable.str() +
                             "' through the `givens` parameter, but this variable is an input to your function. "
                             "Replace the input by another variable instead.");
        if (variable.type() != replacement.type())
            throw TypeError(api(options) + "givens: Cannot convert Type " + replacement.type().str() +
                            " (of Variable " + replacement.str() + ") into Type " + variable.type().str() +
                            ". You can try to manually convert " + replacement.str() + " into a " +
                            variable.type().str() + ".");
        if (!replacements.emplace(variable.node().get(), replacement.node()).second)
            throw ValueError(api(options) + "givens: variable " + variable.str() + " is replaced twice");
    }
    // Substitution is done once, so a replacement must not depend on another replaced variable.
    for (const auto& [variable, replacement] : givens)
        for (const VariablePtr& ancestor : ancestors({replacement.node()}))
            if (ancestor != replacement.node() && replacements.count(ancestor.get()))
                throw ValueError(api(options) + "givens: the replacement of " + variable.str() + " depends on " +
                                 ancestor->str() + ", which is itself replaced; give the final expression instead");
    return replacements;
}

// Leaves that are neither explicit inputs, shared variables nor constants.
void check_no_missing_inputs(const std::vector<VariablePtr>& roots, const std::vector<Var>& inputs,
                             const CompileOptions& options) {
    std::unordered_set<const Variable*> provided;
    for (const Var& input : inputs) provided.insert(input.node().get());
    for (const ApplyPtr& node : toposort(roots)) {
        for (std::size_t i = 0; i < node->inputs().size(); ++i) {
            const VariablePtr& input = node->inputs()[i];
            if (input->owner() || input->is_constant() || input->is_shared() || provided.count(input.get())) continue;
            throw MissingInputError(api(options) + "Input " + std::to_string(i) +
                                    " of the graph (indices start from 0), used to compute " + apply_text(*node) +
                                    ", was not provided and not given a value (" + input->str() + " of " +
                                    input->type().str() + ").");
        }
    }
    for (const VariablePtr& root : roots)
        if (!root->owner() && !root->is_constant() && !root->is_shared() && !provided.count(root.get()))
            throw MissingInputError(api(options) + "output " + root->str() +
                                    " is a graph input that was not provided and not given a value.");
}

void check_unused_inputs(const std::vector<VariablePtr>& roots, const std::vector<Var>& inputs,
                         const CompileOptions& options) {
    const OnUnusedInput policy = options.on_unused_input.value_or(config().on_unused_input());
    if (policy == OnUnusedInput::ignore) return;
    std::unordered_set<const Variable*> used;
    for (const VariablePtr& v : ancestors(roots)) used.insert(v.get());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (used.count(inputs[i].node().get())) continue;
        std::string message = api(options) + "asked to create a function computing outputs given certain inputs, "
                                             "but the provided input variable at index " + std::to_string(i) +
                              " is not part of the computational graph needed to compute the outputs: " +
                              inputs[i].str() + ".";
        if (policy == OnUnusedInput::raise)
            message += "\nTo make this error into a warning, pass on_unused_input=OnUnusedInput::warn to compile(). "
                       "To disable it completely, use OnUnusedInput::ignore.";
        if (policy == OnUnusedInput::raise) throw UnusedInputError(message);
        logging::get("engine")->warn("{}", message);
    }
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

// Schedules and lowers a rewritten graph (its kernels compiled, or found in
// the kernel cache); the roots after the first `output_count` are the
// updates of `update_targets`.
void build_executable(CompiledGraph& graph, std::size_t output_count, const std::vector<UpdateTarget>& update_targets,
                      Linker linker) {
    std::vector<VariablePtr> leaves = graph.inputs;
    for (const CompiledGraph::Leaf& leaf : graph.implicit_leaves) {
        leaves.push_back(leaf.variable);
        if (leaf.variable->is_constant())
            graph.constant_bytes += static_cast<std::size_t>(leaf.variable->constant_value().size() *
                                                             dtype_size(leaf.variable->constant_value().dtype()));
    }
    std::vector<Executable::Replacement> replacements;
    for (std::size_t i = 0; i < update_targets.size(); ++i)
        for (std::size_t k = 0; k < graph.implicit_leaves.size(); ++k)
            if (update_targets[i].shared_index >= 0 &&
                graph.implicit_leaves[k].shared_index == update_targets[i].shared_index)
                replacements.push_back({output_count + i, graph.inputs.size() + k});
    const jit::JitCounters before = jit::CpuBackend::instance().counters();
    graph.executable =
        std::make_shared<Executable>(leaves, graph.roots, toposort(graph.roots, graph.inputs), linker, replacements);
    graph.costs.planning_seconds = graph.executable->build_costs().planning_seconds;
    graph.costs.kernels_seconds = graph.executable->build_costs().kernels_seconds;
    const jit::JitCounters after = jit::CpuBackend::instance().counters();
    graph.costs.kernels_compiled = after.compiled - before.compiled;
    graph.costs.kernels_from_disk = after.disk_hits - before.disk_hits;
    graph.costs.kernels_from_cache = after.memory_hits - before.memory_hits + graph.costs.kernels_from_disk;
}

// The compiled graph of a request: kept in memory, else read from the disk
// cache, else rewritten now and stored there. On disk only what is JIT-linked
// (the other linkers are for debugging) and rewritten: an entry spares the
// rewriting, and a graph compiled without it (as load_function compiles)
// has none to spare.
std::pair<std::shared_ptr<const CompiledGraph>, GraphSource>
find_or_compile_graph(const Hash128& key, const std::vector<KeyComponent>& key_components,
                      const std::vector<VariablePtr>& roots, const std::vector<VariablePtr>& explicit_inputs,
                      const std::vector<VariablePtr>& shared, std::size_t output_count,
                      const std::vector<UpdateTarget>& update_targets, const RewriteOptions& rewrite_options,
                      Linker linker, const std::string& name) {
    if (std::shared_ptr<const CompiledGraph> kept = find_compiled_graph(key)) return {kept, GraphSource::memory};
    std::shared_ptr<jit::DiskCache> disk;
    if (linker == Linker::jit && rewrite_options.mode != OptimizerMode::none)
        disk = jit::CpuBackend::instance().use_disk_cache(config().disk_cache_directory(),
                                                          config().disk_cache_limit_bytes());
    std::shared_ptr<CompiledGraph> graph;
    if (disk) graph = load_compiled_graph(*disk, key, key_components, explicit_inputs, shared, roots.size());
    const GraphSource source = graph ? GraphSource::disk : GraphSource::compiled;
    if (!graph) graph = rewrite_request(roots, explicit_inputs, shared, rewrite_options);
    build_executable(*graph, output_count, update_targets, linker);
    if (disk && source == GraphSource::compiled) store_compiled_graph(*disk, key, key_components, *graph, name);
    keep_compiled_graph(key, graph, source);
    return {graph, source};
}

std::shared_ptr<CompiledFunction> build(const std::vector<Var>& inputs, const std::vector<Var>& outputs,
                                        const CompileOptions& options, bool single_output) {
    check_inputs(inputs, options);
    for (std::size_t i = 0; i < outputs.size(); ++i)
        if (!outputs[i]) throw TypeError(api(options) + "output " + std::to_string(i) + " is an empty Var");
    check_updates(options.updates, options);

    // Outputs first, then update values: one graph, substituted once.
    std::vector<VariablePtr> roots;
    for (const Var& output : outputs) roots.push_back(output.node());
    for (const auto& update : options.updates) roots.push_back(update.second.node());
    if (!options.givens.empty()) roots = clone_replace(roots, givens_map(options.givens, inputs, options));

    check_no_missing_inputs(roots, inputs, options);
    check_unused_inputs(roots, inputs, options);

    std::vector<VariablePtr> explicit_inputs;
    for (const Var& input : inputs) explicit_inputs.push_back(input.node());
    RewriteOptions rewrite_options = rewrite_options_from_config();
    if (options.mode) rewrite_options.mode = *options.mode;
    rewrite_options.excluding.insert(rewrite_options.excluding.end(), options.excluding.begin(), options.excluding.end());
    const Linker linker = options.linker.value_or(config().linker());
    const std::vector<VariablePtr> shared = request_shared_leaves(roots, explicit_inputs);
    std::vector<UpdateTarget> update_targets;
    for (const auto& [target, value] : options.updates) {
        const auto found = std::find(shared.begin(), shared.end(), target.node());
        update_targets.push_back(
            {target.type(), found == shared.end() ? -1 : static_cast<int>(found - shared.begin())});
    }
    std::vector<KeyComponent> key_components =
        function_key_components(roots, explicit_inputs, outputs.size(), update_targets, rewrite_options, linker);
    const Hash128 key = function_key(key_components);
    const auto [graph, source] = find_or_compile_graph(key, key_components, roots, explicit_inputs, shared,
                                                        outputs.size(), update_targets, rewrite_options, linker,
                                                        options.name);

    // Bind the compiled graph to this request's inputs and shared variables.
    auto compiled = std::make_shared<CompiledFunction>();
    compiled->name = options.name;
    compiled->single_output = single_output;
    compiled->rewrites = graph->rewrites;
    compiled->inputs = inputs;
    compiled->allow_input_downcast = options.allow_input_downcast;
    compiled->executable = graph->executable;
    compiled->user_roots = roots;
    compiled->key = key;
    compiled->key_components = std::move(key_components);
    compiled->graph_source = source;
    compiled->costs = graph->costs;
    Replacements bindings;
    for (std::size_t i = 0; i < explicit_inputs.size(); ++i)
        if (graph->inputs[i] != explicit_inputs[i]) bindings.emplace(graph->inputs[i].get(), explicit_inputs[i]);
    for (const CompiledGraph::Leaf& leaf : graph->implicit_leaves) {
        if (leaf.shared_index < 0) {
            compiled->implicit_leaves.push_back(leaf.variable);
            continue;
        }
        const VariablePtr& variable = shared.at(static_cast<std::size_t>(leaf.shared_index));
        compiled->implicit_leaves.push_back(variable);
        bindings.emplace(leaf.variable.get(), variable);
    }
    const std::vector<VariablePtr> bound = clone_replace(graph->roots, bindings);
    for (std::size_t i = 0; i < outputs.size(); ++i) compiled->outputs.emplace_back(bound[i]);
    for (std::size_t i = 0; i < options.updates.size(); ++i) {
        const Var& target = options.updates[i].first;
        compiled->updates.emplace_back(target, Var(bound[outputs.size() + i]));
        const auto leaf = std::find(compiled->implicit_leaves.begin(), compiled->implicit_leaves.end(), target.node());
        compiled->update_leaf_slots.push_back(leaf == compiled->implicit_leaves.end()
                                                  ? -1
                                                  : static_cast<int>(inputs.size() + (leaf - compiled->implicit_leaves.begin())));
    }
    logging::get("engine")->debug("compiled {} ({})", compiled->label(),
                                  source == GraphSource::memory ? "graph found by its structure"
                                  : source == GraphSource::disk ? "graph read from the disk cache"
                                                                : "new graph");
    return compiled;
}

} // namespace

Function compile(const std::vector<Var>& inputs, const std::vector<Var>& outputs, const CompileOptions& options) {
    Function function(build(inputs, outputs, options, false));
    write_dump_folder_if_asked(function);
    return function;
}

Function compile(const std::vector<Var>& inputs, const Var& output, const CompileOptions& options) {
    Function function(build(inputs, {output}, options, true));
    write_dump_folder_if_asked(function);
    return function;
}

Outputs Function::call(const std::vector<Arg>& arguments) const {
    std::vector<const Arg*> pointers;
    pointers.reserve(arguments.size());
    for (const Arg& argument : arguments) pointers.push_back(&argument);
    return call_arguments(pointers);
}

Outputs Function::call_arguments(std::span<const Arg* const> arguments) const {
    const CompiledFunction& f = *impl_;
    if (arguments.size() > f.inputs.size())
        throw TypeError(f.label() + ": Too many parameters passed: expected " + std::to_string(f.inputs.size()) +
                        ", got " + std::to_string(arguments.size()));
    if (arguments.size() < f.inputs.size())
        throw TypeError(f.label() + ": Missing required input: " + f.inputs[arguments.size()].str() + " (index " +
                        std::to_string(arguments.size()) + ")");

    const Executable::FrameLease frame = f.executable->lease_frame();
    Executable::Slots& slots = frame->slots;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const Var& input = f.inputs[i];
        // Two captured words fit std::function's inline storage: no allocation per argument.
        std::optional<Array> converted = filter_conversion(input.type(), *arguments[i], f.allow_input_downcast, [&f, i] {
            return f.label() + ": bad input argument at index " + std::to_string(i) + " ('" + f.inputs[i].str() +
                   "'): ";
        });
        // An argument that needs no conversion is read where the caller keeps it.
        if (converted) slots[i] = std::move(*converted);
        else slots[i].refer_to(arguments[i]->value());
    }
    // Shared values stay in their storage until the updates commit, after the run.
    for (std::size_t k = 0; k < f.implicit_leaves.size(); ++k) {
        const VariablePtr& leaf = f.implicit_leaves[k];
        slots[arguments.size() + k].refer_to(leaf->is_constant() ? leaf->constant_value() : leaf->shared_storage()->value);
    }
    const std::size_t leaf_count = arguments.size() + f.implicit_leaves.size();

    ArrayList values = f.executable->run(*frame);

    // Nothing handed back or stored may alias an argument, a shared value, a
    // constant, or another result: values[0, checked) are settled.
    auto aliases = [&](const Array& value, std::size_t checked) {
        for (std::size_t i = 0; i < leaf_count; ++i)
            if (value.shares_buffer_with(*slots[i])) return true;
        for (std::size_t i = 0; i < checked; ++i)
            if (value.shares_buffer_with(values[i])) return true;
        return false;
    };
    // Updates first: a result that aliases an update value is the one copied.
    // An update may keep its own target's buffer (a loop wrote it in place,
    // or the value is a view of the old one): the old value goes at commit.
    const std::size_t outputs = f.outputs.size();
    for (std::size_t i = outputs; i < values.size(); ++i) {
        const int own_leaf = f.update_leaf_slots[i - outputs];
        bool shared = false;
        for (std::size_t l = 0; l < leaf_count && !shared; ++l)
            shared = static_cast<int>(l) != own_leaf && values[i].shares_buffer_with(*slots[l]);
        for (std::size_t j = outputs; j < i && !shared; ++j) shared = values[i].shares_buffer_with(values[j]);
        if (shared) values[i] = values[i].copy();
    }
    for (std::size_t i = 0; i < outputs; ++i) {
        bool shared = aliases(values[i], i);
        for (std::size_t j = outputs; j < values.size() && !shared; ++j) shared = values[i].shares_buffer_with(values[j]);
        if (shared) values[i] = values[i].copy();
    }
    // Commit together, only once everything has been computed.
    for (std::size_t i = 0; i < f.updates.size(); ++i)
        f.updates[i].first.node()->shared_storage()->value = std::move(values[outputs + i]);
    values.resize(outputs);
    return Outputs(std::move(values), f.single_output);
}

const std::vector<Var>& Function::inputs() const { return impl_->inputs; }
const std::vector<Var>& Function::outputs() const { return impl_->outputs; }
const std::vector<std::pair<Var, Var>>& Function::updates() const { return impl_->updates; }
const std::string& Function::name() const { return impl_->name; }
const RewriteCounts& Function::rewrites_applied() const { return impl_->rewrites; }
std::string Function::steps_text() const { return impl_->executable->steps_text(); }
std::vector<const Kernel*> Function::kernels() const { return impl_->executable->kernels(); }
std::vector<FunctionStep> Function::steps() const { return impl_->executable->steps(); }

std::vector<SharedVar> Function::shared_variables() const {
    std::vector<SharedVar> found;
    const auto add = [&found](const VariablePtr& variable) {
        if (variable->is_shared() &&
            std::none_of(found.begin(), found.end(), [&](const SharedVar& v) { return v.node() == variable; }))
            found.push_back(SharedVar(variable));
    };
    for (const VariablePtr& leaf : impl_->implicit_leaves) add(leaf);
    for (const auto& [target, value] : impl_->updates) add(target.node());
    return found;
}

Array Var::eval() const { return eval(std::vector<std::pair<Var, Arg>>{}); }

Array Var::eval(const std::vector<std::pair<Var, Arg>>& bindings) const {
    std::vector<Var> inputs;
    std::vector<Arg> arguments;
    for (const auto& [variable, value] : bindings) {
        inputs.push_back(variable);
        arguments.push_back(value);
    }
    return compile(inputs, std::vector<Var>{*this}, {.on_unused_input = OnUnusedInput::ignore, .name = "eval"})
        .call(arguments)[0];
}

Outputs::operator const Array&() const {
    if (values_.size() != 1)
        throw TypeError("Outputs: the function returns " + std::to_string(values_.size()) +
                        " outputs; index them instead of converting to one Array");
    return values_[0];
}

std::ostream& operator<<(std::ostream& os, const Outputs& outputs) {
    if (outputs.single()) return os << outputs[0];
    os << "[";
    for (std::size_t i = 0; i < outputs.size(); ++i) os << (i > 0 ? ", " : "") << outputs[i];
    return os << "]";
}

} // namespace kiln
