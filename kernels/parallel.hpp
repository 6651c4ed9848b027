// When work leaves the calling thread: loops and copies below
// parallel_threshold elements run where they are called; larger ones are
// split across cores in pieces of at least parallel_grain elements (a thread
// hand-off costs microseconds; 32K doubles take ~10 us to stream).
#pragma once

#include <cstdint>

namespace kiln::kernels {

constexpr std::int64_t parallel_threshold = std::int64_t{1} << 16;
constexpr std::int64_t parallel_grain = std::int64_t{1} << 15;

} // namespace kiln::kernels
