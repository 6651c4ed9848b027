#include "handwritten.hpp"

#include <cblas.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <cmath>
#include <vector>
#include <functional>

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

template <class T> double sum_all(const T* x, std::int64_t rows, std::int64_t cols) {
    const std::int64_t n = rows * cols;
    return tbb::parallel_reduce(
        tbb::blocked_range<std::int64_t>(0, n, std::int64_t{1} << 15), 0.0,
        [&](const tbb::blocked_range<std::int64_t>& r, double total) {
            for (std::int64_t i = r.begin(); i < r.end(); ++i) total += static_cast<double>(x[i]);
            return total;
        },
        std::plus<double>());
}

template <class T> void sum_columns(const T* x, std::int64_t rows, std::int64_t cols, T* out) {
    // Each task owns a block of columns and adds the rows into it.
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, cols, 256), [&](const tbb::blocked_range<std::int64_t>& r) {
        const std::int64_t width = r.end() - r.begin();
        std::vector<double> acc(static_cast<std::size_t>(width), 0.0);
        for (std::int64_t i = 0; i < rows; ++i) {
            const T* row = x + i * cols + r.begin();
            for (std::int64_t j = 0; j < width; ++j) acc[j] += static_cast<double>(row[j]);
        }
        for (std::int64_t j = 0; j < width; ++j) out[r.begin() + j] = static_cast<T>(acc[j]);
    });
}

template <class T> void sum_rows(const T* x, std::int64_t rows, std::int64_t cols, T* out) {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, rows, 8), [&](const tbb::blocked_range<std::int64_t>& r) {
        for (std::int64_t i = r.begin(); i < r.end(); ++i) {
            double total = 0;
            for (std::int64_t j = 0; j < cols; ++j) total += static_cast<double>(x[i * cols + j]);
            out[i] = static_cast<T>(total);
        }
    });
}

template <class T> void max_rows(const T* x, std::int64_t rows, std::int64_t cols, T* out) {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, rows, 8), [&](const tbb::blocked_range<std::int64_t>& r) {
        for (std::int64_t i = r.begin(); i < r.end(); ++i) {
            T largest = x[i * cols];
            for (std::int64_t j = 1; j < cols; ++j) largest = std::max(largest, x[i * cols + j]);
            out[i] = largest;
        }
    });
}

void softmax_rows(const double* x, std::int64_t rows, std::int64_t cols, double* out) {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, rows, 8), [&](const tbb::blocked_range<std::int64_t>& r) {
        for (std::int64_t i = r.begin(); i < r.end(); ++i) {
            const double* row = x + i * cols;
            double* result = out + i * cols;
            double top = row[0];
            for (std::int64_t j = 1; j < cols; ++j) top = std::max(top, row[j]);
            double total = 0;
            for (std::int64_t j = 0; j < cols; ++j) total += result[j] = std::exp(row[j] - top);
            const double scale = 1.0 / total;
            for (std::int64_t j = 0; j < cols; ++j) result[j] *= scale;
        }
    });
}

double softmax_nll(const double* x, const std::int64_t* labels, std::int64_t rows, std::int64_t cols) {
    const double total = tbb::parallel_reduce(
        tbb::blocked_range<std::int64_t>(0, rows, 8), 0.0,
        [&](const tbb::blocked_range<std::int64_t>& r, double loss) {
            for (std::int64_t i = r.begin(); i < r.end(); ++i) {
                const double* row = x + i * cols;
                double top = row[0];
                for (std::int64_t j = 1; j < cols; ++j) top = std::max(top, row[j]);
                double sum = 0;
                for (std::int64_t j = 0; j < cols; ++j) sum += std::exp(row[j] - top);
                loss += std::log(sum) - (row[labels[i]] - top);
            }
            return loss;
        },
        std::plus<double>());
    return total / static_cast<double>(rows);
}

template double sum_all(const double*, std::int64_t, std::int64_t);
template double sum_all(const float*, std::int64_t, std::int64_t);
template void sum_columns(const double*, std::int64_t, std::int64_t, double*);
template void sum_columns(const float*, std::int64_t, std::int64_t, float*);
template void sum_rows(const double*, std::int64_t, std::int64_t, double*);
template void sum_rows(const float*, std::int64_t, std::int64_t, float*);
template void max_rows(const double*, std::int64_t, std::int64_t, double*);
template void max_rows(const float*, std::int64_t, std::int64_t, float*);

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

void gather_rows(const double* table, std::int64_t cols, const std::int64_t* ids, std::int64_t count, double* out) {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, count, 256), [&](const tbb::blocked_range<std::int64_t>& r) {
        for (std::int64_t i = r.begin(); i < r.end(); ++i)
            std::copy_n(table + ids[i] * cols, cols, out + i * cols);
    });
}

void scatter_add_rows(const double* rows, std::int64_t cols, const std::int64_t* ids, std::int64_t count,
                      double* table, std::int64_t table_rows) {
    std::fill_n(table, table_rows * cols, 0.0);
    for (std::int64_t i = 0; i < count; ++i) {
        double* target = table + ids[i] * cols;
        const double* source = rows + i * cols;
        for (std::int64_t j = 0; j < cols; ++j) target[j] += source[j];
    }
}

void gather_elements(const double* x, const std::int64_t* ids, std::int64_t count, double* out) {
    split(count, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) out[i] = x[ids[i]];
    });
}

void join_columns(const double* a, std::int64_t a_cols, const double* b, std::int64_t b_cols, std::int64_t rows,
                  double* out) {
    const std::int64_t cols = a_cols + b_cols;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, rows, 64), [&](const tbb::blocked_range<std::int64_t>& r) {
        for (std::int64_t i = r.begin(); i < r.end(); ++i) {
            std::copy_n(a + i * a_cols, a_cols, out + i * cols);
            std::copy_n(b + i * b_cols, b_cols, out + i * cols + a_cols);
        }
    });
}

double (*volatile add_pointer)(double, double) = add;

} // namespace kiln::bench
