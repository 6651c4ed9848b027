// kiln-bench: kiln's speed against baselines measured in the same run.
//   kiln-bench [--json] [--repeat N] [WORKLOAD...]     (W1 ... W10, WS; default all but WS)
// Each workload reports kiln's time, the baseline's, and ratio = baseline /
// kiln (higher is better). Times are medians of N rounds that alternate kiln's
// work and the baseline's.
#include "workloads.hpp"

#include "../../engine/compile/backends.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

using namespace kiln;
using namespace kiln::bench;

int main(int argc, char** argv) {
    bool json = false;
    int steps = 10000;
    std::vector<std::string> selected;
    if (argc == 2 && std::string(argv[1]) == "--compile-train-once") return compile_train_once();
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--json") json = true;
        else if (arg == "--repeat" && i + 1 < argc) bench::repeats = std::max(1, std::atoi(argv[++i]));
        else if (arg == "--steps" && i + 1 < argc) steps = std::max(1, std::atoi(argv[++i]));
        else if (arg == "--help" || arg == "-h") {
            std::printf("usage: kiln-bench [--json] [--repeat N] [--steps N] [W1 W2 W3 W4 W5 W6 W7 W8 W9 W10 ...]\n"
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
                        "  W10 one function called from every hardware thread against the same calls on one thread:\n"
                        "      reading a shared variable (side by side), then updating it (one at a time)\n"
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
        if (wanted("W6")) print_result(compile_latency(), json);
        if (wanted("W7")) print_result(warm_start(), json);
        if (wanted("W1"))
            for (const Result& r : fused_loop_workloads()) print_result(r, json);
        if (!selected.empty() && wanted("WS"))
            for (const Result& r : streaming_sweep()) print_result(r, json);
        if (wanted("W2"))
            for (const Result& r : reduction_workloads()) print_result(r, json);
        if (wanted("W3"))
            for (const Result& r : softmax_workloads()) print_result(r, json);
        if (wanted("W5")) print_result(call_overhead(), json);
        if (wanted("W4")) print_result(logistic_regression(steps), json);
        if (wanted("W8"))
            for (const Result& r : indexing_workloads()) print_result(r, json);
        if (wanted("W9"))
            for (const Result& r : softmax_regression_epochs()) print_result(r, json);
        if (wanted("W10"))
            for (const Result& r : concurrent_call_workloads()) print_result(r, json);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
