// W1, WS, W2 and W3: fused elementwise loops, streaming stores, reductions
// and row softmax against hand-written loops.
#include "handwritten.hpp"
#include "workloads.hpp"

#include "../../engine/compile/backends.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace kiln::bench {

namespace {

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

} // namespace

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

namespace {

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

} // namespace

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
std::vector<Result> fused_loop_workloads() {
    std::vector<Result> results;
    for (Stores stores : {Stores::by_default, Stores::streaming, Stores::ordinary}) {
        results.push_back(fused_chain<double>("W1 fused sigmoid chain f64 2^24", stores));
        results.push_back(fused_chain<float>("W1 fused sigmoid chain f32 2^24", stores));
        results.push_back(stream_triad(stores));
    }
    return results;
}

std::vector<Result> reduction_workloads() {
    std::vector<Result> results = reductions<double>("f64");
    for (Result& r : reductions<float>("f32")) results.push_back(std::move(r));
    return results;
}

} // namespace kiln::bench
