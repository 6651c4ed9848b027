// W5, W6 and W7: what a call costs beyond its work, and what compile() costs
// cold, cached in memory, and in a new process with a warm disk cache.
#include "handwritten.hpp"
#include "workloads.hpp"

#include "../../engine/compile/backends.hpp"

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <tuple>

namespace kiln::bench {

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

namespace {

// Starts the JIT backend (LLVM's set-up) before anything is timed: W6 is
// about the training function's kernels.
void start_backend() {
    const Var warm = dscalar("warm");
    compile({warm}, warm * 2.0);
}

} // namespace

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

namespace {

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

} // namespace

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
} // namespace kiln::bench
