// Arrays as JSON: {"name": ..., "dtype": ..., "shape": [...], "values": nested lists}.
#pragma once

#include <kiln/kiln.hpp>

#include <string>

namespace kiln::dump {

/// One JSON object on one line. Floats are written in their shortest form
/// that reads back to the same value (float32 as float32); NaN and the
/// infinities, which JSON lacks, as the strings "nan", "inf" and "-inf".
std::string array_json(const std::string& name, const Array& array);

} // namespace kiln::dump
