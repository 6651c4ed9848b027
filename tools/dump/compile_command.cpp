#include "commands.hpp"

#include "jit/cpu_backend.hpp"

#include <sstream>

namespace kiln::dump {

namespace {

const std::vector<std::string> stage_names = {"graph", "optimized", "rewrites", "schedule", "kernel",
                                              "llvm",  "llvm-opt",  "asm",      "ptx"};

std::string rewrites_text(const Function& function) {
    std::string text;
    for (const auto& [name, count] : function.rewrites_applied()) text += name + " " + std::to_string(count) + "\n";
    return text.empty() ? "(no rewrite fired)\n" : text;
}

// The text of one stage for every kernel, each under a header naming its
// step and key.
std::string per_kernel(const Function& function, std::string (*stage)(const Kernel&)) {
    std::string text;
    const std::vector<FunctionStep> steps = function.steps();
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (!steps[i].kernel) continue;
        text += "; loop #" + std::to_string(i) + ", kernel key " + steps[i].kernel->key().hex() + "\n";
        text += stage(*steps[i].kernel);
        if (!text.ends_with("\n")) text += "\n";
    }
    return text.empty() ? "(no fused loops)\n" : text;
}

std::string kernel_ir(const Kernel& kernel) { return kernel.text(); }
std::string llvm_ir(const Kernel& kernel) { return jit::CpuBackend::instance().llvm_ir(kernel); }
std::string llvm_optimized(const Kernel& kernel) { return jit::CpuBackend::instance().optimized_llvm_ir(kernel); }
std::string assembly(const Kernel& kernel) { return jit::CpuBackend::instance().assembly(kernel); }

std::string stage_text(const std::string& stage, const ParsedExpression& graph, const Function& function) {
    std::vector<Var> outputs = graph.outputs;
    if (stage == "graph") return debugprint(outputs);
    if (stage == "optimized") return debugprint(function);
    if (stage == "rewrites") return rewrites_text(function);
    if (stage == "schedule") return function.steps_text();
    if (stage == "kernel") return per_kernel(function, kernel_ir);
    if (stage == "llvm") return per_kernel(function, llvm_ir);
    if (stage == "llvm-opt") return per_kernel(function, llvm_optimized);
    return per_kernel(function, assembly);
}

std::size_t line_count(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

// Every stage that reads in a terminal, then one line per kernel for the
// long ones.
std::string summary(const ParsedExpression& graph, const Function& function) {
    std::string text;
    for (const char* stage : {"graph", "optimized", "rewrites", "schedule", "kernel"})
        text += std::string("== ") + stage + " ==\n" + stage_text(stage, graph, function) + "\n";
    text += "== machine code ==\n";
    const std::vector<FunctionStep> steps = function.steps();
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (!steps[i].kernel) continue;
        text += "loop #" + std::to_string(i) + ": " + std::to_string(line_count(llvm_ir(*steps[i].kernel))) +
                " lines of LLVM IR, " + std::to_string(line_count(llvm_optimized(*steps[i].kernel))) +
                " optimized, " + std::to_string(line_count(assembly(*steps[i].kernel))) + " of assembly\n";
    }
    text += "target: " + jit::CpuBackend::instance().target_description() + "\n";
    return text + "(--stage llvm, llvm-opt or asm prints them)\n";
}

} // namespace

void run_compile(const CommandLine& line, std::ostream& out) {
    const std::string stage = line.option("stage", "");
    if (!stage.empty() && std::find(stage_names.begin(), stage_names.end(), stage) == stage_names.end()) {
        std::string known;
        for (const std::string& name : stage_names) known += (known.empty() ? "" : ", ") + name;
        throw UsageError("unknown stage '" + stage + "' (stages: " + known + ")");
    }
    const std::string target = line.option("target", "cpu");
    if (target != "cpu" && target != "cuda") throw UsageError("unknown target '" + target + "' (cpu or cuda)");
    if (target == "cpu" && line.flag("arch")) throw UsageError("--arch applies to --target cuda");
    if (target == "cuda" || stage == "ptx")
        throw UnavailableError("this kiln has no CUDA backend yet, so it cannot produce PTX; use --target cpu");
    const ParsedExpression graph = read_graph(line);
    const Function function = compile(graph.inputs, graph.outputs);
    out << (stage.empty() ? summary(graph, function) : stage_text(stage, graph, function));
}

} // namespace kiln::dump
