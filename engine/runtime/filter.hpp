// Checking values against tensor types: what compile()d functions and
// set_value() accept, with Theano's rules and error texts.
#pragma once

#include "../api/arg.hpp"

#include "../../ir/type.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kiln {

/// Converts `value` to an array of `type`, or throws TypeError that starts
/// with `context()` (which names the culprit; built only on failure, so a
/// good call builds no strings) and says `how_to_allow` a downcast (the
/// option of the API the value came through). allow_downcast: true converts
/// silently; unset lets a C++ floating scalar go to a floatX input; false is
/// strict. Arrays are checked by dtype (only safe upcasts pass), C++ scalars
/// and braces by exact conversion.
Array filter_value(const TensorType& type, const Arg& value, std::optional<bool> allow_downcast,
                   std::string_view how_to_allow, const std::function<std::string()>& context);

/// The same checks; the converted array when `value` needs converting, or
/// nothing when `value.value()` can be stored as it is.
std::optional<Array> filter_conversion(const TensorType& type, const Arg& value, std::optional<bool> allow_downcast,
                                       std::string_view how_to_allow, const std::function<std::string()>& context);

/// How a compiled function's caller allows downcasts, as refusals say it
/// (`how_to_allow`); kiln-dump says its own flag in its place.
inline constexpr std::string_view compile_downcast_option = "set CompileOptions::allow_input_downcast = true in compile()";

} // namespace kiln
