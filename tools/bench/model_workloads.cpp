// W4, W8 and W9: the tutorial's logistic regression, embedding-style
// indexing, and an epoch of the softmax_regression example, against the same
// work written by hand.
#include "handwritten.hpp"
#include "workloads.hpp"

#include "common/logistic_regression.hpp"
#include "common/mnist_training.hpp"

#include "../../kernels/blas.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace kiln::bench {

namespace {

struct LogisticData {
    std::int64_t n = 400, feats = 784;
    std::vector<double> x, y, w0;
    LogisticData() {
        std::mt19937 rng(1234);
        std::normal_distribution<double> normal;
        x.resize(n * feats);
        for (double& v : x) v = normal(rng);
        y.resize(n);
        for (double& v : y) v = static_cast<double>(rng() % 2);
        w0.resize(feats);
        for (double& v : w0) v = normal(rng);
    }
};

} // namespace

Function logistic_train(SharedVar& w, SharedVar& b) {
    const Var x = dmatrix("x"), y = dvector("y");
    const Var p_1 = 1 / (1 + exp(-dot(x, w) - b));
    const Var prediction = p_1 > 0.5;
    const Var xent = -y * log(p_1) - (1 - y) * log(1 - p_1);
    const Var cost = mean(xent) + 0.01 * sum(pow(w, 2));
    const std::vector<Var> g = grad(cost, {w, b});
    return compile({x, y}, std::vector<Var>{prediction, xent},
                   {.updates = {{w, w - 0.1 * g[0]}, {b, b - 0.1 * g[1]}}, .name = "train"});
}

Result logistic_regression(int steps) {
    const LogisticData data;
    SharedVar w = shared(Array::from_values(data.w0), "w");
    SharedVar b = shared(0.0, "b");
    const Function train = logistic_train(w, b);
    const Array X = Array::from_values(data.x, {data.n, data.feats}), Y = Array::from_values(data.y);
    const int rounds = 10, per_round = std::max(1, steps / rounds);
    Result r{"W4 logistic regression " + std::to_string(rounds * per_round) + " steps"};
    std::vector<double> hw = data.w0, scratch(data.n), gradient(data.feats);
    double hb = 0;
    r.baseline = "hand-written loop with OpenBLAS gemv";
    const auto [kiln_s, hand_s] = alternating_medians(
        rounds,
        [&] {
            for (int s = 0; s < per_round; ++s) train(X, Y);
        },
        [&] {
            for (int s = 0; s < per_round; ++s)
                bench::logistic_regression_step(data.x.data(), data.y.data(), hw.data(), &hb, data.n, data.feats,
                                                scratch.data(), gradient.data());
        });
    r.kiln_s = kiln_s * rounds;
    r.baseline_s = hand_s * rounds;
    double largest = 0;
    const Array wk = w.get_value();
    for (std::int64_t j = 0; j < data.feats; ++j) largest = std::max(largest, std::abs(wk.value_at<double>(j) - hw[j]));
    r.note = "median of " + std::to_string(rounds) + " alternating rounds of " + std::to_string(per_round) +
             " steps, times " + std::to_string(rounds) + "; max |w_kiln - w_hand| " + std::to_string(largest) + "; " +
             kernels::blas_description();
    return r;
}

