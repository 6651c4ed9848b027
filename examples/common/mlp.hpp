// The tutorial's multilayer perceptron: one hidden layer of tanh units
// feeding a LogisticRegression layer.
#pragma once

#include "logistic_regression.hpp"

#include <random>

namespace kiln::examples {

/// A fully connected layer, activation(dot(input, W) + b). W starts uniform
/// in +-sqrt(6 / (n_in + n_out)) (Glorot and Bengio's range for tanh, four
/// times wider for sigmoid), b at zero.
class HiddenLayer {
public:
    HiddenLayer(std::mt19937& rng, const Var& input, std::int64_t n_in, std::int64_t n_out,
                Var (*activation)(const Var&) = tanh);

    SharedVar W, b;
    Var output;
    std::vector<SharedVar> params;
};

class MLP {
public:
    MLP(std::mt19937& rng, const Var& input, std::int64_t n_in, std::int64_t n_hidden, std::int64_t n_out);

    Var negative_log_likelihood(const Var& y) const { return log_regression_layer.negative_log_likelihood(y); }
    Var errors(const Var& y) const { return log_regression_layer.errors(y); }

    HiddenLayer hidden_layer;
    LogisticRegression log_regression_layer;
    Var L1;     // sum of the absolute weights, a regularization term
    Var L2_sqr; // sum of the squared weights, the other
    std::vector<SharedVar> params;
    Var input;
};

} // namespace kiln::examples
