// The examples' models: gradients against finite differences, and training
// on synthetic data through the same early-stopping loop the programs use.
#include "common/early_stopping.hpp"
#include "common/logistic_regression.hpp"
#include "common/mlp.hpp"
#include "common/mnist_training.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <optional>
#include <random>

using namespace kiln;
using namespace kiln::examples;

namespace {

// Three Gaussian blobs in `dims` dimensions, `n` points, labels cycling 0, 1, 2.
LabelledImages blobs(std::int64_t n, std::int64_t dims, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0, 1);
    std::vector<double> x;
    std::vector<std::int32_t> y;
    for (std::int64_t i = 0; i < n; ++i) {
        const int label = static_cast<int>(i % 3);
        for (std::int64_t d = 0; d < dims; ++d) x.push_back(noise(rng) + (d % 3 == label ? 2.5 : 0.0));
        y.push_back(label);
    }
    return {Array::from_values(x, {n, dims}), Array::from_values(y)};
}

// The model's parameters replaced by fresh inputs, so verify_grad can vary them.
Var with_parameters_as(const Var& cost, const std::vector<SharedVar>& params, const std::vector<Var>& inputs,
                       std::size_t first) {
    Replacements replacements;
    for (std::size_t i = 0; i < params.size(); ++i) replacements[params[i].node().get()] = inputs[first + i];
    return clone_replace({cost.node()}, replacements)[0];
}

} // namespace

TEST_CASE("the LogisticRegression class's negative log-likelihood passes verify_grad in W, b and its input") {
    const Var labels = constant(Array::from_values<std::int32_t>({0, 2, 1, 1, 0}));
    const LabelledImages data = blobs(5, 4, 3);
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> uniform(-0.5, 0.5);
    std::vector<double> w(12), b(3);
    for (double& v : w) v = uniform(rng);
    for (double& v : b) v = uniform(rng);
    verify_grad(
        [&](const std::vector<Var>& in) {
            const LogisticRegression model(in[0], 4, 3);
            return with_parameters_as(model.negative_log_likelihood(labels), model.params, in, 1);
        },
        {data.images, Array::from_values(w, {4, 3}), Array::from_values(b)});
}

TEST_CASE("the MLP's regularized cost passes verify_grad in every parameter") {
    const Var labels = constant(Array::from_values<std::int32_t>({1, 0, 2, 2}));
    const LabelledImages data = blobs(4, 6, 4);
    std::mt19937 init(11);
    const Var x = dmatrix("x");
    const MLP reference(init, x, 6, 5, 3); // only for its initial values
    std::vector<Array> points{data.images};
    for (const SharedVar& p : reference.params) points.push_back(p.get_value());
    // Nonzero output weights, so the hidden layer's gradient is not zero.
    std::mt19937 rng(12);
    std::uniform_real_distribution<double> uniform(-0.5, 0.5);
    std::vector<double> w2(15);
    for (double& v : w2) v = uniform(rng);
    points[3] = Array::from_values(w2, {5, 3});
    verify_grad(
        [&](const std::vector<Var>& in) {
            std::mt19937 unused(1);
            const MLP model(unused, in[0], 6, 5, 3);
            const Var cost = model.negative_log_likelihood(labels) + 0.01 * model.L1 + 0.001 * model.L2_sqr;
            return with_parameters_as(cost, model.params, in, 1);
        },
        points);
}

TEST_CASE("HiddenLayer draws its weights in Glorot's range, four times wider for sigmoid") {
    std::mt19937 rng(3);
    const Var x = dmatrix("x");
    const double bound = std::sqrt(6.0 / (30 + 20));
    const HiddenLayer tanh_layer(rng, x, 30, 20);
    const HiddenLayer sigmoid_layer(rng, x, 30, 20, sigmoid);
    double tanh_max = 0, sigmoid_max = 0;
    for (double v : tanh_layer.W.get_value().to_vector<double>()) tanh_max = std::max(tanh_max, std::abs(v));
    for (double v : sigmoid_layer.W.get_value().to_vector<double>()) sigmoid_max = std::max(sigmoid_max, std::abs(v));
    CHECK(tanh_max <= bound);
    CHECK(tanh_max > 0.9 * bound); // 600 draws reach the edge of the range
    CHECK(sigmoid_max <= 4 * bound);
    CHECK(sigmoid_max > 3.6 * bound);
    CHECK(tanh_layer.b.get_value().to_vector<double>() == std::vector<double>(20, 0.0));
}

TEST_CASE("errors() refuses labels that are not an integer vector, naming their type") {
    const Var x = dmatrix("x");
    const LogisticRegression model(x, 4, 3);
    CHECK_THROWS_WITH_AS(model.errors(dvector("y")), "errors(): y must hold integer labels, not TensorType(float64, vector)",
                         TypeError);
    CHECK_THROWS_WITH_AS(model.errors(imatrix("y")),
                         "y should have the same shape as y_pred: y is TensorType(int32, matrix), y_pred is "
                         "TensorType(int64, vector)",
                         TypeError);
}

