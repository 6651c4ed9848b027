// Compiled functions, shared variables and compile() used from many threads
// at once: no update lost, no value seen half-written, one compile of each
// kernel.
#include "../test_helpers.hpp"

#include "jit/cpu/cpu_backend.hpp"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <set>
#include <thread>
#include <vector>

using namespace kiln;

namespace {

// Runs body(thread) on `threads` threads that start together.
template <class Body> void on_threads(int threads, Body body) {
    std::barrier start(threads);
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t)
        running.emplace_back([&, t] {
            start.arrive_and_wait();
            body(t);
        });
    for (std::thread& thread : running) thread.join();
}

} // namespace

TEST_CASE("the tutorial's accumulator called from many threads loses no update") {
    // state = shared(0); accumulator = function([inc], state, updates=[(state, state+inc)])
    const SharedVar state = shared(std::int64_t{0}, "state");
    const Var inc = iscalar("inc");
    const Function accumulator = compile({inc}, state, {.updates = {{state, state + inc}}});
    const int threads = 8, calls = 2000;
    std::vector<std::vector<std::int64_t>> seen(threads);
    on_threads(threads, [&](int t) {
        for (int call = 0; call < calls; ++call) seen[t].push_back(accumulator(1)[0].value_at<std::int64_t>(0));
    });
    CHECK(state.get_value().value_at<std::int64_t>(0) == threads * calls);
    // Each call saw the value the one before it left: every count from 0 once.
    std::vector<std::int64_t> all;
    for (const auto& values : seen) all.insert(all.end(), values.begin(), values.end());
    std::sort(all.begin(), all.end());
    std::vector<std::int64_t> expected(static_cast<std::size_t>(threads * calls));
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<std::int64_t>(i);
    CHECK(all == expected);
}

TEST_CASE("two functions updating one shared variable from different threads lose no update") {
    const SharedVar total = shared(std::int64_t{0}, "total");
    const Var n = iscalar("n");
    const Function add = compile({n}, std::vector<Var>{}, {.updates = {{total, total + n}}});
    const Function add_twice = compile({n}, std::vector<Var>{}, {.updates = {{total, total + 2 * n}}});
    const int threads = 6, calls = 1500;
    on_threads(threads, [&](int t) {
        for (int call = 0; call < calls; ++call) (t % 2 == 0 ? add : add_twice)(1);
    });
    CHECK(total.get_value().value_at<std::int64_t>(0) == (threads / 2) * calls * 3);
}

TEST_CASE("readers never see a shared vector half-updated: calls, get_value and set_value at once") {
    // Every element of w is equal after every commit; a reader that saw the
    // elements differ saw a value being written.
    const std::int64_t n = 1 << 16;
    const SharedVar w = shared(Array::zeros(DType::float64, {n}), "w");
    const Function step = compile({}, std::vector<Var>{}, {.updates = {{w, w + 1.0}}});
    const Function spread = compile({}, max(w) - min(w));
    std::atomic<int> torn{0};
    std::atomic<bool> writing{true};
    const int writers = 2, readers = 4, steps = 300;
    on_threads(writers + readers + 1, [&](int t) {
        if (t < writers) {
            for (int i = 0; i < steps; ++i) step();
        } else if (t == writers) {
            for (int i = 0; i < 50; ++i) w.set_value(Array::from_values(std::vector<double>(n, 1e6 + i)));
        } else {
            for (int i = 0; i < 100; ++i) {
                if (spread()[0].value_at<double>(0) != 0) ++torn;
                const std::vector<double> value = w.get_value().to_vector<double>();
                if (std::adjacent_find(value.begin(), value.end(), std::not_equal_to<>()) != value.end()) ++torn;
            }
        }
        if (t == 0) writing = false;
    });
    CHECK(torn == 0);
    const std::vector<double> last = w.get_value().to_vector<double>();
    CHECK(std::adjacent_find(last.begin(), last.end(), std::not_equal_to<>()) == last.end());
}

