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

namespace {

// out = x w with x rows x k and w k x cols, row-major; or out = alpha x^T w + beta out.
void gemm(bool transpose_x, std::int64_t m, std::int64_t n, std::int64_t k, double alpha, const double* x,
          std::int64_t ldx, const double* w, double beta, double* out) {
    cblas_dgemm(CblasRowMajor, transpose_x ? CblasTrans : CblasNoTrans, CblasNoTrans, static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), alpha, x, static_cast<int>(ldx), w, static_cast<int>(n), beta,
                out, static_cast<int>(n));
}
void gemm(bool transpose_x, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* x,
          std::int64_t ldx, const float* w, float beta, float* out) {
    cblas_sgemm(CblasRowMajor, transpose_x ? CblasTrans : CblasNoTrans, CblasNoTrans, static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), alpha, x, static_cast<int>(ldx), w, static_cast<int>(n), beta,
                out, static_cast<int>(n));
}

// logits = x W + b for `rows` examples.
template <class T>
void affine(const T* x, std::int64_t rows, std::int64_t n_in, std::int64_t n_out, const T* W, const T* b, T* logits) {
    gemm(false, rows, n_out, n_in, T(1), x, n_in, W, T(0), logits);
    for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t k = 0; k < n_out; ++k) logits[i * n_out + k] += b[k];
}

} // namespace

template <class T>
SoftmaxEpoch<T> softmax_regression_epoch(const T* train_x, const std::int32_t* train_y, std::int64_t n_train,
                                         const T* valid_x, const std::int32_t* valid_y, std::int64_t n_valid,
                                         std::int64_t n_in, std::int64_t n_out, std::int64_t batch, T learning_rate,
                                         T* W, T* b, T* scratch) {
    double total_cost = 0;
    const std::int64_t n_batches = n_train / batch;
    for (std::int64_t m = 0; m < n_batches; ++m) {
        const T* x = train_x + m * batch * n_in;
        const std::int32_t* y = train_y + m * batch;
        affine(x, batch, n_in, n_out, W, b, scratch);
        // Each row becomes (softmax - onehot) / batch, the cost's gradient in the logits.
        double cost = 0;
        for (std::int64_t i = 0; i < batch; ++i) {
            T* row = scratch + i * n_out;
            const T top = *std::max_element(row, row + n_out);
            T total = 0;
            for (std::int64_t k = 0; k < n_out; ++k) total += row[k] = std::exp(row[k] - top);
            cost -= std::log(static_cast<double>(row[y[i]] / total));
            for (std::int64_t k = 0; k < n_out; ++k) row[k] = (row[k] / total - T(k == y[i])) / T(batch);
        }
        total_cost += cost / static_cast<double>(batch);
        for (std::int64_t k = 0; k < n_out; ++k) {
            T column = 0;
            for (std::int64_t i = 0; i < batch; ++i) column += scratch[i * n_out + k];
            b[k] -= learning_rate * column;
        }
        // W -= lr x^T delta, straight into W.
        gemm(true, n_in, n_out, batch, -learning_rate, x, n_in, scratch, T(1), W);
    }
    std::int64_t wrong = 0;
    const std::int64_t n_valid_batches = n_valid / batch;
    for (std::int64_t m = 0; m < n_valid_batches; ++m) {
        affine(valid_x + m * batch * n_in, batch, n_in, n_out, W, b, scratch);
        for (std::int64_t i = 0; i < batch; ++i) {
            const T* row = scratch + i * n_out;
            wrong += std::max_element(row, row + n_out) - row != valid_y[m * batch + i];
        }
    }
    return {total_cost / static_cast<double>(n_batches),
            static_cast<double>(wrong) / static_cast<double>(n_valid_batches * batch)};
}

template SoftmaxEpoch<double> softmax_regression_epoch(const double*, const std::int32_t*, std::int64_t, const double*,
                                                       const std::int32_t*, std::int64_t, std::int64_t, std::int64_t,
                                                       std::int64_t, double, double*, double*, double*);
template SoftmaxEpoch<float> softmax_regression_epoch(const float*, const std::int32_t*, std::int64_t, const float*,
                                                      const std::int32_t*, std::int64_t, std::int64_t, std::int64_t,
                                                      std::int64_t, float, float*, float*, float*);

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
