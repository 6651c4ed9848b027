// Dense linear algebra through CBLAS (OpenBLAS): the library calls the
// schedule makes for dot products instead of generated loops. Matrices are
// row-major with a leading dimension (elements between rows); vectors have
// an element stride.
#pragma once

#include <cstdint>
#include <string>

namespace kiln::kernels {

/// C = alpha * op(A) * op(B) + beta * C, with op(X) = X or X transposed;
/// op(A) is m x k, op(B) is k x n, C is m x n.
void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
          const double* a, std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c,
          std::int64_t ldc);
void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
          const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
          std::int64_t ldc);

/// y = alpha * op(A) * x + beta * y, with A of m x n rows before op.
void gemv(bool transpose_a, std::int64_t m, std::int64_t n, double alpha, const double* a, std::int64_t lda,
          const double* x, std::int64_t incx, double beta, double* y, std::int64_t incy);
void gemv(bool transpose_a, std::int64_t m, std::int64_t n, float alpha, const float* a, std::int64_t lda,
          const float* x, std::int64_t incx, float beta, float* y, std::int64_t incy);

/// The BLAS library's own description of itself (OpenBLAS reports its
/// build configuration and the kernel it chose for this CPU).
std::string blas_description();

} // namespace kiln::kernels
