#include "loop_driver.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <atomic>

namespace kiln {

namespace {

// Small fixed-capacity lists keep the per-call path free of allocation for
// the common buffer counts.
constexpr std::size_t inline_buffers = 16;

// Loops below this many positions run on the calling thread; larger ones are
// split across cores in pieces of at least parallel_grain positions (a
// thread hand-off costs microseconds; 32K doubles take ~10 us to stream).
constexpr std::int64_t parallel_threshold = std::int64_t{1} << 16;
constexpr std::int64_t parallel_grain = std::int64_t{1} << 15;

struct Dims {
    std::vector<std::int64_t> extents;
    std::vector<std::vector<std::int64_t>> strides; // [buffer][dim]
};

// Drops length-1 dimensions (keeping the last when `keep_last`), then merges
// neighbours that every buffer walks contiguously.
Dims collapse(const Shape& shape, const std::vector<LoopBuffer>& buffers, bool keep_last) {
    Dims dims;
    dims.strides.resize(buffers.size());
    const int rank = static_cast<int>(shape.size());
    for (int d = 0; d < rank; ++d) {
        const bool last = d == rank - 1;
        if (shape[d] == 1 && !(last && keep_last)) continue;
        const bool mergeable = !dims.extents.empty() && !(last && keep_last) && [&] {
            for (std::size_t b = 0; b < buffers.size(); ++b)
                if (dims.strides[b].back() != buffers[b].strides[d] * shape[d]) return false;
            return true;
        }();
        if (mergeable) {
            dims.extents.back() *= shape[d];
            for (std::size_t b = 0; b < buffers.size(); ++b) dims.strides[b].back() = buffers[b].strides[d];
        } else {
            dims.extents.push_back(shape[d]);
            for (std::size_t b = 0; b < buffers.size(); ++b) dims.strides[b].push_back(buffers[b].strides[d]);
        }
    }
    return dims;
}

bool inner_fits(const Dims& dims, const std::vector<LoopBuffer>& buffers) {
    if (dims.extents.empty()) return true;
    for (std::size_t b = 0; b < buffers.size(); ++b)
        if (buffers[b].broadcast_inner && dims.strides[b].back() != 0) return false;
    return true;
}

} // namespace

std::int32_t run_loop(LoopFunction loop, const Shape& shape, const std::vector<LoopBuffer>& buffers,
                      const std::uint64_t* params) {
    for (std::int64_t extent : shape)
        if (extent == 0) return 0;
    const std::size_t count = buffers.size();
    std::array<void*, inline_buffers> inline_pointers{};
    std::array<std::int64_t, inline_buffers> inline_strides{};
    std::vector<void*> heap_pointers;
    std::vector<std::int64_t> heap_strides;
    void** pointers = inline_pointers.data();
    std::int64_t* inner_strides = inline_strides.data();
    if (count > inline_buffers) {
        heap_pointers.resize(count);
        heap_strides.resize(count);
        pointers = heap_pointers.data();
        inner_strides = heap_strides.data();
    }
    std::int32_t status = 0;

    if (shape.empty()) {
        for (std::size_t b = 0; b < count; ++b) {
            pointers[b] = buffers[b].data;
            inner_strides[b] = 0;
        }
        loop(1, pointers, inner_strides, params, &status);
        return status;
    }

    // A buffer the loop reads at its base along the inner run must really
    // be constant along the inner dimension chosen here.
    Dims dims = collapse(shape, buffers, false);
    if (!inner_fits(dims, buffers)) dims = collapse(shape, buffers, true);
    if (dims.extents.empty()) {
        dims.extents.push_back(1);
        for (auto& s : dims.strides) s.push_back(0);
    }
    const std::size_t rank = dims.extents.size();
    const std::int64_t inner = dims.extents.back();
    for (std::size_t b = 0; b < count; ++b) inner_strides[b] = dims.strides[b].back();
    std::int64_t total = inner;
    for (std::size_t d = 0; d + 1 < rank; ++d) total *= dims.extents[d];

    // Positions [begin, end) of the iteration space in C order, as inner runs.
    std::atomic<std::int32_t> first_status{0};
    auto process = [&](std::int64_t begin, std::int64_t end, void** run_pointers) {
        std::int64_t position = begin;
        while (position < end) {
            std::int64_t run = position / inner;
            const std::int64_t start = position % inner;
            const std::int64_t length = std::min(inner - start, end - position);
            for (std::size_t b = 0; b < count; ++b) {
                std::int64_t offset = start * dims.strides[b].back();
                std::int64_t rest = run;
                for (std::size_t d = rank - 1; d-- > 0;) {
                    offset += (rest % dims.extents[d]) * dims.strides[b][d];
                    rest /= dims.extents[d];
                }
                run_pointers[b] = buffers[b].data + offset * buffers[b].element_size;
            }
            std::int32_t run_status = 0;
            loop(length, run_pointers, inner_strides, params, &run_status);
            if (run_status != 0) {
                std::int32_t expected = 0;
                first_status.compare_exchange_strong(expected, run_status);
            }
            position += length;
        }
    };
    if (total < parallel_threshold) {
        process(0, total, pointers);
    } else {
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, total, parallel_grain),
                          [&](const tbb::blocked_range<std::int64_t>& range) {
                              std::array<void*, inline_buffers> local_inline{};
                              std::vector<void*> local_heap;
                              void** local = local_inline.data();
                              if (count > inline_buffers) {
                                  local_heap.resize(count);
                                  local = local_heap.data();
                              }
                              process(range.begin(), range.end(), local);
                          });
    }
    status = first_status.load();
    return status;
}

} // namespace kiln
