#include "logistic_regression.hpp"

namespace kiln::examples {

LogisticRegression::LogisticRegression(const Var& input, std::int64_t n_in, std::int64_t n_out)
    : W(shared(Array::zeros(config().floatX(), {n_in, n_out}), "W")),
      b(shared(Array::zeros(config().floatX(), {n_out}), "b")),
      p_y_given_x(softmax(dot(input, W) + b)),
      y_pred(argmax(p_y_given_x, 1)),
      params{W, b},
      input(input) {}

Var LogisticRegression::negative_log_likelihood(const Var& y) const {
    // log(p)[arange(n), y] picks each example's log-probability of its label.
    return -mean(log(p_y_given_x)[{arange(shape_i(y, 0)), y}]);
}

Var LogisticRegression::errors(const Var& y) const {
    if (y.ndim() != y_pred.ndim())
        throw TypeError("y should have the same shape as y_pred: y is " + y.type().str() + ", y_pred is " +
                        y_pred.type().str());
    if (!is_signed_int(y.dtype()) && !is_unsigned_int(y.dtype())) throw TypeError("errors(): y must hold integer labels, not " + y.type().str());
    return mean(neq(y_pred, y));
}

} // namespace kiln::examples
