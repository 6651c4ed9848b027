// kiln-dump's command line: one subcommand, a graph given as FILE or
// -e EXPR, and --name VALUE / --name=VALUE options (some repeatable).
#pragma once

#include <kiln/kiln.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace kiln::dump {

/// A command line kiln-dump cannot use (exit code 2).
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A tool or backend that this machine or build lacks (exit code 3).
class UnavailableError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct CommandLine {
    std::string command;
    /// FILE (or "-" for standard input), when given.
    std::string file;
    /// A second positional argument (explain's DIR_B), when given.
    std::string second_file;
    /// -e EXPR, when given.
    std::string expression;
    /// Every --name value, in order, by name.
    std::multimap<std::string, std::string> options;
    bool help = false;

    /// The single value of --name, or `fallback`; UsageError when repeated.
    std::string option(const std::string& name, const std::string& fallback) const;
    std::vector<std::string> all(const std::string& name) const;
    bool flag(const std::string& name) const { return options.count(name) > 0; }
};

/// Parses the arguments after the subcommand's name. `flags` take no
/// value; `valued` take one. Throws UsageError naming an unknown option or
/// a missing value.
CommandLine parse_command_line(const std::string& command, const std::vector<std::string>& arguments,
                               const std::vector<std::string>& flags, const std::vector<std::string>& valued);

/// The whole file ("-": standard input); UsageError when it cannot be read.
std::string read_file(const std::string& path);

/// The graph named by FILE or -e EXPR: the graph text format when the text
/// starts with its header, else the expression syntax. UsageError when neither or both are given or the file cannot be read.
ParsedGraph read_graph(const CommandLine& line);

} // namespace kiln::dump
