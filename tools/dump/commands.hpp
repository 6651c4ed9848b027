// kiln-dump's subcommands. Each prints its result on `out` and throws
// kiln::Error for what kiln refuses, UsageError for a bad command line and
// UnavailableError for what this build or machine lacks.
#pragma once

#include "command_line.hpp"

#include <ostream>

namespace kiln::dump {

struct Command {
    const char* name;
    const char* summary;
    const char* usage;
    std::vector<std::string> flags;
    std::vector<std::string> valued;
    void (*run)(const CommandLine& line, std::ostream& out);
    /// Whether it reads a graph (FILE or -e EXPR): its help explains the syntax.
    bool reads_graph = false;
    /// Whether it can exit with code 3 (a missing Graphviz or CUDA backend).
    bool may_lack_something = false;
};

/// compile: compiles without running and prints a stage.
void run_compile(const CommandLine& line, std::ostream& out);
/// eval: compiles, runs with --set values and prints the outputs.
void run_eval(const CommandLine& line, std::ostream& out);
/// graph: the graph as text, Graphviz DOT or SVG.
void run_graph(const CommandLine& line, std::ostream& out);
/// show: a dump folder written by a running program.
void run_show(const CommandLine& line, std::ostream& out);
/// explain: why two compiles gave different functions or kernels.
void run_explain(const CommandLine& line, std::ostream& out);
/// cache: the on-disk kernel cache's entries: list, show, verify, clear.
void run_cache(const CommandLine& line, std::ostream& out);
/// functions: the functions of the expression syntax.
void run_functions(const CommandLine& line, std::ostream& out);

const std::vector<Command>& commands();

} // namespace kiln::dump
