// The IDX files that MNIST-style data sets ship in (images and labels),
// plain or gzip-compressed.
#pragma once

#include "../../ir/array.hpp"

#include <string>

namespace kiln {

/// Reads an IDX file: a magic word naming the element type (unsigned or
/// signed bytes, big-endian int16, int32, float32 or float64) and the
/// dimensions, then the data in C order. A gzip-compressed file (the form
/// the data sets are published in) is decompressed on the way. Returns a
/// C-contiguous Array of uint8, int8, int16, int32, float32 or float64.
/// Throws ValueError naming the file and what is wrong with it.
Array load_idx(const std::string& path);

} // namespace kiln