TEST_CASE("both models learn separable blobs through the early-stopping loop, as the programs train") {
    const std::int64_t batch = 50, dims = 12;
    const SharedDataset train_set = shared_dataset(blobs(600, dims, 1), "train", batch);
    const SharedDataset valid_set = shared_dataset(blobs(150, dims, 2), "valid", batch);
    const SharedDataset test_set = shared_dataset(blobs(150, dims, 3), "test", batch);
    CHECK(train_set.n_batches == 12);

    const Var index = lscalar("index"), x = dmatrix("x"), y = ivector("y");
    std::mt19937 rng(1234);
    bool use_mlp = false;
    SUBCASE("softmax regression") { use_mlp = false; }
    SUBCASE("MLP") { use_mlp = true; }
    std::vector<SharedVar> params;
    Var cost, errors;
    std::optional<LogisticRegression> linear;
    std::optional<MLP> mlp;
    if (use_mlp) {
        mlp.emplace(rng, x, dims, 8, 3);
        params = mlp->params;
        cost = mlp->negative_log_likelihood(y) + 0.0001 * mlp->L2_sqr;
        errors = mlp->errors(y);
    } else {
        linear.emplace(x, dims, 3);
        params = linear->params;
        cost = linear->negative_log_likelihood(y);
        errors = linear->errors(y);
    }
    std::vector<Var> wrt(params.begin(), params.end());
    const std::vector<Var> g = grad(cost, wrt);
    std::vector<std::pair<Var, Var>> updates;
    for (std::size_t i = 0; i < params.size(); ++i) updates.emplace_back(params[i], wrt[i] - 0.1 * g[i]);
    const Function train_model =
        compile({index}, cost, {.updates = updates, .givens = minibatch_givens(index, batch, train_set, x, y)});
    const Function validate_model = compile({index}, errors, {.givens = minibatch_givens(index, batch, valid_set, x, y)});
    const Function test_model = compile({index}, errors, {.givens = minibatch_givens(index, batch, test_set, x, y)});

    // The cost of the first minibatch before any step: log(3) for the linear model's zero weights.
    const double first_cost = train_model(0)[0].value_at<double>(0);
    if (!use_mlp) CHECK(first_cost == doctest::Approx(std::log(3.0)));

    std::vector<ValidationRecord> seen;
    const TrainingResult result = train_with_early_stopping(
        train_model, train_set.n_batches, validate_model, valid_set.n_batches, test_model, test_set.n_batches,
        {.n_epochs = 6, .patience = 1000}, [&](const ValidationRecord& r) { seen.push_back(r); });
    // Patience 1000 outlasts 6 epochs of 12 minibatches: one validation per epoch, each reported.
    REQUIRE(result.epochs == 6);
    REQUIRE(result.curve.size() == 6);
    CHECK(seen.size() == 6);
    for (std::size_t e = 0; e < result.curve.size(); ++e) {
        CHECK(result.curve[e].epoch == static_cast<int>(e + 1));
        CHECK(result.curve[e].minibatch == 12);
        if (e > 0) CHECK(result.curve[e].elapsed_s >= result.curve[e - 1].elapsed_s);
    }
    // The reported test error is the one measured at the best validation.
    const ValidationRecord& best = result.curve[result.best_epoch - 1];
    CHECK(best.validation_error == result.best_validation_error);
    CHECK(best.test_error == result.test_error);
    CHECK(result.test_error < 0.05);
    CHECK(train_model(0)[0].value_at<double>(0) < first_cost / 4);
}

TEST_CASE("early stopping ends training once the patience runs out without improvement") {
    // A model that cannot improve: zero learning rate, so the validation error never changes.
    const std::int64_t batch = 50;
    const SharedDataset train_set = shared_dataset(blobs(600, 4, 1), "train", batch);
    const SharedDataset valid_set = shared_dataset(blobs(150, 4, 2), "valid", batch);
    const Var index = lscalar("index"), x = dmatrix("x"), y = ivector("y");
    const LogisticRegression model(x, 4, 3);
    const Function train_model = compile({index}, model.negative_log_likelihood(y),
                                         {.givens = minibatch_givens(index, batch, train_set, x, y)});
    const Function validate_model =
        compile({index}, model.errors(y), {.givens = minibatch_givens(index, batch, valid_set, x, y)});
    // Patience 30 minibatches: validation every 12 (one epoch); the first
    // validation is a best, which raises the patience to max(30, 11 * 2);
    // later ones are not, so training stops after minibatch index 30, in epoch 3.
    const TrainingResult result = train_with_early_stopping(train_model, 12, validate_model, 3, validate_model, 3,
                                                            {.n_epochs = 100, .patience = 30});
    CHECK(result.epochs == 3);
    CHECK(result.curve.size() == 2);
    CHECK(result.best_epoch == 1);
    CHECK(std::isnan(result.curve[1].test_error)); // not a new best: no test run
    CHECK_THROWS_WITH_AS(train_with_early_stopping(train_model, 0, validate_model, 3, validate_model, 3, {}),
                         "train_with_early_stopping(): every set needs at least one minibatch (train 0, validation 3, "
                         "test 3)",
                         ValueError);
}
