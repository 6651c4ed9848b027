#include "handwritten.hpp"

#include <cblas.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cmath>

namespace kiln::bench {

namespace {

template <class F> void split(std::int64_t n, F&& body) {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, std::int64_t{1} << 15),
                      [&](const tbb::blocked_range<std::int64_t>& r) { body(r.begin(), r.end()); });
}

template <class T> void chain(const T* a, const T* b, const T* c, T* out, std::int64_t n) {
    split(n, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) out[i] = T(1) / (T(1) + std::exp(-(a[i] * b[i] + c[i])));
    });
}

double add(double x, double y) { return x + y; }

} // namespace

void sigmoid_chain(const double* a, const double* b, const double* c, double* out, std::int64_t n) {
    chain(a, b, c, out, n);
}
void sigmoid_chain(const float* a, const float* b, const float* c, float* out, std::int64_t n) {
    chain(a, b, c, out, n);
}

void triad(const double* a, const double* b, double s, double* out, std::int64_t n) {
    split(n, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) out[i] = a[i] + s * b[i];
    });
}

void logistic_regression_step(const double* x, const double* y, double* w, double* b, std::int64_t n,
                              std::int64_t feats, double* scratch, double* gradient) {
    // scratch = x . w; then p - y; gradient = x^T (p - y) / n + 0.02 w
    cblas_dgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n), static_cast<int>(feats), 1.0, x,
                static_cast<int>(feats), w, 1, 0.0, scratch, 1);
    double gb = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double p = 1.0 / (1.0 + std::exp(-scratch[i] - *b));
        scratch[i] = (p - y[i]) / static_cast<double>(n);
        gb += scratch[i];
    }
    cblas_dgemv(CblasRowMajor, CblasTrans, static_cast<int>(n), static_cast<int>(feats), 1.0, x,
                static_cast<int>(feats), scratch, 1, 0.0, gradient, 1);
    for (std::int64_t j = 0; j < feats; ++j) w[j] -= 0.1 * (gradient[j] + 0.02 * w[j]);
    *b -= 0.1 * gb;
}

double (*volatile add_pointer)(double, double) = add;

} // namespace kiln::bench
