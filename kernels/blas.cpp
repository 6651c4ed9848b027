#include "blas.hpp"

#include <cblas.h>

namespace kiln::kernels {

namespace {

CBLAS_TRANSPOSE trans(bool t) { return t ? CblasTrans : CblasNoTrans; }

// CBLAS takes int dimensions (blasint); the caller keeps them in range.
blasint dim(std::int64_t n) { return static_cast<blasint>(n); }

} // namespace

void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, double alpha, const double* a,
          std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c, std::int64_t ldc) {
    cblas_dgemm(CblasRowMajor, trans(ta), trans(tb), dim(m), dim(n), dim(k), alpha, a, dim(lda), b, dim(ldb), beta,
                c, dim(ldc));
}

void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
          std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
    cblas_sgemm(CblasRowMajor, trans(ta), trans(tb), dim(m), dim(n), dim(k), alpha, a, dim(lda), b, dim(ldb), beta,
                c, dim(ldc));
}

void gemv(bool ta, std::int64_t m, std::int64_t n, double alpha, const double* a, std::int64_t lda,
          const double* x, std::int64_t incx, double beta, double* y, std::int64_t incy) {
    cblas_dgemv(CblasRowMajor, trans(ta), dim(m), dim(n), alpha, a, dim(lda), x, dim(incx), beta, y, dim(incy));
}

void gemv(bool ta, std::int64_t m, std::int64_t n, float alpha, const float* a, std::int64_t lda, const float* x,
          std::int64_t incx, float beta, float* y, std::int64_t incy) {
    cblas_sgemv(CblasRowMajor, trans(ta), dim(m), dim(n), alpha, a, dim(lda), x, dim(incx), beta, y, dim(incy));
}

std::string blas_description() {
#ifdef OPENBLAS_VERSION
    return std::string(openblas_get_config()) + " (kernel " + openblas_get_corename() + ")";
#else
    return "CBLAS";
#endif
}

} // namespace kiln::kernels
