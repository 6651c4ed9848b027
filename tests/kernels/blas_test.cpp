#include "kernels/blas.hpp"

#include <doctest/doctest.h>

#include <random>
#include <vector>

using namespace kiln::kernels;

namespace {

template <class T> std::vector<T> random_values(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> d(-1, 1);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(d(rng));
    return v;
}

// A(i, j) of a row-major matrix, read through an optional transpose.
template <class T> T at(const std::vector<T>& m, std::int64_t ld, bool t, std::int64_t i, std::int64_t j) {
    return t ? m[j * ld + i] : m[i * ld + j];
}

template <class T> void check_gemm(bool ta, bool tb, double tolerance) {
    const std::int64_t m = 5, n = 4, k = 3;
    const std::int64_t lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
    auto a = random_values<T>(m * k, 1), b = random_values<T>(k * n, 2), c = random_values<T>(m * n, 3);
    auto expected = c;
    const T alpha = T(0.5), beta = T(-2);
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (std::int64_t p = 0; p < k; ++p) s += double(at(a, lda, ta, i, p)) * double(at(b, ldb, tb, p, j));
            expected[i * ldc + j] = T(alpha * s + beta * double(c[i * ldc + j]));
        }
    gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
    for (std::size_t i = 0; i < c.size(); ++i) CHECK(double(c[i]) == doctest::Approx(double(expected[i])).epsilon(tolerance));
}

template <class T> void check_gemv(bool ta, double tolerance) {
    const std::int64_t m = 6, n = 4;
    auto a = random_values<T>(m * n, 4);
    const std::int64_t xlen = ta ? m : n, ylen = ta ? n : m;
    auto x = random_values<T>(xlen * 2, 5), y = random_values<T>(ylen, 6);
    auto expected = y;
    for (std::int64_t i = 0; i < ylen; ++i) {
        double s = 0;
        for (std::int64_t j = 0; j < xlen; ++j) s += double(at(a, n, ta, i, j)) * double(x[j * 2]);
        expected[i] = T(1.5 * s + 0.25 * double(y[i]));
    }
    gemv(ta, m, n, T(1.5), a.data(), n, x.data(), 2, T(0.25), y.data(), 1);
    for (std::int64_t i = 0; i < ylen; ++i) CHECK(double(y[i]) == doctest::Approx(double(expected[i])).epsilon(tolerance));
}

} // namespace

TEST_CASE("gemm matches a hand-written triple loop, with every transpose") {
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            CAPTURE(ta);
            CAPTURE(tb);
            check_gemm<double>(ta, tb, 1e-12);
            check_gemm<float>(ta, tb, 1e-5);
        }
}

TEST_CASE("gemv matches a hand-written loop, strided x included") {
    for (bool ta : {false, true}) {
        CAPTURE(ta);
        check_gemv<double>(ta, 1e-12);
        check_gemv<float>(ta, 1e-5);
    }
}

TEST_CASE("the BLAS library describes itself") { CHECK_FALSE(blas_description().empty()); }
