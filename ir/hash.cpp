#include "hash.hpp"

#include "walk.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_map>
#include <xxhash.h>

namespace kiln {

std::string Hash128::hex() const {
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(high),
                  static_cast<unsigned long long>(low));
    return text;
}

std::optional<Hash128> Hash128::from_hex(std::string_view text) {
    if (text.size() != 32) return std::nullopt;
    Hash128 hash;
    for (std::size_t i = 0; i < 32; ++i) {
        const char c = text[i];
        const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0) return std::nullopt;
        std::uint64_t& half = i < 16 ? hash.high : hash.low;
        half = half << 4 | static_cast<std::uint64_t>(digit);
    }
    return hash;
}

Hash128 hash_bytes(const void* data, std::size_t size) {
    const XXH128_hash_t h = XXH3_128bits(data, size);
    return {h.high64, h.low64};
}

std::string canonical_graph_text(const std::vector<VariablePtr>& outputs, const std::vector<VariablePtr>& inputs) {
    std::unordered_map<const Variable*, std::size_t> ids;
    std::string text;
    auto id_of = [&](const VariablePtr& v) { return "%" + std::to_string(ids.at(v.get())); };
    auto name = [&](const VariablePtr& v) {
        const std::size_t id = ids.size();
        ids.emplace(v.get(), id);
        return "%" + std::to_string(id);
    };
    std::vector<VariablePtr> leaves = inputs;
    for (const VariablePtr& leaf : graph_inputs(outputs, inputs))
        if (std::find(inputs.begin(), inputs.end(), leaf) == inputs.end()) leaves.push_back(leaf);
    for (const VariablePtr& leaf : leaves) {
        text += name(leaf) + " = ";
        switch (leaf->kind()) {
        case Variable::Kind::constant: {
            const Array value = leaf->constant_value().copy();
            text += "constant " + leaf->type().str() + " " + shape_text(value.shape()) + " 0x" +
                    hash_bytes(value.data(), static_cast<std::size_t>(value.size() * dtype_size(value.dtype()))).hex();
            break;
        }
        case Variable::Kind::shared: text += "shared " + leaf->type().str(); break;
        default: text += "input " + leaf->type().str(); break;
        }
        text += "\n";
    }
    for (const ApplyPtr& node : toposort(outputs, inputs)) {
        std::string line;
        for (int i = 0; i < node->num_outputs(); ++i)
            line += (i > 0 ? ", " : "") + name(node->output(i)) + ":" + node->output(i)->type().str();
        line += " = " + node->op().kind() + "{" + node->op().params() + "}(";
        for (std::size_t i = 0; i < node->inputs().size(); ++i)
            line += (i > 0 ? ", " : "") + id_of(node->inputs()[i]);
        text += line + ")\n";
    }
    text += "return";
    for (const VariablePtr& output : outputs) text += " " + id_of(output);
    return text + "\n";
}

Hash128 structural_hash(const std::vector<VariablePtr>& outputs, const std::vector<VariablePtr>& inputs) {
    const std::string text = canonical_graph_text(outputs, inputs);
    return hash_bytes(text.data(), text.size());
}

} // namespace kiln
