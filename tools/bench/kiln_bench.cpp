// kiln-bench: kiln's speed against baselines measured in the same run.
//   kiln-bench [--json] [--repeat N] [WORKLOAD...]     (W1 W2 W3 W4 W5 W6 W7 W8 W9 WS; default all but WS)
// Each workload reports kiln's time, the baseline's, and ratio = baseline /
// kiln (higher is better). Times are medians of N rounds that alternate kiln's
// work and the baseline's.
#include "handwritten.hpp"

#include "common/logistic_regression.hpp"
#include "common/mnist_training.hpp"

#include <kiln/kiln.hpp>

#include "../../engine/compile/backends.hpp"
#include "../../kernels/blas.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

using namespace kiln;

namespace {

struct Result {
    std::string name;
    double kiln_s = 0;
    std::string baseline;
    double baseline_s = 0;
    double gbps = 0; // kiln's, where it applies
    std::string note;
};

int repeats = 7;

double seconds_of(const std::function<void()>& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// Medians of the seconds `kiln_sample` and `baseline_sample` report over
// `rounds` rounds that alternate which of the two goes first.
std::pair<double, double> alternating_sample_medians(int rounds, const std::function<double()>& kiln_sample,
                                                     const std::function<double()>& baseline_sample) {
    std::vector<double> kiln_times, baseline_times;
    for (int round = 0; round < rounds; ++round) {
        if (round % 2 == 0) kiln_times.push_back(kiln_sample());
        baseline_times.push_back(baseline_sample());
        if (round % 2 == 1) kiln_times.push_back(kiln_sample());
    }
    return {median(kiln_times), median(baseline_times)};
}

// Median times of kiln's and the baseline's work over `rounds` rounds that
// alternate which side goes first, so neither always runs right after the
// other's work (thread pools still awake, caches holding its data).
std::pair<double, double> alternating_medians(int rounds, const std::function<void()>& kiln_work,
                                              const std::function<void()>& baseline_work) {
    return alternating_sample_medians(
        rounds, [&] { return seconds_of(kiln_work); }, [&] { return seconds_of(baseline_work); });
}

// Sets r's two times: medians of `repeats` alternating rounds.
void time_both(Result& r, const std::function<void()>& kiln_work, const std::function<void()>& baseline_work) {
    std::tie(r.kiln_s, r.baseline_s) = alternating_medians(repeats, kiln_work, baseline_work);
}

template <class T> std::vector<T> random_values(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> d(-2, 2);
    std::vector<T> v(n);
    for (T& x : v) x = static_cast<T>(d(rng));
    return v;
}

// How W1's loops store: as kiln decides by default (by size, and only for
// loops that call no math function), or forced to streaming or ordinary
// stores ("always" compiles the variant before the first call, so every
// timed call uses it).
enum class Stores { by_default, streaming, ordinary };
struct StoresSetting {
    const char* config;
    const char* label;
};
StoresSetting stores_setting(Stores stores) {
    switch (stores) {
    case Stores::streaming: return {"always", ", streaming stores"};
    case Stores::ordinary: return {"never", ", ordinary stores"};
    default: return {"auto", ""};
    }
}

template <class T> Result fused_chain(std::string name, Stores stores) {
    const ConfigOverride setting{{"streaming_stores", stores_setting(stores).config}};
    name += stores_setting(stores).label;
    const std::int64_t n = std::int64_t{1} << 24;
    const DType dtype = dtype_of<T>();
    const Var a = tensor(dtype, {false}, "a"), b = tensor(dtype, {false}, "b"), c = tensor(dtype, {false}, "c");
    const Function f = compile({a, b, c}, 1 / (1 + exp(-(a * b + c))));
    const Array A = Array::from_values(random_values<T>(n, 1)), B = Array::from_values(random_values<T>(n, 2)),
                C = Array::from_values(random_values<T>(n, 3));
    std::vector<T> out(n);
    Result r{name};
    r.baseline = "hand-written loop (-O3 -march=native -ffast-math, all cores)";
    time_both(
        r, [&] { f(A, B, C); },
        [&] { bench::sigmoid_chain(A.data_as<T>(), B.data_as<T>(), C.data_as<T>(), out.data(), n); });
    r.gbps = 4.0 * n * sizeof(T) / r.kiln_s / 1e9;
    r.note = "kernels: " + std::to_string(f.kernels().size());
    return r;
}

Result stream_triad(Stores stores) {
    const ConfigOverride setting{{"streaming_stores", stores_setting(stores).config}};
    const std::int64_t n = std::int64_t{1} << 24;
    const auto a = random_values<double>(n, 4), b = random_values<double>(n, 5);
    std::vector<double> out(n);
    Result r{std::string("STREAM triad f64 2^24") + stores_setting(stores).label};
    r.baseline = "hand-written triad (all cores)";
    const Var x = dvector("x"), y = dvector("y");
    const Function f = compile({x, y}, x + 3.0 * y);
    const Array X = Array::from_values(a), Y = Array::from_values(b);
    time_both(
        r, [&] { f(X, Y); }, [&] { bench::triad(a.data(), b.data(), 3.0, out.data(), n); });
    r.gbps = 3.0 * n * sizeof(double) / r.kiln_s / 1e9;
    r.note = "baseline " + std::to_string(3.0 * n * sizeof(double) / r.baseline_s / 1e9).substr(0, 5) + " GB/s";
    return r;
}

// Where streaming stores start to pay: `x + 3*y` writing 2^k float64,
// then `sum` of the result (which reads it from the cache when it was
// written with ordinary stores and fits there). kiln_s: streaming stores;
// baseline_s: ordinary stores, in alternating calls.
std::vector<Result> streaming_sweep() {
    const Var x = dvector("x"), y = dvector("y"), o = dvector("o");
    const Function triad = compile({x, y}, x + 3.0 * y);
    const Function total = compile({o}, sum(o));
    std::vector<Result> results;
    for (int log_size = 18; log_size <= 24; ++log_size) {
        const std::int64_t n = std::int64_t{1} << log_size;
        const Array X = Array::from_values(random_values<double>(n, 7)), Y = Array::from_values(random_values<double>(n, 8));
        auto work = [&](const char* setting) {
            return [&, setting] {
                const ConfigOverride streaming{{"streaming_stores", setting}};
                total(triad(X, Y)[0]);
            };
        };
        // Enough calls for the small sizes to time more than noise.
        const int rounds = std::max(5, static_cast<int>((std::int64_t{1} << 26) >> log_size)) * repeats / 7;
        const auto [streamed, ordinary] = alternating_medians(rounds, work("always"), work("never"));
        Result r{"streaming sweep 2^" + std::to_string(log_size) + " (" + std::to_string(n * 8 >> 20) +
                 " MiB) triad + sum"};
        r.kiln_s = streamed;
        r.baseline = "the same with ordinary stores";
        r.baseline_s = ordinary;
        r.note = "default threshold: " + std::to_string(streaming_store_min_bytes() >> 20) + " MiB";
        results.push_back(r);
    }
    return results;
}

// W2: four reductions of a 4096 x 4096 matrix.
template <class T> std::vector<Result> reductions(const char* dtype_label) {
    const std::int64_t rows = 4096, cols = 4096;
    const DType dtype = dtype_of<T>();
    const Var x = tensor(dtype, {false, false}, "x");
    const Array X = Array::from_values(random_values<T>(rows * cols, 6), {rows, cols});
    const T* data = X.data_as<T>();
    std::vector<T> out(static_cast<std::size_t>(std::max(rows, cols)));
    double checksum = 0;
    struct Case {
        const char* name;
        Var graph;
        std::function<void()> baseline;
    };
    const Case cases[] = {
        {"sum all", sum(x), [&] { checksum += bench::sum_all(data, rows, cols); }},
        {"sum axis 0", sum(x, 0), [&] { bench::sum_columns(data, rows, cols, out.data()); }},
        {"sum axis 1", sum(x, 1), [&] { bench::sum_rows(data, rows, cols, out.data()); }},
        {"max axis 1", max(x, 1), [&] { bench::max_rows(data, rows, cols, out.data()); }},
    };
    std::vector<Result> results;
    for (const Case& c : cases) {
        const Function f = compile({x}, c.graph);
        Result r{std::string("W2 ") + c.name + " " + dtype_label + " 4096x4096"};
        r.baseline = "hand-written loop (-O3 -march=native -ffast-math, all cores)";
        time_both(
            r, [&] { f(X); }, c.baseline);
        r.gbps = static_cast<double>(rows * cols * sizeof(T)) / r.kiln_s / 1e9;
        r.note = "kernels: " + std::to_string(f.kernels().size()) + "; checksum " + std::to_string(checksum);
        results.push_back(r);
    }
    return results;
}

// W3: row softmax of 4096 x 1000, and the mean NLL of labels under log-softmax.
std::vector<Result> softmax_workloads() {
    const std::int64_t rows = 4096, cols = 1000;
    const Var x = dmatrix("x");
    const Var labels = lvector("labels");
    const Array X = Array::from_values(random_values<double>(rows * cols, 7), {rows, cols});
    std::vector<std::int64_t> label_values(rows);
    std::mt19937 rng(8);
    for (auto& label : label_values) label = static_cast<std::int64_t>(rng() % cols);
    const Array Labels = Array::from_values(label_values);
    std::vector<double> out(static_cast<std::size_t>(rows * cols));
    std::vector<Result> results;

    const Function f = compile({x}, softmax(x));
    Result r{"W3 row softmax f64 4096x1000"};
    r.baseline = "hand-written rows: max, exp and sum, scale (-O3 -march=native -ffast-math, all cores)";
    time_both(
        r, [&] { f(X); }, [&] { bench::softmax_rows(X.data_as<double>(), rows, cols, out.data()); });
    r.gbps = 2.0 * static_cast<double>(rows * cols * sizeof(double)) / r.kiln_s / 1e9;
    r.note = "kernels: " + std::to_string(f.kernels().size());
    results.push_back(r);

    const Var log_probabilities = log_softmax(x);
    const Var nll = -mean(log_probabilities[{arange(shape_i(labels, 0)), labels}]);
    const Function g = compile({x, labels}, nll);
    Result n{"W3 log-softmax + NLL f64 4096x1000"};
    double kiln_loss = 0, hand_loss = 0;
    n.baseline = "hand-written rows: max, log-sum-exp, picked label (-O3 -march=native -ffast-math, all cores)";
    time_both(
        n, [&] { kiln_loss = g(X, Labels)[0].value_at<double>(0); },
        [&] { hand_loss = bench::softmax_nll(X.data_as<double>(), label_values.data(), rows, cols); });
    n.gbps = static_cast<double>(rows * cols * sizeof(double)) / n.kiln_s / 1e9;
    const std::string steps = g.steps_text();
    n.note = "kernels: " + std::to_string(g.kernels().size()) + ", steps: " +
             std::to_string(std::count(steps.begin(), steps.end(), '\n')) +
             "; |loss_kiln - loss_hand| " + std::to_string(std::abs(kiln_loss - hand_loss));
    results.push_back(n);
    return results;
}

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

Result call_overhead() {
    const Var x = dscalar("x"), y = dscalar("y");
    const Function f = compile({x, y}, x + y);
    const int calls = 1000000;
    Result r{"W5 call overhead f(x, y) = x + y"};
    double sink = 0;
    r.baseline = "C++ function-pointer call";
    time_both(
        r,
        [&] {
            for (int i = 0; i < calls; ++i) sink += f(1.0, 2.0)[0].value_at<double>(0);
        },
        [&] {
            for (int i = 0; i < calls; ++i) sink += bench::add_pointer(1.0, 2.0);
        });
    r.kiln_s /= calls;
    r.baseline_s /= calls;
    r.note = "per call; checksum " + std::to_string(sink);
    return r;
}

// Starts the JIT backend (LLVM's set-up) before anything is timed: W6 is
// about the training function's kernels.
void start_backend() {
    const Var warm = dscalar("warm");
    compile({warm}, warm * 2.0);
}

Result compile_latency() {
    // Cold means compiled: kernels an earlier run left on disk would load instead.
    const ConfigOverride cold{{"disk_cache", "off"}};
    start_backend();
    SharedVar w = shared(Array::zeros(DType::float64, {784}), "w");
    SharedVar b = shared(0.0, "b");
    Result r{"W6 compile latency (W4 train function)"};
    const auto before = configured_backend().counters();
    r.baseline_s = seconds_of([&] { logistic_train(w, b); });
    const auto middle = configured_backend().counters();
    r.kiln_s = seconds_of([&] { logistic_train(w, b); });
    r.baseline = "cold compile (kiln_s: the same compile() again, kernels cached)";
    r.note = std::to_string(middle.compiled - before.compiled) + " kernels compiled cold";
    return r;
}

// What a child process started with --compile-train-once does: the W4
// training function compiled in a process of its own; prints the seconds.
int compile_train_once() {
    start_backend();
    SharedVar w = shared(Array::zeros(DType::float64, {784}), "w");
    SharedVar b = shared(0.0, "b");
    std::printf("%.9g\n", seconds_of([&] { logistic_train(w, b); }));
    return 0;
}

// Seconds a child process took to compile the W4 training function, with
// the environment settings in `env` ("NAME=value ...").
double child_compile_seconds(const std::string& env) {
    const std::string command = env + " " + std::filesystem::read_symlink("/proc/self/exe").string() +
                                " --compile-train-once";
    FILE* child = ::popen(command.c_str(), "r");
    if (!child) throw std::runtime_error("cannot start " + command);
    double seconds = -1;
    if (std::fscanf(child, "%lf", &seconds) != 1) seconds = -1;
    if (::pclose(child) != 0 || seconds < 0) throw std::runtime_error(command + " failed");
    return seconds;
}

// W7: a new process compiling the W4 training function with a warm on-disk
// kernel cache (its graph and kernels stored there), against compiling it.
// The cache folder is the benchmark's own, filled by a first child.
Result warm_start() {
    char folder[] = "/tmp/kiln-bench-cache-XXXXXX";
    if (!::mkdtemp(folder)) throw std::runtime_error("cannot make a temporary folder");
    const std::string on = std::string("KILN_CACHE=on KILN_CACHE_DIR=") + folder;
    child_compile_seconds(on); // fills the cache
    Result r{"W7 compile in a new process, warm disk cache"};
    // Each child reports compile()'s own time, not the process's.
    std::tie(r.kiln_s, r.baseline_s) = alternating_sample_medians(
        repeats, [&] { return child_compile_seconds(on); }, [&] { return child_compile_seconds("KILN_CACHE=off"); });
    r.baseline = "the same compile in a new process with KILN_CACHE=off";
    r.note = "compile() alone, timed inside each process";
    std::filesystem::remove_all(folder);
    return r;
}

// Seconds in the unit that suits them: "13.4 ms", "131 ns".
std::string duration_text(double seconds) {
    const char* units[] = {"s", "ms", "us", "ns"};
    int unit = 0;
    while (unit < 3 && seconds != 0 && seconds < 1) {
        seconds *= 1000;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.4g %s", seconds, units[unit]);
    return text;
}

void print(const Result& r, bool json) {
    const double ratio = r.kiln_s > 0 ? r.baseline_s / r.kiln_s : 0;
    if (json) {
        std::printf("{\"name\": \"%s\", \"kiln_s\": %.9g, \"baseline\": \"%s\", \"baseline_s\": %.9g, \"ratio\": %.4g",
                    r.name.c_str(), r.kiln_s, r.baseline.c_str(), r.baseline_s, ratio);
        if (r.gbps > 0) std::printf(", \"gbps\": %.4g", r.gbps);
        std::printf(", \"note\": \"%s\"}\n", r.note.c_str());
    } else {
        std::printf("%-44s kiln %11s  baseline %11s  ratio %6.3f", r.name.c_str(), duration_text(r.kiln_s).c_str(),
                    duration_text(r.baseline_s).c_str(), ratio);
        if (r.gbps > 0) std::printf("  %.1f GB/s", r.gbps);
        std::printf("\n    baseline: %s; %s\n", r.baseline.c_str(), r.note.c_str());
    }
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    bool json = false;
    int steps = 10000;
    std::vector<std::string> selected;
    if (argc == 2 && std::string(argv[1]) == "--compile-train-once") return compile_train_once();
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--json") json = true;
        else if (arg == "--repeat" && i + 1 < argc) repeats = std::max(1, std::atoi(argv[++i]));
        else if (arg == "--steps" && i + 1 < argc) steps = std::max(1, std::atoi(argv[++i]));
        else if (arg == "--help" || arg == "-h") {
            std::printf("usage: kiln-bench [--json] [--repeat N] [--steps N] [W1 W2 W3 W4 W5 W6 W7 W8 W9 ...]\n"
                        "  W1  fused 1/(1+exp(-(a*b+c))) on 2^24 float64 and float32, and a STREAM triad, with\n"
                        "      kiln's default stores, then streaming stores and ordinary ones forced\n"
                        "  WS  streaming stores against ordinary ones for x + 3*y then sum, 2^18..2^24 float64\n"
                        "      (not in the default set)\n"
                        "  W2  sum over all, along axis 0 and 1, max along axis 1 of 4096x4096 f64 and f32\n"
                        "  W3  row softmax and log-softmax + NLL of integer labels on 4096x1000 f64\n"
                        "  W4  the tutorial's logistic regression (N=400, feats=784), --steps steps (10000)\n"
                        "  W5  call overhead of f(x, y) = x + y on two scalars\n"
                        "  W6  compile latency of the W4 training function, cold and cached in memory\n"
                        "  W7  compile() of the W4 training function in a new process with a warm on-disk cache,\n"
                        "      against the same in a new process with the disk cache off\n"
                        "  W8  gather rows and scatter-add their gradient, gather elements, join columns\n"
                        "  W9  an epoch of the softmax_regression example (Fashion-MNIST when installed), f64 and f32\n"
                        "ratio = baseline_s / kiln_s: higher is better for kiln\n");
            return 0;
        } else selected.push_back(arg);
    }
    auto wanted = [&](const char* name) {
        return selected.empty() || std::find(selected.begin(), selected.end(), name) != selected.end();
    };
    if (!json)
        std::printf("kiln-bench on %u hardware threads; %s\n", std::thread::hardware_concurrency(),
                    configured_backend().target_description().substr(0, 60).c_str());
    try {
        if (wanted("W6")) print(compile_latency(), json);
        if (wanted("W7")) print(warm_start(), json);
        if (wanted("W1")) {
            for (Stores stores : {Stores::by_default, Stores::streaming, Stores::ordinary}) {
                print(fused_chain<double>("W1 fused sigmoid chain f64 2^24", stores), json);
                print(fused_chain<float>("W1 fused sigmoid chain f32 2^24", stores), json);
                print(stream_triad(stores), json);
            }
        }
        if (!selected.empty() && wanted("WS"))
            for (const Result& r : streaming_sweep()) print(r, json);
        if (wanted("W2")) {
            for (const Result& r : reductions<double>("f64")) print(r, json);
            for (const Result& r : reductions<float>("f32")) print(r, json);
        }
        if (wanted("W3"))
            for (const Result& r : softmax_workloads()) print(r, json);
        if (wanted("W5")) print(call_overhead(), json);
        if (wanted("W4")) print(logistic_regression(steps), json);
        if (wanted("W8"))
            for (const Result& r : indexing_workloads()) print(r, json);
        if (wanted("W9")) {
            print(softmax_regression_epoch<double>("f64"), json);
            print(softmax_regression_epoch<float>("f32"), json);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
