#include "commands.hpp"

#include <algorithm>

namespace kiln::dump {

namespace {

std::size_t line_count(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The stages that read in a terminal, the compile report, then the size of
// the long ones.
std::string summary(const Function& function) {
    std::string text;
    for (const Stage stage : {Stage::graph, Stage::optimized, Stage::rewrites, Stage::schedule, Stage::kernel})
        text += "== " + std::string(stage_name(stage)) + " ==\n" + function.dump(stage) + "\n";
    text += "== compile ==\n" + function.compile_report() + "\n== machine code ==\n";
    for (const Stage stage : {Stage::llvm, Stage::llvm_optimized, Stage::assembly})
        text += std::string(stage_name(stage)) + ": " + std::to_string(line_count(function.dump(stage))) + " lines\n";
    return text + "(--stage llvm, llvm-opt or asm prints them)\n";
}

} // namespace

void run_compile(const CommandLine& line, std::ostream& out) {
    const std::string stage_text = line.option("stage", "");
    std::optional<Stage> stage;
    if (!stage_text.empty() && stage_text != "ptx") {
        try {
            stage = stage_from_name(stage_text);
        } catch (const ValueError& error) {
            throw UsageError(std::string(error.what()) + " or ptx");
        }
    }
    const std::string target = line.option("target", "cpu");
    if (target != "cpu" && target != "cuda") throw UsageError("unknown target '" + target + "' (cpu or cuda)");
    if (target == "cpu" && line.flag("arch")) throw UsageError("--arch applies to --target cuda");
    if (target == "cuda" || stage_text == "ptx")
        throw UnavailableError("this kiln has no CUDA backend yet, so it cannot produce PTX; use --target cpu");
    const ParsedGraph graph = read_graph(line);
    const Function function = compile(graph.inputs, graph.outputs, {.updates = graph.updates, .keep_code_texts = true});
    out << (stage ? function.dump(*stage) : summary(function));
    if (const std::string path = line.option("save", ""); !path.empty()) {
        save_function(function, path);
        if (!stage) out << "saved the function to " << path << "\n";
    }
}

} // namespace kiln::dump