TEST_CASE("a function reading a shared variable another function updates sees whole values only") {
    // total = sum(w) must be n times one element, whatever commits meanwhile.
    const std::int64_t n = 4096;
    const SharedVar w = shared(Array::zeros(DType::int64, {n}), "w");
    const Function bump = compile({}, std::vector<Var>{}, {.updates = {{w, w + 1}}});
    const Function check = compile({}, std::vector<Var>{sum(w), w[0]});
    std::atomic<int> torn{0};
    on_threads(4, [&](int t) {
        for (int i = 0; i < 400; ++i) {
            if (t < 2) {
                bump();
            } else {
                const Outputs out = check();
                if (out[0].value_at<std::int64_t>(0) != n * out[1].value_at<std::int64_t>(0)) ++torn;
            }
        }
    });
    CHECK(torn == 0);
    CHECK(w.get_value().value_at<std::int64_t>(n - 1) == 800);
}

TEST_CASE("calls updating different shared variables in opposite orders never deadlock") {
    // f moves one unit from a to b, g from b to a; each reads both.
    const SharedVar a = shared(std::int64_t{1000}, "a"), b = shared(std::int64_t{1000}, "b");
    const Function f = compile({}, std::vector<Var>{}, {.updates = {{a, a - 1}, {b, b + 1}}});
    const Function g = compile({}, std::vector<Var>{}, {.updates = {{b, b - 1}, {a, a + 1}}});
    const Function total = compile({}, a + b);
    std::atomic<int> wrong{0};
    on_threads(6, [&](int t) {
        for (int i = 0; i < 500; ++i) {
            if (t % 3 == 0) f();
            else if (t % 3 == 1) g();
            else if (total()[0].value_at<std::int64_t>(0) != 2000) ++wrong;
        }
    });
    CHECK(wrong == 0);
    CHECK(a.get_value().value_at<std::int64_t>(0) == 1000);
    CHECK(b.get_value().value_at<std::int64_t>(0) == 1000);
}

TEST_CASE("compile() from many threads with the memory and disk caches on compiles each kernel once") {
    test::TempDir folder;
    const ConfigOverride on{{"disk_cache", "on"}, {"disk_cache_dir", folder.path.string()}};
    const Var x = dvector("x");
    // Constants no other test uses: kernels this process has not compiled.
    const std::vector<Var> graphs{exp(x) * 3.0625 + 1.0, tanh(x * 5.1875), sum(x * x * 0.6875),
                                  softmax(x * 2.4375)};
    const std::uint64_t compiled_before = jit::CpuBackend::instance().counters().compiled;
    const int threads = 8;
    std::vector<std::vector<Function>> made(threads);
    on_threads(threads, [&](int t) {
        for (std::size_t g = 0; g < graphs.size(); ++g)
            made[t].push_back(compile({x}, graphs[(g + static_cast<std::size_t>(t)) % graphs.size()]));
    });
    std::set<std::string> kernels;
    for (const Function& f : made[0])
        for (const Kernel* kernel : f.kernels()) kernels.insert(kernel->key().hex());
    CHECK(jit::CpuBackend::instance().counters().compiled - compiled_before == kernels.size());

    // Closed forms of the four graphs at these values.
    const std::vector<double> values{-1.5, 0.25, 2.0};
    std::vector<std::vector<double>> expected(graphs.size());
    double exp_sum = 0;
    for (double v : values) {
        expected[0].push_back(std::exp(v) * 3.0625 + 1.0);
        expected[1].push_back(std::tanh(v * 5.1875));
        exp_sum += std::exp(v * 2.4375);
    }
    expected[2].push_back(0.6875 * (1.5 * 1.5 + 0.25 * 0.25 + 2.0 * 2.0));
    for (double v : values) expected[3].push_back(std::exp(v * 2.4375) / exp_sum);
    for (int t = 0; t < threads; ++t)
        for (std::size_t g = 0; g < graphs.size(); ++g)
            test::check_close(made[t][g](values)[0], expected[(g + static_cast<std::size_t>(t)) % graphs.size()], 1e-14);
}
