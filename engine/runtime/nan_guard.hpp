// The NaN guard (config "nan_guard", Theano's NanGuardMode): what a guarded
// call refuses in its inputs and in what each step produces.
#pragma once

#include "../api/config.hpp"

#include "../../ir/array.hpp"

#include <string>

namespace kiln {

/// The first element of `value` that `guard` refuses, as "nan at index
/// (1, 2) of a float64 array of shape (3, 4)"; "" when there is none (and
/// always for integer dtypes, which hold neither).
std::string guarded_value_text(const Array& value, NanGuard guard);

} // namespace kiln
