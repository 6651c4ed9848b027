// Function::dump and compile_report, and the dump folders compile() writes.
#include "compiled_function.hpp"
#include "dump_folder.hpp"

#include "../api/config.hpp"
#include "../api/printing.hpp"
#include "../runtime/executor.hpp"
#include "../text/graph_text.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/files.hpp"
#include "../../ir/kernel_analysis.hpp"
#include "../../ir/log.hpp"
#include "../../jit/backend.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace kiln {

namespace {

struct StageNames {
    Stage stage;
    std::string_view name;
    std::string_view file;
};

constexpr StageNames stage_names[] = {
    {Stage::graph, "graph", "graph.txt"},
    {Stage::optimized, "optimized", "optimized.txt"},
    {Stage::rewrites, "rewrites", "rewrites.txt"},
    {Stage::schedule, "schedule", "schedule.txt"},
    {Stage::kernel, "kernel", "kernel.txt"},
    {Stage::llvm, "llvm", "llvm.ll"},
    {Stage::llvm_optimized, "llvm-opt", "llvm-opt.ll"},
    {Stage::assembly, "asm", "asm.s"},
};

const StageNames& names_of(Stage stage) {
    for (const StageNames& names : stage_names)
        if (names.stage == stage) return names;
    KILN_CHECK(false, "a stage without a name");
    std::abort();
}

// One stage's text for every fused loop, each under a header with its step
// and key.
std::string per_kernel(const Function& function, Stage stage, jit::Backend& backend) {
    std::string text;
    const std::vector<FunctionStep> steps = function.steps();
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const Kernel* kernel = steps[i].kernel;
        if (!kernel) continue;
        text += "; loop #" + std::to_string(i) + ", kernel key " + kernel->key().hex() + "\n";
        if (stage == Stage::kernel) {
            text += kernel->text();
            continue;
        }
        // The streaming-stores variant runs where outputs are large: show it too.
        std::vector<LoopVariant> variants{LoopVariant::plain};
        if (can_stream_stores(*kernel)) variants.push_back(LoopVariant::streaming_stores);
        for (LoopVariant variant : variants) {
            if (variant == LoopVariant::streaming_stores)
                text += "; loop #" + std::to_string(i) + ", its streaming-stores variant\n";
            const std::shared_ptr<const jit::CodeTexts> code = backend.code_texts(*kernel, variant);
            text += stage == Stage::llvm             ? code->ir
                    : stage == Stage::llvm_optimized ? code->ir_optimized
                                                     : code->machine;
            if (!text.ends_with("\n")) text += "\n";
        }
    }
    return text.empty() ? "(no fused loops)\n" : text;
}

std::string milliseconds(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f ms", seconds * 1e3);
    return text;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
    if (const std::string why = write_file_atomically(path, {text}); !why.empty())
        throw Error("cannot write " + path.string() + ": " + why);
}

} // namespace

std::string_view stage_name(Stage stage) { return names_of(stage).name; }
std::string_view stage_file(Stage stage) { return names_of(stage).file; }

Stage stage_from_name(std::string_view name) {
    std::string known;
    for (const StageNames& names : stage_names) {
        if (names.name == name) return names.stage;
        known += (known.empty() ? "" : ", ") + std::string(names.name);
    }
    throw ValueError("unknown stage '" + std::string(name) + "' (stages: " + known + ")");
}

const Hash128& Function::key() const { return impl_->key; }

std::string Function::dump(Stage stage) const {
    switch (stage) {
    case Stage::graph: return debugprint(impl_->user_roots);
    case Stage::optimized: return debugprint(*this);
    case Stage::rewrites: {
        std::string text;
        for (const auto& [name, count] : impl_->rewrites) text += name + " " + std::to_string(count) + "\n";
        return text.empty() ? "(no rewrite fired)\n" : text;
    }
    case Stage::schedule: return steps_text();
    default: return per_kernel(*this, stage, impl_->executable->backend());
    }
}

