// Internal: arrays as BLAS takes them.
#pragma once

#include "../ir/array.hpp"

#include <algorithm>

namespace kiln {

/// m itself when BLAS can read it (row-major with unit stride along rows,
/// or a vector with a positive stride), else a C-contiguous copy.
inline Array blas_operand(const Array& m) {
    if (m.ndim() == 2 && m.strides()[1] == 1 && m.strides()[0] >= std::max<std::int64_t>(m.shape()[1], 1)) return m;
    if (m.ndim() == 1 && m.strides()[0] >= 1) return m;
    return m.copy();
}

} // namespace kiln
