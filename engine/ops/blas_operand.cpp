#include "blas_operand.hpp"

#include "../../kernels/blas.hpp"

#include <algorithm>

namespace kiln {

namespace {

// A 2-d array as BLAS reads it: row-major storage with leading dimension
// `ld`, holding the matrix itself or its transpose.
struct BlasMatrix {
    Array storage;
    bool transposed = false;
    std::int64_t ld = 1;
};

// Row-major readable: unit stride along rows, rows at least a row apart.
// A length-1 dimension's stride never matters.
bool row_major(std::int64_t rows, std::int64_t cols, std::int64_t row_stride, std::int64_t col_stride) {
    return (cols <= 1 || col_stride == 1) && (rows <= 1 || row_stride >= std::max<std::int64_t>(cols, 1));
}

BlasMatrix blas_matrix(const Array& m) {
    const std::int64_t rows = m.shape()[0], cols = m.shape()[1];
    const std::int64_t s0 = m.strides()[0], s1 = m.strides()[1];
    if (row_major(rows, cols, s0, s1)) return {m, false, rows <= 1 ? std::max<std::int64_t>(cols, 1) : s0};
    if (row_major(cols, rows, s1, s0)) return {m, true, cols <= 1 ? std::max<std::int64_t>(rows, 1) : s1};
    return {m.copy(), false, std::max<std::int64_t>(cols, 1)};
}

// The column of a k x 1 array as BLAS reads a vector: with a positive
// increment, or as a contiguous copy.
Array blas_column(const Array& m, std::int64_t& increment) {
    const std::int64_t n = m.shape()[0], stride = m.strides()[0];
    if (n <= 1 || stride >= 1) {
        increment = n <= 1 ? 1 : stride;
        return m;
    }
    increment = 1;
    return m.copy();
}

Array transposed(const Array& m) {
    return m.view({m.shape()[1], m.shape()[0]}, {m.strides()[1], m.strides()[0]});
}

template <class T> void scale(Array& c, T beta) {
    T* data = c.mutable_data_as<T>();
    for (std::int64_t i = 0; i < c.size(); ++i) data[i] = beta == T(0) ? T(0) : data[i] * beta;
}

} // namespace

template <class T> void blas_matmul(const Array& a, const Array& b, T alpha, T beta, Array& c) {
    const std::int64_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
    if (m == 0 || n == 0) return;
    if (k == 0) {
        scale(c, beta);
        return;
    }
    if (n == 1) {
        // c = A x: gemv over A's storage, transposed or not.
        const BlasMatrix A = blas_matrix(a);
        std::int64_t incx = 1;
        const Array x = blas_column(b, incx);
        const std::int64_t rows = A.transposed ? k : m, cols = A.transposed ? m : k;
        kernels::gemv(A.transposed, rows, cols, alpha, A.storage.data_as<T>(), A.ld, x.data_as<T>(), incx, beta,
                      c.mutable_data_as<T>(), 1);
        return;
    }
    if (m == 1) {
        // c^T = b^T a^T: the same product with the vector on the right.
        Array c_column = c.view({n, 1}, {1, 1});
        blas_matmul<T>(transposed(b), transposed(a), alpha, beta, c_column);
        return;
    }
    const BlasMatrix A = blas_matrix(a), B = blas_matrix(b);
    kernels::gemm(A.transposed, B.transposed, m, n, k, alpha, A.storage.data_as<T>(), A.ld, B.storage.data_as<T>(),
                  B.ld, beta, c.mutable_data_as<T>(), n);
}

template void blas_matmul<float>(const Array&, const Array&, float, float, Array&);
template void blas_matmul<double>(const Array&, const Array&, double, double, Array&);

} // namespace kiln
