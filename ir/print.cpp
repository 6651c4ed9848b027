#include "print.hpp"

#include "walk.hpp"

#include <unordered_map>

namespace kiln {

std::string apply_text(const Apply& node) {
    std::string text = node.op().name() + "(";
    for (std::size_t i = 0; i < node.inputs().size(); ++i) text += (i > 0 ? ", " : "") + node.inputs()[i]->str();
    return text + ")";
}

std::string pp(const VariablePtr& variable) {
    if (!variable->name().empty() || !variable->owner()) return variable->str();
    const ApplyPtr node = variable->owner();
    std::vector<std::string> inputs;
    for (const VariablePtr& input : node->inputs()) inputs.push_back(pp(input));
    return node->op().pp(*node, inputs);
}

namespace {

// Theano's CHAR ids: A..Z, then BA, BB, ... (base 26 over letters).
std::string char_id(std::size_t n) {
    std::string id;
    do {
        id.insert(id.begin(), static_cast<char>('A' + n % 26));
        n /= 26;
    } while (n > 0);
    return id;
}

class DebugPrinter {
public:
    explicit DebugPrinter(const DebugprintOptions& options) : options_(options) {}

    void print(const VariablePtr& v, const std::string& prefix, const std::string& child_prefix) {
        const ApplyPtr node = v->owner();
        const void* key = node ? static_cast<const void*>(node.get()) : static_cast<const void*>(v.get());
        const bool seen = ids_.count(key) > 0;
        if (!seen) ids_.emplace(key, char_id(ids_.size()));
        const std::string id = options_.ids ? "[id " + ids_.at(key) + "]" : "";
        const std::string type = options_.print_type ? " <" + v->type().str() + ">" : "";
        if (!node) {
            text_ += prefix + v->str() + " " + id + type + "\n";
            return;
        }
        std::string index;
        if (node->num_outputs() > 1) index = "." + std::to_string(v->index());
        std::string order;
        if (auto found = options_.order.find(node.get()); found != options_.order.end())
            order = std::to_string(found->second);
        text_ += prefix + node->op().name() + index + " " + id + type + " '" + v->name() + "'   " + order + "\n";
        if (seen) return;
        const auto& inputs = node->inputs();
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            const bool last = i + 1 == inputs.size();
            print(inputs[i], child_prefix + " |", child_prefix + (last ? "  " : " |"));
        }
    }

    std::string text() const { return text_; }

private:
    const DebugprintOptions& options_;
    std::unordered_map<const void*, std::string> ids_;
    std::string text_;
};


} // namespace

std::string debugprint(const std::vector<VariablePtr>& outputs, const DebugprintOptions& options) {
    DebugPrinter printer(options);
    for (const VariablePtr& output : outputs) printer.print(output, "", "");
    return printer.text();
}

std::string debugprint(const VariablePtr& output, const DebugprintOptions& options) {
    return debugprint(std::vector<VariablePtr>{output}, options);
}

std::string to_dot(const std::vector<VariablePtr>& outputs, const DotOptions& options) {
    // Each node's declaration goes inside its cluster's block (Graphviz
    // places a node in the first subgraph that declares it), the rest at
    // the top level; edges follow.
    std::unordered_map<const Apply*, std::size_t> cluster_of;
    for (std::size_t c = 0; c < options.clusters.size(); ++c)
        for (const Apply* node : options.clusters[c].nodes) cluster_of.emplace(node, c);
    std::vector<std::string> cluster_text(options.clusters.size());
    std::string top, edges;
    const auto place = [&](const Apply* owner, const std::string& declaration) {
        const auto found = owner ? cluster_of.find(owner) : cluster_of.end();
        (found == cluster_of.end() ? top : cluster_text[found->second]) += declaration;
    };

    std::unordered_map<const Variable*, std::string> variable_ids;
    for (const VariablePtr& v : ancestors(outputs)) {
        const std::string id = "v" + std::to_string(variable_ids.size());
        variable_ids.emplace(v.get(), id);
        const char* color = v->is_constant() ? "gray" : v->is_shared() ? "blue" : !v->owner() ? "green" : "red";
        place(v->owner().get(), "  " + id + " [shape=box, color=" + color + ", label=\"" + escape_quoted(v->str()) +
                                    "\\n" + escape_quoted(v->type().str()) + "\"];\n");
    }
    int node_count = 0;
    for (const ApplyPtr& node : toposort(outputs)) {
        const std::string id = "a" + std::to_string(node_count++);
        place(node.get(), "  " + id + " [shape=ellipse, label=\"" + escape_quoted(node->op().name()) + "\"];\n");
        for (std::size_t i = 0; i < node->inputs().size(); ++i) {
            edges += "  " + variable_ids.at(node->inputs()[i].get()) + " -> " + id;
            if (node->inputs().size() > 1) edges += " [label=\"" + std::to_string(i) + "\"]";
            edges += ";\n";
        }
        for (const VariablePtr& output : node->outputs())
            if (auto found = variable_ids.find(output.get()); found != variable_ids.end())
                edges += "  " + id + " -> " + found->second + ";\n";
    }
    std::string text = "digraph kiln {\n  rankdir=TB;\n";
    for (std::size_t c = 0; c < cluster_text.size(); ++c) {
        if (cluster_text[c].empty()) continue;
        text += "  subgraph cluster_" + std::to_string(c) + " {\n    label=\"" + escape_quoted(options.clusters[c].label) +
                "\";\n    style=rounded;\n    color=orange;\n";
        // Indent the members one level deeper.
        std::size_t start = 0;
        while (start < cluster_text[c].size()) {
            const std::size_t end = cluster_text[c].find('\n', start);
            text += "  " + cluster_text[c].substr(start, end - start + 1);
            start = end + 1;
        }
        text += "  }\n";
    }
    return text + top + edges + "}\n";
}

std::string escape_quoted(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

} // namespace kiln