std::string Function::graph_text(Stage stage) const {
    if (stage == Stage::optimized) return write_graph_text(outputs(), inputs(), updates());
    if (stage != Stage::graph)
        throw ValueError("graph_text(): stage '" + std::string(stage_name(stage)) + "' is not a graph (graph or optimized)");
    // user_roots holds the outputs, then one new value per update, in order.
    const std::vector<VariablePtr>& roots = impl_->user_roots;
    const std::size_t output_count = outputs().size();
    const std::vector<Var> user_outputs(roots.begin(), roots.begin() + static_cast<long>(output_count));
    std::vector<std::pair<Var, Var>> user_updates;
    for (std::size_t i = 0; i < updates().size(); ++i) user_updates.emplace_back(updates()[i].first, roots.at(output_count + i));
    return write_graph_text(user_outputs, inputs(), user_updates);
}

std::string Function::compile_report() const {
    const CompileCosts& costs = impl_->costs;
    std::string text = "function: " + (impl_->name.empty() ? std::string("(unnamed)") : impl_->name) + "\n";
    text += "function key: " + impl_->key.hex() + "\n";
    for (const KeyComponent& component : impl_->key_components)
        text += "key " + component.name + ": " + component.value + "\n";
    switch (impl_->graph_source) {
    case GraphSource::compiled: text += "graph: compiled now\n"; break;
    case GraphSource::memory:
        text += "graph: found by its structure (compiled earlier in this process; costs below are from then)\n";
        break;
    case GraphSource::disk: text += "graph: read from the disk cache (not rewritten)\n"; break;
    case GraphSource::file: text += "graph: loaded from a saved function (not rewritten)\n"; break;
    }
    if (costs.graph_load_seconds > 0)
        text += "reading the optimized graph: " + milliseconds(costs.graph_load_seconds) + "\n";
    else
        text += "rewriting: " + milliseconds(costs.rewrite_seconds) + "\n";
    text += "fusion and buffer planning: " + milliseconds(costs.planning_seconds) + "\n";
    text += "kernels (lowering, LLVM passes, machine code; in parallel): " + milliseconds(costs.kernels_seconds) + "\n";
    text += "kernels: " + std::to_string(kernels().size()) + " (" + std::to_string(costs.kernels_compiled) +
            " compiled by LLVM, " + std::to_string(costs.kernels_from_cache) + " from the kernel cache" +
            (costs.kernels_from_disk > 0 ? ", " + std::to_string(costs.kernels_from_disk) + " of them from disk" : "") +
            ")\n";
    const std::vector<FunctionStep> all_steps = steps();
    for (std::size_t i = 0; i < all_steps.size(); ++i)
        if (all_steps[i].kernel)
            text += "  loop #" + std::to_string(i) + ": kernel key " + all_steps[i].kernel->key().hex() + " (" +
                    (all_steps[i].from_kernel_cache ? "kernel cache, " : "compiled, ") +
                    milliseconds(all_steps[i].compile_seconds) + ")\n";
    return text + "target: " + impl_->executable->backend().target_summary() + "\n";
}

std::string dump_folder_name(const Function& function) {
    std::string name;
    for (const char c : function.name())
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') name += c;
    if (name.empty()) name = "function";
    return name + "-" + function.key().hex().substr(0, 16);
}

void write_dump_folder_if_asked(const Function& function) {
    const std::string& root = config().dump_dir();
    if (root.empty()) return;
    const std::filesystem::path folder = std::filesystem::path(root) / dump_folder_name(function);
    try {
        std::filesystem::create_directories(folder);
        write_file(folder / "summary.txt", function.compile_report());
        for (const Stage stage : all_stages) write_file(folder / stage_file(stage), function.dump(stage));
        write_file(folder / "graph.kiln", function.graph_text(Stage::graph));
        write_file(folder / "optimized.kiln", function.graph_text(Stage::optimized));
        logging::get("engine")->debug("dumped {} into {}", function.name(), folder.string());
    } catch (const std::exception& error) {
        logging::get("engine")->warn("cannot write the dump folder {}: {}", folder.string(), error.what());
    }
}

} // namespace kiln
