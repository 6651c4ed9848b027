// kiln-bench's workloads, each timing kiln against a baseline measured in
// the same run (ratio = baseline_s / kiln_s: higher is better for kiln).
#pragma once

#include "harness.hpp"

#include <kiln/kiln.hpp>

#include <vector>

namespace kiln::bench {

/// W1: fused 1/(1+exp(-(a*b+c))) on 2^24 float64 and float32, and a STREAM
/// triad, with kiln's default stores, then streaming and ordinary ones forced.
std::vector<Result> fused_loop_workloads();
/// WS: streaming stores against ordinary ones for x + 3*y then sum.
std::vector<Result> streaming_sweep();
/// W2: four reductions of a 4096 x 4096 matrix, float64 and float32.
std::vector<Result> reduction_workloads();
/// W3: row softmax, and the mean NLL of labels under log-softmax.
std::vector<Result> softmax_workloads();
/// W4: the tutorial's logistic regression, `steps` training steps.
Result logistic_regression(int steps);
/// W5: the overhead of one call of f(x, y) = x + y on two scalars.
Result call_overhead();
/// W6: compile() of the W4 training function, cold and cached in memory.
Result compile_latency();
/// W7: the same compile() in a new process with a warm disk cache.
Result warm_start();
/// W8: gathering rows and scattering their gradient, gathering elements,
/// joining columns.
std::vector<Result> indexing_workloads();
/// W9: an epoch of the softmax_regression example, float64 and float32.
std::vector<Result> softmax_regression_epochs();
/// W10: one function called from every hardware thread against the same
/// calls on one thread, reading a shared variable, then updating it.
std::vector<Result> concurrent_call_workloads();

/// The W4 training function, compiled for shared `w` and `b`.
Function logistic_train(SharedVar& w, SharedVar& b);
/// What a child process started with --compile-train-once does (W7).
int compile_train_once();

} // namespace kiln::bench
