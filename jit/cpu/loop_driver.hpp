// The CPU backend's loop driver: runs a compiled loop over an n-dimensional
// iteration space. Merges dimensions that are contiguous for every buffer,
// then calls the loop once per inner run with per-buffer pointers and inner
// strides, splitting large spaces across cores.
#pragma once

#include "../backend.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace kiln::jit {

/// Runs `loop` at its one position (every value 0-d), buffer b at data[b];
/// returns the loop's status. Inline: it is most of a scalar call's loop step.
inline std::int32_t run_one_position(LoopFunction loop, std::span<void* const> data, const std::uint64_t* params) {
    // No dimensions to walk, and every stride zero.
    static constexpr std::array<std::int64_t, 16> zero_strides{};
    std::int32_t status = 0;
    if (data.size() <= zero_strides.size()) {
        call_loop(loop, 1, data.data(), zero_strides.data(), params, &status);
    } else {
        const std::vector<std::int64_t> strides(data.size(), 0);
        call_loop(loop, 1, data.data(), strides.data(), params, &status);
    }
    return status;
}

/// Calls `loop` for every position of `shape`; returns the first non-zero
/// status a call reported (0 when none did). A reduction splits across
/// cores so that its result never depends on the number of threads: by
/// ranges of output elements when there are enough of them, else into a
/// fixed number of partial results combined in order.
/// `whole_rows`: the loop is a row kernel, called once per whole row of the
/// innermost dimension (which is never merged with others or split).
std::int32_t run_loop(LoopFunction loop, const Shape& shape, const std::vector<LoopBuffer>& buffers,
                      const std::uint64_t* params, const LoopReduction* reduction = nullptr, bool whole_rows = false);

} // namespace kiln::jit
