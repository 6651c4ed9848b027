// NumPy's .npy files: arrays move between kiln and Python without glue.
#pragma once

#include "../../ir/array.hpp"

#include <string>

namespace kiln {

/// Reads a .npy file (format versions 1.0, 2.0 and 3.0; every kiln dtype;
/// either byte order; C or Fortran order) into a C-contiguous Array.
/// Throws ValueError naming the file and what is wrong with it.
Array load_npy(const std::string& path);

/// Writes array as a version 1.0 .npy file in C order (fortran_order =
/// true writes column-major data, as NumPy does for Fortran arrays). The
/// file appears whole or not at all: it is written beside and renamed.
void save_npy(const std::string& path, const Array& array, bool fortran_order = false);

} // namespace kiln