// W8: indexing as an embedding layer uses it: rows of a table gathered by
// integer ids, the gradient scattered back into the table (repeated ids add
// up); single elements gathered; two matrices joined side by side.
std::vector<Result> indexing_workloads() {
    const std::int64_t table_rows = 50000, cols = 128, count = std::int64_t{1} << 16;
    std::mt19937 rng(9);
    std::vector<std::int64_t> id_values(count);
    for (auto& id : id_values) id = static_cast<std::int64_t>(rng() % table_rows);
    const Array Ids = Array::from_values(id_values);
    const std::vector<double> table = random_values<double>(table_rows * cols, 10);
    SharedVar W = shared(Array::from_values(table, {table_rows, cols}), "W");
    const Var ids = lvector("ids"), G = dmatrix("G");
    const Array Grows = Array::from_values(random_values<double>(count * cols, 11), {count, cols});
    std::vector<double> out(static_cast<std::size_t>(std::max(count * cols, table_rows * cols)));
    std::vector<Result> results;
    auto add = [&](Result r, const Function& f, double bytes) {
        r.gbps = bytes / r.kiln_s / 1e9;
        const std::string steps = f.steps_text();
        r.note = "steps: " + std::to_string(std::count(steps.begin(), steps.end(), '\n'));
        results.push_back(r);
    };

    const Function lookup = compile({ids}, W[ids]);
    Result gather{"W8 gather rows W[ids] f64 50000x128, 2^16 ids"};
    gather.baseline = "hand-written row copies (all cores)";
    time_both(
        gather, [&] { lookup(Ids); },
        [&] { bench::gather_rows(table.data(), cols, id_values.data(), count, out.data()); });
    add(gather, lookup, 2.0 * static_cast<double>(count * cols * sizeof(double)));

    // The core of W[ids]'s gradient: rows added into a zero table.
    const Function backward = compile({ids, G}, inc_subtensor(zeros_like(W)[ids], G));
    Result scatter{"W8 scatter-add rows inc_subtensor(zeros_like(W)[ids], G)"};
    scatter.baseline = "hand-written zero fill and row additions (one thread: repeated ids)";
    time_both(
        scatter, [&] { backward(Ids, Grows); },
        [&] { bench::scatter_add_rows(Grows.data_as<double>(), cols, id_values.data(), count, out.data(), table_rows); });
    add(scatter, backward, static_cast<double>((table_rows + 3 * count) * cols * sizeof(double)));

    const std::int64_t n = std::int64_t{1} << 22;
    std::vector<std::int64_t> element_ids(n);
    for (auto& id : element_ids) id = static_cast<std::int64_t>(rng() % n);
    const Array ElementIds = Array::from_values(element_ids);
    const Array X = Array::from_values(random_values<double>(n, 12));
    const Var x = dvector("x");
    const Function pick = compile({x, ids}, x[ids]);
    std::vector<double> picked(n);
    Result elements{"W8 gather elements x[ids] f64 2^22"};
    elements.baseline = "hand-written loop (all cores)";
    time_both(
        elements, [&] { pick(X, ElementIds); },
        [&] { bench::gather_elements(X.data_as<double>(), element_ids.data(), n, picked.data()); });
    add(elements, pick, static_cast<double>(n * (2 * sizeof(double) + sizeof(std::int64_t))));

    const std::int64_t rows = 4096, half = 2048;
    const Array A = Array::from_values(random_values<double>(rows * half, 13), {rows, half});
    const Array B = Array::from_values(random_values<double>(rows * half, 14), {rows, half});
    const Var a = dmatrix("a"), b = dmatrix("b");
    const Function join = compile({a, b}, concatenate({a, b}, 1));
    std::vector<double> joined(static_cast<std::size_t>(rows * 2 * half));
    Result side{"W8 join columns [a b] f64 4096x2048 twice"};
    side.baseline = "hand-written row copies (all cores)";
    time_both(
        side, [&] { join(A, B); },
        [&] { bench::join_columns(A.data_as<double>(), half, B.data_as<double>(), half, rows, joined.data()); });
    add(side, join, 4.0 * static_cast<double>(rows * half * sizeof(double)));
    return results;
}

