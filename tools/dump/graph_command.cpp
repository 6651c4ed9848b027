#include "commands.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace kiln::dump {

namespace {

// Graphviz's `dot` on PATH, or empty.
std::string find_dot() {
    const char* path = std::getenv("PATH");
    std::stringstream folders(path ? path : "");
    std::string folder;
    while (std::getline(folders, folder, ':')) {
        const std::filesystem::path candidate = std::filesystem::path(folder.empty() ? "." : folder) / "dot";
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return {};
}

std::string shell_quoted(const std::string& text) {
    std::string out = "'";
    for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string render_svg(const std::string& dot_text) {
    const std::string dot = find_dot();
    if (dot.empty())
        throw UnavailableError("SVG needs Graphviz's dot, which is not on PATH (Debian package graphviz); "
                               "--format dot prints the graph for rendering elsewhere");
    char name[] = "/tmp/kiln-dump-XXXXXX";
    const int fd = ::mkstemp(name);
    if (fd < 0) throw Error("cannot create a temporary file for dot's input");
    ::close(fd);
    struct Remove {
        const char* path;
        ~Remove() { std::remove(path); }
    } remove_later{name};
    {
        std::ofstream file(name, std::ios::binary);
        file << dot_text;
        if (!file) throw Error(std::string("cannot write ") + name);
    }
    FILE* pipe = ::popen((shell_quoted(dot) + " -Tsvg " + shell_quoted(name) + " 2>&1").c_str(), "r");
    if (!pipe) throw Error("cannot run " + dot);
    std::string svg;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) svg.append(buffer, n);
    const int status = ::pclose(pipe);
    if (status != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("Graphviz's dot failed on the graph: " + svg);
    return svg;
}

} // namespace

void run_graph(const CommandLine& line, std::ostream& out) {
    const std::string format = line.option("format", "text");
    if (format != "text" && format != "dot" && format != "svg")
        throw UsageError("unknown format '" + format + "' (text, dot or svg)");
    const std::string stage = line.option("stage", "optimized");
    if (stage != "graph" && stage != "optimized")
        throw UsageError("unknown stage '" + stage + "' for graph (graph: as written; optimized: as compiled, "
                         "fused loops drawn as clusters)");
    const ParsedGraph graph = read_graph(line);
    std::string text;
    if (stage == "graph") {
        text = format == "text" ? write_graph_text(graph.outputs, graph.inputs, graph.updates) : to_dot(graph.outputs);
    } else {
        const Function function = compile(graph.inputs, graph.outputs, {.updates = graph.updates});
        text = format == "text" ? function.graph_text(Stage::optimized) : to_dot(function);
    }
    out << (format == "svg" ? render_svg(text) : text);
}

void run_functions(const CommandLine&, std::ostream& out) { out << expression_functions(); }

} // namespace kiln::dump
