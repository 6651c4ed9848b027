// write_graph_text: leaves first (inputs in the caller's order), then every
// node in topological order, then outputs and updates.
#include "graph_text.hpp"
#include "graph_text_syntax.hpp"
#include "numbers.hpp"

#include "../grad/jacobian.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/print.hpp"
#include "../../ir/walk.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace kiln {
namespace {

std::string element_text(const Array& array, std::int64_t flat) {
    switch (array.dtype()) {
    case DType::bool_: return array.value_at<bool>(flat) ? "True" : "False";
    case DType::float32: return float_text(array.value_at<float>(flat));
    case DType::float64: return float_text(array.value_at<double>(flat));
    case DType::uint64: return std::to_string(array.value_at<std::uint64_t>(flat));
    default: return std::to_string(array.value_at<std::int64_t>(flat));
    }
}

// A number for a 0-d value, else "(2, 3) [1, 2, 3, 4, 5, 6]".
std::string value_text(const Array& value) {
    if (value.ndim() == 0) return element_text(value, 0);
    std::string text = "(";
    for (int d = 0; d < value.ndim(); ++d)
        text += (d > 0 ? ", " : "") + std::to_string(value.shape()[d]);
    text += value.ndim() == 1 ? ",) [" : ") [";
    for (std::int64_t i = 0; i < value.size(); ++i) text += (i > 0 ? ", " : "") + element_text(value, i);
    return text + "]";
}

std::string quoted(const std::string& text) { return "\"" + escape_quoted(text) + "\""; }

class GraphWriter {
public:
    std::string write(const std::vector<Var>& outputs, const std::vector<Var>& inputs,
                      const std::vector<std::pair<Var, Var>>& updates) {
        std::vector<VariablePtr> roots, stop_at;
        for (const Var& output : outputs) roots.push_back(output.node());
        for (const auto& [variable, value] : updates) {
            if (!variable.node()->is_shared())
                throw TypeError("write_graph_text(): update target " + variable.str() + " is not a shared variable");
            roots.push_back(variable.node());
            roots.push_back(value.node());
        }
        for (const Var& input : inputs) stop_at.push_back(input.node());

        text_ = std::string(graph_text::header) + "\n";
        for (const VariablePtr& input : stop_at) declare(input, "input", "");
        const std::vector<VariablePtr> leaves = graph_inputs(roots, stop_at);
        for (const VariablePtr& leaf : leaves)
            if (leaf->kind() != Variable::Kind::shared && leaf->kind() != Variable::Kind::constant) declare(leaf, "input", "");
        for (const VariablePtr& leaf : leaves) declare(leaf, leaf_keyword(*leaf), "");
        write_nodes(roots, stop_at, "");
        for (const Var& output : outputs) text_ += "output " + ids_.at(output.node().get()) + "\n";
        for (const auto& [variable, value] : updates)
            text_ += "update " + ids_.at(variable.node().get()) + " = " + ids_.at(value.node().get()) + "\n";
        return std::move(text_);
    }

private:
    static const char* leaf_keyword(const Variable& leaf) {
        if (leaf.is_shared()) return "shared";
        if (leaf.is_constant()) return "constant";
        return "input";
    }

    // Gives the variable its identifier: "x" for a plain name seen first
    // here, else "%N". Returns how its definition spells it ("%N \"x.T\""
    // for a name that is not the identifier).
    std::string define(const Variable& variable) {
        const std::string& name = variable.name();
        if (graph_text::is_plain_identifier(name) && used_.insert(name).second) {
            ids_.emplace(&variable, name);
            return name;
        }
        const std::string id = "%" + std::to_string(next_number_++);
        ids_.emplace(&variable, id);
        return name.empty() ? id : id + " " + quoted(name);
    }

    void declare(const VariablePtr& leaf, const char* keyword, const std::string& indent) {
        if (ids_.count(leaf.get())) return;
        text_ += indent + keyword + " " + define(*leaf) + ": " + graph_text::type_text(leaf->type());
        if (leaf->is_constant()) text_ += " = " + value_text(leaf->constant_value());
        if (leaf->is_shared()) text_ += " = " + value_text(leaf->shared_storage()->read());
        text_ += "\n";
    }

