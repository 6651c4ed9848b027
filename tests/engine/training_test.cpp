// The tutorial's two models as graphs, trained through compile() on data
// made here with fixed seeds.
#include "test_helpers.hpp"

using namespace kiln;

namespace {

// The tutorial's LogisticRegression class (MNIST section), in C++.
class LogisticRegression {
public:
    LogisticRegression(const Var& input, std::int64_t n_in, std::int64_t n_out)
        : W(shared(Array::zeros(DType::float64, {n_in, n_out}), "W")),
          b(shared(Array::zeros(DType::float64, {n_out}), "b")),
          p_y_given_x(softmax(dot(input, W) + b)),
          y_pred(argmax(p_y_given_x, 1)) {}

    Var negative_log_likelihood(const Var& y) const {
        return -mean(log(p_y_given_x)[{arange(shape_i(y, 0)), y}]);
    }
    Var errors(const Var& y) const { return mean(neq(y_pred, y)); }

    SharedVar W, b;
    Var p_y_given_x, y_pred;
};

// Three Gaussian blobs in 8 dimensions, 200 points each, shuffled.
void make_blobs(Array& features, Array& labels) {
    std::mt19937 rng(2024);
    std::normal_distribution<double> noise(0, 1);
    const int n = 600, dims = 8;
    std::vector<double> x;
    std::vector<std::int32_t> y;
    for (int i = 0; i < n; ++i) {
        const int label = i % 3;
        for (int d = 0; d < dims; ++d) x.push_back(noise(rng) + (d % 3 == label ? 3.0 : 0.0));
        y.push_back(label);
    }
    features = Array::from_values(x, {n, dims});
    labels = Array::from_values(y);
}

} // namespace

TEST_CASE("the LogisticRegression class trains by minibatch SGD with givens slicing shared data") {
    Array data, targets;
    make_blobs(data, targets);
    SharedVar train_set_x = shared(data, "train_set_x");
    SharedVar train_set_y = shared(targets, "train_set_y");
    const std::int64_t batch_size = 100, n_batches = 6;
    const double learning_rate = 0.13;

    Var index = lscalar("index");
    Var x = matrix("x");
    Var y = ivector("y");
    LogisticRegression classifier(x, 8, 3);
    Var cost = classifier.negative_log_likelihood(y);
    Var g_W = grad(cost, classifier.W);
    Var g_b = grad(cost, classifier.b);
    const std::vector<std::pair<Var, Var>> givens = {
        {x, train_set_x[slice(index * batch_size, (index + 1) * batch_size)]},
        {y, train_set_y[slice(index * batch_size, (index + 1) * batch_size)]}};
    Function train_model = compile({index}, cost,
                                   {.updates = {{classifier.W, classifier.W - learning_rate * g_W},
                                                {classifier.b, classifier.b - learning_rate * g_b}},
                                    .givens = givens});
    Function errors = compile({index}, classifier.errors(y), {.givens = givens});

    // Zero weights: every class has probability 1/3.
    CHECK(train_model(0)[0].value_at<double>(0) == doctest::Approx(std::log(3.0)).epsilon(1e-12));
    double previous = 1e9;
    for (int epoch = 0; epoch < 5; ++epoch) {
        double total = 0;
        for (std::int64_t i = 0; i < n_batches; ++i) total += train_model(i)[0].value_at<double>(0);
        CAPTURE(epoch);
        CHECK(total / n_batches < previous);
        previous = total / n_batches;
    }
    double error = 0;
    for (std::int64_t i = 0; i < n_batches; ++i) error += errors(i)[0].value_at<double>(0);
    CHECK(error / n_batches < 0.05);
    CHECK(classifier.W.get_value().shape() == Shape{8, 3});
}

TEST_CASE("the negative log-likelihood's gradient passes verify_grad") {
    const Array W = test::doubles(test::uniform(12, -0.5, 0.5), {4, 3});
    const Array b = test::doubles({0.1, -0.2, 0.05}, {3});
    const Array inputs = test::doubles(test::uniform(20, -1, 1, 3), {5, 4});
    const Var labels = constant(Array::from_values<std::int32_t>({0, 2, 1, 1, 0}));
    verify_grad(
        [&](const std::vector<Var>& in) {
            const Var p = softmax(dot(in[0], in[1]) + in[2]);
            return -mean(log(p)[{arange(shape_i(labels, 0)), labels}]);
        },
        {inputs, W, b});
}

TEST_CASE("the tutorial's logistic regression graph trains, its cost falling at every step") {
    const std::int64_t N = 400, feats = 784;
    std::mt19937_64 rng(1234);
    std::normal_distribution<double> normal;
    std::vector<double> xs(N * feats), ys(N), w0(feats);
    for (double& v : xs) v = normal(rng);
    for (double& v : ys) v = static_cast<double>(rng() % 2);
    // Unit-scale weights as in the tutorial: logits reach the hundreds, where
    // log(1 - p_1) is -inf as written; the stabilize rewrites keep it finite.
    for (double& v : w0) v = normal(rng);

    Var x = dmatrix("x");
    Var y = dvector("y");
    SharedVar w = shared(Array::from_values(w0), "w");
    SharedVar b = shared(0.0, "b");
    Var p_1 = 1 / (1 + exp(-dot(x, w) - b));
    Var prediction = p_1 > 0.5;
    Var xent = -y * log(p_1) - (1 - y) * log(1 - p_1);
    Var cost = mean(xent) + 0.01 * sum(pow(w, 2));
    std::vector<Var> g = grad(cost, {w, b});
    Function train = compile({x, y}, std::vector<Var>{prediction, xent, cost},
                             {.updates = {{w, w - 0.1 * g[0]}, {b, b - 0.1 * g[1]}}});
    Function predict = compile({x}, prediction);
    CHECK(pp(prediction) ==
          "gt((TensorConstant{1} / (TensorConstant{1} + exp(((-(x \\dot w)) - b)))), TensorConstant{0.5})");

    const Array D0 = Array::from_values(xs, {N, feats}), D1 = Array::from_values(ys);
    CHECK(train.rewrites_applied().count("log_one_minus_sigmoid") == 1);
    double previous = INFINITY;
    for (int step = 0; step < 300; ++step) {
        const double c = train(D0, D1)[2].value_at<double>(0);
        CAPTURE(step);
        REQUIRE(c < previous);
        previous = c;
    }
    const Array predicted = predict(D0);
    int correct = 0;
    for (std::int64_t i = 0; i < N; ++i) correct += predicted.value_at<bool>(i) == (ys[i] > 0.5);
    CHECK(correct >= 396); // 784 features separate 400 random labels: 99% after 300 steps
}
