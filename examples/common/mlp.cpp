#include "mlp.hpp"

#include <cmath>

namespace kiln::examples {

namespace {

Array uniform_weights(std::mt19937& rng, std::int64_t n_in, std::int64_t n_out, bool sigmoid) {
    const double bound = std::sqrt(6.0 / static_cast<double>(n_in + n_out)) * (sigmoid ? 4 : 1);
    std::uniform_real_distribution<double> uniform(-bound, bound);
    std::vector<double> values(static_cast<std::size_t>(n_in * n_out));
    for (double& v : values) v = uniform(rng);
    return Array::from_values(values, {n_in, n_out}).astype(config().floatX());
}

} // namespace

HiddenLayer::HiddenLayer(std::mt19937& rng, const Var& input, std::int64_t n_in, std::int64_t n_out,
                         Var (*activation)(const Var&))
    : W(shared(uniform_weights(rng, n_in, n_out, activation == static_cast<Var (*)(const Var&)>(sigmoid)), "W")),
      b(shared(Array::zeros(config().floatX(), {n_out}), "b")),
      output(activation(dot(input, W) + b)),
      params{W, b} {}

MLP::MLP(std::mt19937& rng, const Var& input, std::int64_t n_in, std::int64_t n_hidden, std::int64_t n_out)
    : hidden_layer(rng, input, n_in, n_hidden),
      log_regression_layer(hidden_layer.output, n_hidden, n_out),
      L1(sum(abs(hidden_layer.W)) + sum(abs(log_regression_layer.W))),
      L2_sqr(sum(pow(hidden_layer.W, 2)) + sum(pow(log_regression_layer.W, 2))),
      params{hidden_layer.W, hidden_layer.b, log_regression_layer.W, log_regression_layer.b},
      input(input) {}

} // namespace kiln::examples
