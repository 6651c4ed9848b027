// An entry's payload:
//
//   kiln-compiled-graph 1
//   inputs 2                     the explicit inputs: the graph text's first inputs
//   leaf shared 0                each implicit leaf, in graph_inputs order: a
//   leaf constant                placeholder for the request's shared leaf 0 (the
//                                graph text's next input), or a constant
//   rewrite 3 local_mul_canonizer
//   graph                        the rest is the graph text of the roots
#include "function_disk_cache.hpp"

#include "../runtime/executor.hpp"
#include "../text/graph_text.hpp"
#include "../text/numbers.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/log.hpp"
#include "../../ir/walk.hpp"
#include "../../jit/backend.hpp"

#include <algorithm>
#include <chrono>
#include <charconv>

namespace kiln {

namespace {

constexpr std::string_view payload_header = "kiln-compiled-graph 1\n";
// Constants are stored as decimal text: beyond this many bytes of them, an
// entry would take longer to write and read back than rewriting takes.
constexpr std::size_t max_stored_constant_bytes = std::size_t{1} << 20;

// The next line of `text` from `position` (without its newline), or false at the end.
bool next_line(std::string_view text, std::size_t& position, std::string_view& line) {
    if (position >= text.size()) return false;
    const std::size_t end = std::min(text.find('\n', position), text.size());
    line = text.substr(position, end - position);
    position = end + 1;
    return true;
}

// What a function's entry is keyed by and checked against, and its name.
struct EntryKey {
    std::string material;
    Hash128 name;
};

EntryKey function_entry_key(const jit::Backend& backend, const Hash128& key,
                            const std::vector<KeyComponent>& key_components) {
    std::string subject = "function " + key.hex();
    for (const KeyComponent& component : key_components)
        subject += "\nfunction " + component.name + " " + component.value;
    EntryKey entry{jit::cache_key_material(subject, backend.target_description()), {}};
    entry.name = hash_bytes(entry.material.data(), entry.material.size());
    return entry;
}

} // namespace

std::string rewrite_count_lines(const RewriteCounts& counts) {
    std::string lines;
    for (const auto& [name, count] : counts) lines += "rewrite " + std::to_string(count) + " " + name + "\n";
    return lines;
}

bool read_rewrite_count_line(std::string_view line, RewriteCounts& counts) {
    if (!line.starts_with("rewrite ")) return false;
    const std::string_view rest = line.substr(8);
    const std::size_t space = rest.find(' ');
    int count = 0;
    if (space == std::string_view::npos || !parse_number(rest.substr(0, space), count)) return false;
    counts[std::string(rest.substr(space + 1))] = count;
    return true;
}

std::string compiled_graph_payload(const CompiledGraph& graph) {
    std::string text(payload_header);
    text += "inputs " + std::to_string(graph.inputs.size()) + "\n";
    std::vector<Var> inputs(graph.inputs.begin(), graph.inputs.end());
    for (const CompiledGraph::Leaf& leaf : graph.implicit_leaves) {
        if (leaf.shared_index < 0) {
            text += "leaf constant\n";
            continue;
        }
        text += "leaf shared " + std::to_string(leaf.shared_index) + "\n";
        inputs.emplace_back(leaf.variable);
    }
    text += rewrite_count_lines(graph.rewrites);
    const std::vector<Var> roots(graph.roots.begin(), graph.roots.end());
    return text + "graph\n" + write_graph_text(roots, inputs);
}

std::shared_ptr<CompiledGraph> read_compiled_graph_payload(std::string_view payload,
                                                           const std::vector<VariablePtr>& explicit_inputs,
                                                           const std::vector<VariablePtr>& shared,
                                                           std::size_t root_count) {
    const auto fail = [](const std::string& why) { return ValueError("a stored compiled graph " + why); };
    if (!payload.starts_with(payload_header)) throw fail("has no 'kiln-compiled-graph 1' header");
    std::size_t position = payload_header.size();
    std::string_view line;
    std::size_t input_count = 0;
    if (!next_line(payload, position, line) || !line.starts_with("inputs ") ||
        !parse_number(line.substr(7), input_count))
        throw fail("does not say how many inputs it has");
    if (input_count != explicit_inputs.size())
        throw fail("has " + std::to_string(input_count) + " inputs where the function has " +
                   std::to_string(explicit_inputs.size()));

    auto graph = std::make_shared<CompiledGraph>();
    std::vector<int> leaf_shared_indices; // -1 for a constant
    for (;;) {
        if (!next_line(payload, position, line)) throw fail("ends before its graph");
        if (line == "graph") break;
        if (line == "leaf constant") {
            leaf_shared_indices.push_back(-1);
        } else if (int index = -1; line.starts_with("leaf shared ") && parse_number(line.substr(12), index)) {
            if (index < 0 || static_cast<std::size_t>(index) >= shared.size())
                throw fail("binds shared variable " + std::to_string(index) + " of " + std::to_string(shared.size()));
            leaf_shared_indices.push_back(index);
        } else if (line.starts_with("rewrite ")) {
            if (!read_rewrite_count_line(line, graph->rewrites))
                throw fail("has a bad rewrite count: '" + std::string(line) + "'");
        } else {
            throw fail("has an unknown line: '" + std::string(line) + "'");
        }
    }

    const ParsedGraph parsed = read_graph_text(payload.substr(position));
    if (parsed.outputs.size() != root_count || !parsed.updates.empty())
        throw fail("has " + std::to_string(parsed.outputs.size()) + " roots where the function has " +
                   std::to_string(root_count));
    for (std::size_t i = 0; i < input_count && i < parsed.inputs.size(); ++i) {
        if (parsed.inputs[i].type() != explicit_inputs[i]->type())
            throw fail("reads input " + std::to_string(i) + " as " + parsed.inputs[i].type().str() + ", not " +
                       explicit_inputs[i]->type().str());
        graph->inputs.push_back(parsed.inputs[i].node());
    }
    for (const Var& root : parsed.outputs) graph->roots.push_back(root.node());

    // The graph's own walk must meet its leaves as the entry lists them.
    std::size_t next_placeholder = input_count;
    std::size_t listed = 0;
    for (const VariablePtr& leaf : graph_inputs(graph->roots, graph->inputs)) {
        if (std::find(graph->inputs.begin(), graph->inputs.end(), leaf) != graph->inputs.end()) continue;
        if (listed == leaf_shared_indices.size()) throw fail("reads more leaves than it lists");
        const int index = leaf_shared_indices[listed++];
        if (index < 0) {
            if (!leaf->is_constant()) throw fail("lists a constant where its graph reads " + leaf->str());
        } else {
            const VariablePtr& target = shared[static_cast<std::size_t>(index)];
            if (next_placeholder >= parsed.inputs.size() || parsed.inputs[next_placeholder].node() != leaf ||
                leaf->type() != target->type())
                throw fail("does not read shared variable " + std::to_string(index) + " (" + target->str() + " of " +
                           target->type().str() + ") where it lists it");
            ++next_placeholder;
        }
        graph->implicit_leaves.push_back({leaf, index});
    }
    if (listed != leaf_shared_indices.size() || next_placeholder != parsed.inputs.size())
        throw fail("lists leaves its graph does not read");
    return graph;
}

std::shared_ptr<CompiledGraph> load_compiled_graph(jit::DiskCache& disk, const jit::Backend& backend, const Hash128& key,
                                                   const std::vector<KeyComponent>& key_components,
                                                   const std::vector<VariablePtr>& explicit_inputs,
                                                   const std::vector<VariablePtr>& shared, std::size_t root_count) {
    const auto start = std::chrono::steady_clock::now();
    const EntryKey entry = function_entry_key(backend, key, key_components);
    const std::optional<std::string> payload = disk.load(jit::EntryKind::function, entry.name, entry.material);
    if (!payload) return nullptr;
    try {
        std::shared_ptr<CompiledGraph> graph = read_compiled_graph_payload(*payload, explicit_inputs, shared, root_count);
        graph->costs.graph_load_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return graph;
    } catch (const Error& error) {
        // Whole and made for this key, so written by this very build: say so loudly, and compile.
        disk.remove(jit::EntryKind::function, entry.name, error.what());
        return nullptr;
    }
}

void store_compiled_graph(jit::DiskCache& disk, const jit::Backend& backend, const Hash128& key,
                          const std::vector<KeyComponent>& key_components, const CompiledGraph& graph,
                          const std::string& name) {
    if (graph.constant_bytes > max_stored_constant_bytes) return;
    const EntryKey entry = function_entry_key(backend, key, key_components);
    const std::string payload = compiled_graph_payload(graph);
    std::string kernels = "compiled for: " + (name.empty() ? std::string("(unnamed)") : "'" + name + "'") + "\nkernels:\n";
    for (const Kernel* kernel : graph.executable->kernels()) kernels += "  " + kernel->key().hex() + "\n";
    disk.store(jit::EntryKind::function, entry.name, entry.material, payload, kernels + "payload:\n" + payload);
}

} // namespace kiln
