// The tutorial's "Logistic Regression Example", line for line: a logistic
// regression trained by gradient descent on random data, 400 examples of
// 784 features with random 0/1 targets.
#include "common/command_line.hpp"

#include <kiln/kiln.hpp>

#include <chrono>
#include <iostream>
#include <random>

int main(int argc, char** argv) try {
    using namespace kiln;

    int training_steps = 10000;
    std::string floatX = config().get("floatX");
    std::int64_t seed = 1234;
    examples::CommandLine command_line("logistic_regression",
                                       "Trains the tutorial's logistic regression on random data and prints the model, "
                                       "the targets and the predictions.");
    command_line.option("steps", training_steps, "gradient steps")
        .option("floatX", floatX, "float32 or float64, the dtype of the data and the model")
        .option("seed", seed, "seed of the random data and initial weights");
    if (!command_line.parse(argc, argv)) return 0;
    config().set("floatX", floatX);

    std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
    std::normal_distribution<double> randn;
    const std::int64_t N = 400;     // training sample size
    const std::int64_t feats = 784; // number of input variables

    // A data set D = (input values, target class): D0 is (400, 784), D1 is (400,).
    std::vector<double> inputs(N * feats), targets(N);
    for (double& v : inputs) v = randn(rng);
    for (double& v : targets) v = static_cast<double>(rng() % 2);
    const Array D0 = Array::from_values(inputs, {N, feats}).astype(config().floatX());
    const Array D1 = Array::from_values(targets).astype(config().floatX());

    Var x = matrix("x");
    Var y = vector("y");

    // The weights start random and the bias at zero; both are shared, so
    // they keep their updated values between training steps.
    std::vector<double> initial_w(feats);
    for (double& v : initial_w) v = randn(rng);
    SharedVar w = shared(Array::from_values(initial_w).astype(config().floatX()), "w");
    SharedVar b = shared(Array::zeros(config().floatX(), {}), "b");

    std::cout << "Initial model:\n" << w.get_value() << "\n" << b.get_value() << "\n";

    // The expression graph.
    Var p_1 = 1 / (1 + exp(-dot(x, w) - b));           // probability that the target is 1
    Var prediction = p_1 > 0.5;                          // the prediction threshold
    Var xent = -y * log(p_1) - (1 - y) * log(1 - p_1);  // cross-entropy of each example
    Var cost = mean(xent) + 0.01 * sum(pow(w, 2));       // the mean, plus L2 regularization
    std::vector<Var> g = grad(cost, {w, b});             // gradients of the cost with respect to w and b
    Var gw = g[0], gb = g[1];

    Function train = compile({x, y}, std::vector<Var>{prediction, xent},
                             {.updates = {{w, w - 0.1 * gw}, {b, b - 0.1 * gb}}});
    Function predict = compile({x}, prediction);

    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < training_steps; ++i) train(D0, D1);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::cout << "Final model:\n" << w.get_value() << "\n" << b.get_value() << "\n";
    std::cout << "target values for D:\n" << D1 << "\n";
    const Array predicted = predict(D0);
    std::cout << "prediction on D:\n" << predicted << "\n";

    std::int64_t correct = 0;
    for (std::int64_t i = 0; i < N; ++i) correct += predicted.value_at<bool>(i) == (targets[i] > 0.5);
    std::cout << "training accuracy " << 100.0 * static_cast<double>(correct) / N << "% after " << training_steps
              << " steps in " << seconds << " s (" << 1e6 * seconds / std::max(training_steps, 1)
              << " us per step, " << floatX << ")\n";
} catch (const kiln::Error& e) {
    std::cerr << "logistic_regression: " << e.what() << "\n";
    return 1;
}
