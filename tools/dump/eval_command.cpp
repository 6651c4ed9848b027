#include "array_json.hpp"
#include "commands.hpp"

#include "engine/runtime/filter.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>

namespace kiln::dump {

namespace {

// The values given with --set, by the name of an input or of a shared
// variable (whose stored value it replaces for this run).
std::map<std::string, Arg> read_settings(const CommandLine& line, const std::vector<Var>& inputs,
                                         const std::vector<SharedVar>& shared) {
    std::string input_names;
    for (const Var& input : inputs) input_names += (input_names.empty() ? "" : ", ") + input.name();
    for (const SharedVar& variable : shared)
        input_names += (input_names.empty() ? "" : ", ") + variable.name() + " (shared)";
    std::map<std::string, Arg> values;
    for (const std::string& setting : line.all("set")) {
        const std::size_t equals = setting.find('=');
        if (equals == std::string::npos || equals == 0)
            throw UsageError("--set takes NAME=VALUE, not '" + setting + "'");
        const std::string name = setting.substr(0, equals), text = setting.substr(equals + 1);
        const bool known =
            std::any_of(inputs.begin(), inputs.end(), [&](const Var& input) { return input.name() == name; }) ||
            std::any_of(shared.begin(), shared.end(), [&](const SharedVar& variable) { return variable.name() == name; });
        if (!known)
            throw UsageError("--set " + name + ": the graph has no input or shared variable '" + name + "' (it has: " +
                             (input_names.empty() ? "none" : input_names) + ")");
        if (values.count(name)) throw UsageError("--set " + name + " is given more than once");
        try {
            values.emplace(name, text.starts_with("@") ? Arg(load_npy(text.substr(1))) : parse_literal(text));
        } catch (const Error& error) {
            throw Error("--set " + name + ": " + error.what());
        }
    }
    return values;
}

// "name = " before the first line of NumPy's text, the next lines aligned under it.
std::string labelled(const std::string& label, const std::string& text) {
    if (label.empty()) return text;
    const std::string prefix = label + " = ";
    std::string out = prefix;
    for (const char c : text) {
        out += c;
        if (c == '\n') out += std::string(prefix.size(), ' ');
    }
    return out;
}

// Whether FILE is a saved function (compile --save): its first line says so.
// Only that line is read; the whole file is read once, by whoever takes it.
bool is_saved_function(const std::string& path) {
    if (path.empty() || path == "-") return false;
    std::ifstream file(path, std::ios::binary);
    std::string first;
    return std::getline(file, first) && first.starts_with("kiln-saved-function ");
}

} // namespace

void run_eval(const CommandLine& line, std::ostream& out) {
    // A saved function runs as it was saved; a graph is compiled first.
    const bool saved = line.expression.empty() && is_saved_function(line.file);
    if (!saved && line.flag("compile-if-incompatible"))
        throw UsageError("--compile-if-incompatible applies to a saved function");
    std::optional<Function> function;
    std::vector<std::string> output_names;
    if (saved) {
        if (line.flag("allow-input-downcast"))
            throw UsageError("--allow-input-downcast does not apply to a saved function: it keeps its own setting");
        function = load_function(line.file, {.compile_if_incompatible = line.flag("compile-if-incompatible")});
        for (const Var& output : function->outputs()) output_names.push_back(output.name());
    } else {
        const ParsedGraph graph = read_graph(line);
        CompileOptions options{.updates = graph.updates};
        if (line.flag("allow-input-downcast")) options.allow_input_downcast = true;
        function = compile(graph.inputs, graph.outputs, options);
        output_names = graph.output_names;
    }
    const std::vector<SharedVar> shared = function->shared_variables();
    std::map<std::string, Arg> values = read_settings(line, function->inputs(), shared);
    for (const SharedVar& variable : shared)
        if (const auto found = values.find(variable.name()); found != values.end()) {
            try {
                variable.set_value(found->second);
            } catch (const Error& error) {
                throw Error("--set " + variable.name() + ": " + error.what());
            }
            values.erase(found);
        }
    std::vector<Arg> arguments;
    for (const Var& input : function->inputs()) {
        const auto found = values.find(input.name());
        if (found == values.end())
            throw UsageError("input '" + input.name() + "' has no value: add --set " + input.name() +
                             "=VALUE (a literal such as '[[1, 2], [3, 4]]', or @file.npy)");
        arguments.push_back(found->second);
    }
    const Outputs results = [&] {
        try {
            return function->call(arguments);
        } catch (const TypeError& refused) {
            // Say this tool's way where the library gives its C++ choices
            // ("1) cast your data ... 2) set CompileOptions::...").
            std::string text = refused.what();
            const std::size_t choices = text.find("1) cast your data to ");
            const std::size_t option = text.find(compile_downcast_option);
            if (choices == std::string::npos || option == std::string::npos) throw;
            const std::string_view advice = saved ? "write values the input's dtype holds exactly (the saved function "
                                                    "refuses downcasts)"
                                                  : "write values the input's dtype holds exactly, or pass "
                                                    "--allow-input-downcast to round them";
            throw TypeError(text.replace(choices, option + compile_downcast_option.size() - choices, advice));
        }
    }();
    const bool json = line.flag("json");
    for (std::size_t i = 0; i < results.size(); ++i) {
        std::string name = output_names[i];
        if (name.empty()) name = "[" + std::to_string(i) + "]";
        if (json) out << array_json(name, results[i]) << "\n";
        // One output prints alone, as NumPy's print(x); several are labelled.
        else out << labelled(results.size() > 1 ? name : "", results[i].str()) << "\n";
    }
    if (!line.flag("show-updates")) return;
    // Each updated shared variable's value after the call, labelled "name'" (its next value).
    for (const auto& [target, value] : function->updates()) {
        const auto variable = std::find_if(shared.begin(), shared.end(),
                                           [&](const SharedVar& v) { return v.node() == target.node(); });
        const Array updated = variable->get_value();
        const std::string name = target.name().empty() ? target.str() : target.name();
        if (json) out << array_json(name + "'", updated) << "\n";
        else out << labelled(name + "'", updated.str()) << "\n";
    }
}

} // namespace kiln::dump