namespace {

// W9 data: Fashion-MNIST where Debian's package is installed, otherwise
// random pixels and labels of the same shapes (the work is the same).
examples::MnistSplits softmax_data(DType floatX, std::string& source) {
    // Only a missing package falls back: a damaged one is an error to see.
    if (std::filesystem::exists(examples::fashion_mnist_dir)) {
        source = "Fashion-MNIST";
        return examples::load_mnist(examples::fashion_mnist_dir, floatX);
    }
    source = "random pixels (Fashion-MNIST is not installed)";
    std::mt19937 rng(21);
    const auto random_set = [&](std::int64_t n) {
        std::vector<double> pixels(static_cast<std::size_t>(n * 784));
        std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
        for (double& p : pixels) p = static_cast<double>(rng() % 256) / 255;
        for (std::int32_t& l : labels) l = static_cast<std::int32_t>(rng() % 10);
        return examples::LabelledImages{Array::from_values(pixels, {n, 784}).astype(floatX), Array::from_values(labels)};
    };
    return {random_set(50000), random_set(10000), random_set(10000)};
}

// W9: one epoch of the softmax_regression example (its model, its givens
// minibatches: 83 SGD steps of 600, then the validation error) against the
// same epoch hand-written with OpenBLAS, on the same data.
template <class T> Result softmax_regression_epoch(const char* suffix) {
    const DType floatX = dtype_of<T>();
    const ConfigOverride as_floatX({{"floatX", std::string(dtype_name(floatX))}});
    std::string source;
    const examples::MnistSplits data = softmax_data(floatX, source);
    const std::int64_t batch = 600, n_in = 784, n_out = 10;
    const double learning_rate = 0.13;

    const examples::SharedDataset train_set = examples::shared_dataset(data.train, "train", batch);
    const examples::SharedDataset valid_set = examples::shared_dataset(data.valid, "valid", batch);
    const Var index = lscalar("index"), x = matrix("x"), y = ivector("y");
    const examples::LogisticRegression classifier(x, n_in, n_out);
    const Var cost = classifier.negative_log_likelihood(y);
    const Var g_W = grad(cost, classifier.W), g_b = grad(cost, classifier.b);
    const Function train_model = compile(
        {index}, cost,
        {.updates = {{classifier.W, classifier.W - learning_rate * g_W}, {classifier.b, classifier.b - learning_rate * g_b}},
         .givens = examples::minibatch_givens(index, batch, train_set, x, y)});
    const Function validate_model =
        compile({index}, classifier.errors(y), {.givens = examples::minibatch_givens(index, batch, valid_set, x, y)});

    std::vector<T> W(static_cast<std::size_t>(n_in * n_out), T(0)), b(n_out, T(0)), scratch(batch * n_out);
    double kiln_error = 0;
    bench::SoftmaxEpoch<T> hand{};
    const auto [kiln_s, hand_s] = alternating_medians(
        repeats,
        [&] {
            for (std::int64_t i = 0; i < train_set.n_batches; ++i) train_model(i);
            kiln_error = 0;
            for (std::int64_t i = 0; i < valid_set.n_batches; ++i) kiln_error += validate_model(i)[0].value_at<double>(0);
            kiln_error /= static_cast<double>(valid_set.n_batches);
        },
        [&] {
            hand = bench::softmax_regression_epoch(
                data.train.images.data_as<T>(), data.train.labels.data_as<std::int32_t>(), data.train.labels.size(),
                data.valid.images.data_as<T>(), data.valid.labels.data_as<std::int32_t>(), data.valid.labels.size(), n_in,
                n_out, batch, static_cast<T>(learning_rate), W.data(), b.data(), scratch.data());
        });
    Result r{std::string("W9 softmax regression epoch ") + suffix};
    r.kiln_s = kiln_s;
    r.baseline = "hand-written epoch with OpenBLAS gemm";
    r.baseline_s = hand_s;
    char note[200];
    std::snprintf(note, sizeof note, "%s; 83 steps of 600 + validation; after %d epochs validation error kiln %.2f%%, hand %.2f%%",
                  source.c_str(), repeats, 100 * kiln_error, 100 * hand.validation_error);
    r.note = note;
    return r;
}
} // namespace

std::vector<Result> softmax_regression_epochs() {
    return {softmax_regression_epoch<double>("f64"), softmax_regression_epoch<float>("f32")};
}

} // namespace kiln::bench
