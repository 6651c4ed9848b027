// Internal: matrix products through BLAS without copying operands that
// BLAS can read as they are (row-major, or transposed row-major).
#pragma once

#include "../../ir/array.hpp"

#include <cstdint>

namespace kiln {

/// c (m x n, C-contiguous, already holding beta's operand) =
/// alpha * a (m x k) * b (k x n) + beta * c, for float32 or float64 arrays
/// of the same dtype. Vectors come in as 1 x k or k x 1 views; a product
/// with a vector runs as gemv.
template <class T> void blas_matmul(const Array& a, const Array& b, T alpha, T beta, Array& c);

extern template void blas_matmul<float>(const Array&, const Array&, float, float, Array&);
extern template void blas_matmul<double>(const Array&, const Array&, double, double, Array&);

} // namespace kiln
