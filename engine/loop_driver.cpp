#include "loop_driver.hpp"

#include <array>

namespace kiln {

namespace {

// Small fixed-capacity lists keep the per-call path free of allocation for
// the common ranks and buffer counts.
constexpr std::size_t inline_buffers = 16;

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

    std::vector<std::int64_t> index(rank, 0);
    std::int64_t outer_runs = 1;
    for (std::size_t d = 0; d + 1 < rank; ++d) outer_runs *= dims.extents[d];
    for (std::int64_t run = 0; run < outer_runs; ++run) {
        for (std::size_t b = 0; b < count; ++b) {
            std::int64_t offset = 0;
            for (std::size_t d = 0; d + 1 < rank; ++d) offset += index[d] * dims.strides[b][d];
            pointers[b] = buffers[b].data + offset * buffers[b].element_size;
        }
        std::int32_t run_status = 0;
        loop(inner, pointers, inner_strides, params, &run_status);
        if (run_status != 0 && status == 0) status = run_status;
        for (std::size_t d = rank - 1; d-- > 0;) {
            if (++index[d] < dims.extents[d]) break;
            index[d] = 0;
        }
    }
    return status;
}

} // namespace kiln
