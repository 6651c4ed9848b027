#include "command_line.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace kiln::dump {

std::string CommandLine::option(const std::string& name, const std::string& fallback) const {
    const auto [first, last] = options.equal_range(name);
    if (first == last) return fallback;
    if (std::next(first) != last) throw UsageError("--" + name + " is given more than once");
    return first->second;
}

std::vector<std::string> CommandLine::all(const std::string& name) const {
    std::vector<std::string> values;
    for (auto [it, last] = options.equal_range(name); it != last; ++it) values.push_back(it->second);
    return values;
}

CommandLine parse_command_line(const std::string& command, const std::vector<std::string>& arguments,
                               const std::vector<std::string>& flags, const std::vector<std::string>& valued) {
    CommandLine line;
    line.command = command;
    const auto contains = [](const std::vector<std::string>& list, const std::string& name) {
        return std::find(list.begin(), list.end(), name) != list.end();
    };
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const std::string& argument = arguments[i];
        if (argument == "--help" || argument == "-h") {
            line.help = true;
        } else if (argument == "-e") {
            if (i + 1 >= arguments.size()) throw UsageError("-e needs an expression");
            if (!line.expression.empty()) throw UsageError("-e is given more than once");
            line.expression = arguments[++i];
        } else if (argument.starts_with("--")) {
            std::string name = argument.substr(2), value;
            const std::size_t equals = name.find('=');
            const bool inline_value = equals != std::string::npos;
            if (inline_value) {
                value = name.substr(equals + 1);
                name.resize(equals);
            }
            if (contains(flags, name)) {
                if (inline_value) throw UsageError("--" + name + " takes no value");
            } else if (contains(valued, name)) {
                if (!inline_value) {
                    if (i + 1 >= arguments.size()) throw UsageError("--" + name + " needs a value");
                    value = arguments[++i];
                }
            } else {
                throw UsageError("unknown option --" + name + " for '" + line.command + "'");
            }
            line.options.emplace(name, value);
        } else if (argument.size() > 1 && argument[0] == '-') {
            throw UsageError("unknown option " + argument + " for '" + line.command + "'");
        } else if (line.file.empty()) {
            line.file = argument;
        } else if (line.second_file.empty()) {
            line.second_file = argument;
        } else {
            throw UsageError("unexpected argument '" + argument + "': give one FILE or -e EXPR");
        }
    }
    return line;
}

std::string read_file(const std::string& path) {
    std::ostringstream text;
    if (path == "-") {
        text << std::cin.rdbuf();
        return text.str();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError("cannot read " + path);
    text << in.rdbuf();
    return text.str();
}

ParsedGraph read_graph(const CommandLine& line) {
    if (!line.second_file.empty()) throw UsageError("unexpected argument '" + line.second_file + "': give one FILE or -e EXPR");
    if (!line.file.empty() && !line.expression.empty()) throw UsageError("give either FILE or -e EXPR, not both");
    if (line.file.empty() && line.expression.empty()) throw UsageError("no graph: give FILE (or - for standard input) or -e EXPR");
    const std::string text = line.expression.empty() ? read_file(line.file) : line.expression;
    return is_graph_text(text) ? read_graph_text(text) : parse_expression(text);
}

} // namespace kiln::dump
