// W10: one function called from every hardware thread at once, against the
// same calls on one thread: calls that only read shared variables run side
// by side; calls that update one serialize (they hold it exclusively). Each
// loop runs on its caller's thread here, so the ratio is the callers' own
// parallelism.
#include "workloads.hpp"

#include <tbb/global_control.h>

#include <algorithm>
#include <barrier>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace kiln::bench {

namespace {

// Seconds for `threads` threads to make `calls` calls of f each, started together.
double calls_on_threads(const Function& f, const Array& x, int threads, int calls) {
    std::barrier start(threads + 1);
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t)
        running.emplace_back([&] {
            start.arrive_and_wait();
            for (int call = 0; call < calls; ++call) f(x);
        });
    return seconds_of([&] {
        start.arrive_and_wait();
        for (std::thread& thread : running) thread.join();
    });
}

Result concurrent_calls(const char* name, const Function& f, const Array& x) {
    const int threads = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
    const int calls = 2000;
    Result r{name};
    std::tie(r.kiln_s, r.baseline_s) = alternating_sample_medians(
        repeats, [&] { return calls_on_threads(f, x, threads, calls); },
        [&] { return calls_on_threads(f, x, 1, threads * calls); });
    r.baseline = "the same " + std::to_string(threads * calls) + " calls on one thread";
    r.note = std::to_string(threads) + " threads x " + std::to_string(calls) + " calls; ratio " +
             std::to_string(threads) + " is perfect scaling";
    return r;
}

} // namespace

std::vector<Result> concurrent_call_workloads() {
    // Loops stay on their caller's thread: otherwise one caller's loop
    // already fills every core, and this would time TBB, not the calls.
    const tbb::global_control one_thread_per_loop(tbb::global_control::max_allowed_parallelism, 1);
    const std::int64_t n = 4096;
    const SharedVar w = shared(Array::full(DType::float64, {n}, 0.001), "w");
    const Var x = dvector("x");
    const Array values = Array::full(DType::float64, {n}, 0.5);
    const Function read_only = compile({x}, sum(exp(x * w)));
    const Function updating = compile({x}, sum(exp(x * w)), {.updates = {{w, w * 1.0000001}}});
    return {concurrent_calls("W10 calls reading a shared variable, all threads", read_only, values),
            concurrent_calls("W10 calls updating a shared variable, all threads", updating, values)};
}

} // namespace kiln::bench
