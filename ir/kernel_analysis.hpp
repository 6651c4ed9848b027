// Questions about a kernel that the executor and the backends ask when
// deciding how to run it: whether it may stream its stores, whether it is
// bound by computing, whether it can stop half-way.
#pragma once

#include "kernel.hpp"

namespace kiln {

/// Whether the kernel can be compiled as LoopVariant::streaming_stores: it
/// stores each output element once (no reduction, no row kernel), and its
/// outputs share one element size, so one first stretch aligns them all.
bool can_stream_stores(const Kernel& kernel);

/// Whether the kernel computes a float transcendental function (exp, log,
/// tanh, sigmoid, pow, ...): its loop is then bound by computing rather
/// than by memory (scalar_op_info(op).math_function).
bool calls_math_functions(const Kernel& kernel);

/// Whether the kernel's loop can report a non-zero status (an integer
/// division or a row index): one that cannot never stops half-way.
bool can_report_errors(const Kernel& kernel);

} // namespace kiln
