// Baselines for kiln-bench: plain C++ loops compiled with -O3 -march=native
// -ffast-math (so exp vectorizes), split over all cores like kiln's loops.
#pragma once

#include <cstdint>

namespace kiln::bench {

/// out = 1 / (1 + exp(-(a * b + c)))
void sigmoid_chain(const double* a, const double* b, const double* c, double* out, std::int64_t n);
void sigmoid_chain(const float* a, const float* b, const float* c, float* out, std::int64_t n);
/// STREAM triad out = a + s * b: the memory bandwidth a loop can reach here.
void triad(const double* a, const double* b, double s, double* out, std::int64_t n);

/// W2: sums of a rows x cols row-major matrix (float32 accumulates in
/// double, as kiln's sum does) and the row maxima (ignoring NaN).
template <class T> double sum_all(const T* x, std::int64_t rows, std::int64_t cols);
template <class T> void sum_columns(const T* x, std::int64_t rows, std::int64_t cols, T* out);
template <class T> void sum_rows(const T* x, std::int64_t rows, std::int64_t cols, T* out);
template <class T> void max_rows(const T* x, std::int64_t rows, std::int64_t cols, T* out);

/// W3: softmax of each row of a rows x cols matrix, and the mean negative
/// log-likelihood of integer labels under each row's log-softmax.
void softmax_rows(const double* x, std::int64_t rows, std::int64_t cols, double* out);
double softmax_nll(const double* x, const std::int64_t* labels, std::int64_t rows, std::int64_t cols);

/// One step of the tutorial's logistic regression (N x feats data, labels
/// 0/1): updates w and b in place; scratch holds N doubles.
void logistic_regression_step(const double* x, const double* y, double* w, double* b, std::int64_t n,
                              std::int64_t feats, double* scratch, double* gradient);

/// W8: the rows of a table (ids given as int64) copied out, all cores.
void gather_rows(const double* table, std::int64_t cols, const std::int64_t* ids, std::int64_t count, double* out);
/// W8: table = 0, then each row of rows added into table's row ids[i]
/// (repeated ids add up), in order on one thread.
void scatter_add_rows(const double* rows, std::int64_t cols, const std::int64_t* ids, std::int64_t count,
                      double* table, std::int64_t table_rows);
/// W8: out[i] = x[ids[i]], all cores.
void gather_elements(const double* x, const std::int64_t* ids, std::int64_t count, double* out);
/// W8: [a b] of two row-major matrices with the same number of rows, all cores.
void join_columns(const double* a, std::int64_t a_cols, const double* b, std::int64_t b_cols, std::int64_t rows,
                  double* out);

/// W9: one epoch of softmax regression as the softmax_regression example
/// trains it: for each whole minibatch of `batch` rows, p = softmax(x W + b),
/// then W -= lr x^T (p - onehot(y)) / batch and b likewise; then the
/// fraction of validation examples misclassified, minibatch by minibatch.
/// scratch holds batch * n_out values. Returns the mean training cost and
/// the validation error.
template <class T> struct SoftmaxEpoch {
    double mean_cost;
    double validation_error;
};
template <class T>
SoftmaxEpoch<T> softmax_regression_epoch(const T* train_x, const std::int32_t* train_y, std::int64_t n_train,
                                         const T* valid_x, const std::int32_t* valid_y, std::int64_t n_valid,
                                         std::int64_t n_in, std::int64_t n_out, std::int64_t batch, T learning_rate,
                                         T* W, T* b, T* scratch);

/// The W5 baseline: a C++ function-pointer call adding two doubles.
extern double (*volatile add_pointer)(double, double);

} // namespace kiln::bench
