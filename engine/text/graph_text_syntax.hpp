// Lexical pieces the graph text writer and reader share.
#pragma once

#include "../../ir/type.hpp"

#include <string>
#include <string_view>

namespace kiln::graph_text {

inline constexpr std::string_view header = "kiln-graph 1";

/// A name the text can use as an identifier: [A-Za-z_][A-Za-z0-9_]*, and
/// not one of the format's words (input, output, True, nan...).
bool is_plain_identifier(std::string_view name);

/// "float64[1, :]": the dtype and, per dimension, 1 (broadcastable) or ':'.
std::string type_text(const TensorType& type);

} // namespace kiln::graph_text
