#include "request_checks.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/log.hpp"
#include "../../ir/print.hpp"
#include "../../ir/walk.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace kiln {

namespace {

void check_inputs(const std::vector<Var>& inputs, const CompileOptions& options) {
    std::unordered_map<const Variable*, std::size_t> seen;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Var& input = inputs[i];
        if (!input) throw TypeError(compile_api(options) + "input " + std::to_string(i) + " is an empty Var");
        if (input.node()->is_constant())
            throw TypeError(compile_api(options) + "Constants not allowed in param list (input " + std::to_string(i) +
                            " is " + input.str() + ")");
        if (input.node()->is_shared())
            throw TypeError(compile_api(options) + "Cannot use a shared variable (" + input.str() +
                            ") as explicit input. Consider substituting a non-shared variable via the `givens` "
                            "parameter");
        if (auto found = seen.find(input.node().get()); found != seen.end())
            throw UnusedInputError(compile_api(options) + "Variable " + input.str() + " is used twice in inputs, at indices " +
                                   std::to_string(found->second) + " and " + std::to_string(i) + ".");
        seen.emplace(input.node().get(), i);
    }
}

void check_updates(const std::vector<std::pair<Var, Var>>& updates, const CompileOptions& options) {
    std::unordered_set<const Variable*> targets;
    for (const auto& [target, value] : updates) {
        if (!target || !value) throw TypeError(compile_api(options) + "an update pair holds an empty Var");
        if (!target.node()->is_shared())
            throw TypeError(compile_api(options) + "update target " + target.str() +
                            " is not a shared variable; only shared variables can be updated");
        if (!targets.insert(target.node().get()).second)
            throw ValueError(compile_api(options) + "this shared variable already has an update expression (" +
                             target.str() + ")");
        if (target.type() != value.type()) {
            std::string message = compile_api(options) +
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
        if (!variable || !replacement) throw TypeError(compile_api(options) + "a givens pair holds an empty Var");
        if (explicit_inputs.count(variable.node().get()))
            throw ValueError(compile_api(options) + "You are trying to replace variable '" + variable.str() +
                             "' through the `givens` parameter, but this variable is an input to your function. "
                             "Replace the input by another variable instead.");
        if (variable.type() != replacement.type())
            throw TypeError(compile_api(options) + "givens: Cannot convert Type " + replacement.type().str() +
                            " (of Variable " + replacement.str() + ") into Type " + variable.type().str() +
                            ". You can try to manually convert " + replacement.str() + " into a " +
                            variable.type().str() + ".");
        if (!replacements.emplace(variable.node().get(), replacement.node()).second)
            throw ValueError(compile_api(options) + "givens: variable " + variable.str() + " is replaced twice");
    }
    // Substitution is done once, so a replacement must not depend on another replaced variable.
    for (const auto& [variable, replacement] : givens)
        for (const VariablePtr& ancestor : ancestors({replacement.node()}))
            if (ancestor != replacement.node() && replacements.count(ancestor.get()))
                throw ValueError(compile_api(options) + "givens: the replacement of " + variable.str() + " depends on " +
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
            throw MissingInputError(compile_api(options) + "Input " + std::to_string(i) +
                                    " of the graph (indices start from 0), used to compute " + apply_text(*node) +
                                    ", was not provided and not given a value (" + input->str() + " of " +
                                    input->type().str() + ").");
        }
    }
    for (const VariablePtr& root : roots)
        if (!root->owner() && !root->is_constant() && !root->is_shared() && !provided.count(root.get()))
            throw MissingInputError(compile_api(options) + "output " + root->str() +
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
        std::string message = compile_api(options) + "asked to create a function computing outputs given certain inputs, "
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

} // namespace

std::string compile_api(const CompileOptions& options) {
    return options.name.empty() ? "compile(): " : "compile() of '" + options.name + "': ";
}

CheckedRequest check_request(const std::vector<Var>& inputs, const std::vector<Var>& outputs,
                             const CompileOptions& options) {
    check_inputs(inputs, options);
    for (std::size_t i = 0; i < outputs.size(); ++i)
        if (!outputs[i]) throw TypeError(compile_api(options) + "output " + std::to_string(i) + " is an empty Var");
    check_updates(options.updates, options);

    CheckedRequest request;
    for (const Var& output : outputs) request.roots.push_back(output.node());
    for (const auto& update : options.updates) request.roots.push_back(update.second.node());
    if (!options.givens.empty())
        request.roots = clone_replace(request.roots, givens_map(options.givens, inputs, options));

    check_no_missing_inputs(request.roots, inputs, options);
    check_unused_inputs(request.roots, inputs, options);

    for (const Var& input : inputs) request.explicit_inputs.push_back(input.node());
    request.rewrite_options = rewrite_options_from_config();
    if (options.mode) request.rewrite_options.mode = *options.mode;
    request.rewrite_options.excluding.insert(request.rewrite_options.excluding.end(), options.excluding.begin(),
                                             options.excluding.end());
    request.linker = options.linker.value_or(config().linker());
    request.device = options.device.value_or(config().device());
    request.shared = request_shared_leaves(request.roots, request.explicit_inputs);
    for (const auto& [target, value] : options.updates) {
        const auto found = std::find(request.shared.begin(), request.shared.end(), target.node());
        request.update_targets.push_back(
            {target.type(), found == request.shared.end() ? -1 : static_cast<int>(found - request.shared.begin())});
    }
    return request;
}

} // namespace kiln
