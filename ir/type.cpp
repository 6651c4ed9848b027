#include "type.hpp"

#include <ostream>

namespace kiln {

namespace {

// Theano's name for a broadcast pattern, or empty when it has none.
std::string pattern_name(const std::vector<bool>& b) {
    switch (b.size()) {
    case 0: return "scalar";
    case 1: return b[0] ? "" : "vector";
    case 2:
        if (!b[0] && !b[1]) return "matrix";
        if (b[0] && !b[1]) return "row";
        if (!b[0] && b[1]) return "col";
        return "";
    default:
        for (bool flag : b)
            if (flag) return "";
        return std::to_string(b.size()) + "D";
    }
}

std::string pattern_tuple(const std::vector<bool>& b) {
    std::string text = "(";
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i > 0) text += ", ";
        text += b[i] ? "True" : "False";
    }
    if (b.size() == 1) text += ",";
    return text + ")";
}

} // namespace

std::string TensorType::str() const {
    std::string pattern = pattern_name(broadcastable_);
    if (pattern.empty()) pattern = pattern_tuple(broadcastable_);
    return "TensorType(" + std::string(dtype_name(dtype_)) + ", " + pattern + ")";
}

std::string TensorType::describe() const {
    std::string pattern = pattern_name(broadcastable_);
    if (pattern.empty() || ndim() > 2) {
        pattern = std::to_string(ndim()) + "-d tensor";
        bool any = false;
        for (bool flag : broadcastable_) any |= flag;
        if (any) pattern += " with broadcastable pattern " + pattern_tuple(broadcastable_);
    }
    return std::string(dtype_name(dtype_)) + " " + pattern;
}

std::ostream& operator<<(std::ostream& os, const TensorType& type) { return os << type.str(); }

} // namespace kiln