    void write_nodes(const std::vector<VariablePtr>& roots, const std::vector<VariablePtr>& stop_at,
                     const std::string& indent) {
        for (const ApplyPtr& node : toposort(roots, stop_at)) {
            if (ids_.count(node->output(0).get())) continue;
            const auto* jacobian = dynamic_cast<const JacobianOp*>(&node->op());
            if (jacobian) write_seed_free_nodes(*jacobian, indent);
            for (const VariablePtr& input : node->inputs())
                if (!ids_.count(input.get())) {
                    if (!input->is_constant() && !input->is_shared())
                        throw InternalError("write_graph_text(): " + input->str() + " is read before it is written");
                    declare(input, leaf_keyword(*input), indent);
                }
            std::string line = indent;
            for (int i = 0; i < node->num_outputs(); ++i) {
                const VariablePtr output = node->output(i);
                line += (i > 0 ? ", " : "") + define(*output) + ": " + graph_text::type_text(output->type());
            }
            line += " = " + node->op().kind();
            if (!node->op().params().empty()) line += "{" + node->op().params() + "}";
            line += "(";
            for (std::size_t i = 0; i < node->inputs().size(); ++i)
                line += (i > 0 ? ", " : "") + ids_.at(node->inputs()[i].get());
            line += ")";
            if (jacobian) {
                text_ += line + " {\n";
                write_inner_graph(*jacobian, indent + "  ");
                text_ += indent + "}\n";
            } else {
                text_ += line + "\n";
            }
        }
    }

    static std::vector<VariablePtr> inner_stop_at(const JacobianOp& op) {
        std::vector<VariablePtr> stop_at{op.seed()};
        stop_at.insert(stop_at.end(), op.free_inputs().begin(), op.free_inputs().end());
        return stop_at;
    }

    // The nodes of a Jacobian's gradient graph that do not read its seed
    // belong outside its block (identifiers in a block end with it), so
    // they are written first, at the Jacobian's own level.
    void write_seed_free_nodes(const JacobianOp& op, const std::string& indent) {
        const std::vector<VariablePtr> stop_at = inner_stop_at(op);
        std::unordered_set<const Variable*> seeded{op.seed().get()};
        std::vector<VariablePtr> seed_free;
        for (const ApplyPtr& node : toposort({op.seed_grad()}, stop_at)) {
            const bool reads_seed = std::any_of(node->inputs().begin(), node->inputs().end(),
                                                [&](const VariablePtr& input) { return seeded.count(input.get()) > 0; });
            for (const VariablePtr& output : node->outputs()) {
                if (reads_seed) seeded.insert(output.get());
                else seed_free.push_back(output);
            }
        }
        write_nodes(seed_free, stop_at, indent);
    }

    // The gradient graph a Jacobian evaluates per element: the seed first,
    // then the nodes not written yet, the wrt variable and the result.
    void write_inner_graph(const JacobianOp& op, const std::string& indent) {
        if (ids_.count(op.seed().get())) throw InternalError("write_graph_text(): a Jacobian's seed is used outside it");
        declare(op.seed(), "input", indent);
        write_nodes({op.seed_grad()}, inner_stop_at(op), indent);
        text_ += indent + "wrt " + ids_.at(op.wrt().get()) + "\n";
        text_ += indent + "output " + ids_.at(op.seed_grad().get()) + "\n";
    }

    std::string text_;
    std::unordered_map<const Variable*, std::string> ids_;
    std::unordered_set<std::string> used_;
    int next_number_ = 0;
};

} // namespace

std::string write_graph_text(const std::vector<Var>& outputs, const std::vector<Var>& inputs,
                             const std::vector<std::pair<Var, Var>>& updates) {
    return GraphWriter().write(outputs, inputs, updates);
}

} // namespace kiln
