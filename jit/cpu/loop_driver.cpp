#include "loop_driver.hpp"

#include "../../kernels/parallel.hpp"
#include "../../kernels/runs.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <atomic>

namespace kiln::jit {

namespace {

// Small fixed-capacity lists keep the per-call path free of allocation for
// the common buffer counts.
constexpr std::size_t inline_buffers = 16;

using kernels::parallel_grain;
using kernels::parallel_threshold;
// A reduction to few output elements splits into this many partial results
// at most, whatever the thread count, so its rounding is always the same.
constexpr std::int64_t max_partials = 64;

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

// One value per buffer, held inline for the common buffer counts so the
// per-call path does not allocate.
template <class T> class PerBuffer {
public:
    explicit PerBuffer(std::size_t count) : heap_(count > inline_buffers ? count : 0) {}
    T* data() { return heap_.empty() ? inline_.data() : heap_.data(); }
    const T* data() const { return heap_.empty() ? inline_.data() : heap_.data(); }
    T& operator[](std::size_t i) { return data()[i]; }
    const T& operator[](std::size_t i) const { return data()[i]; }

private:
    std::array<T, inline_buffers> inline_; // written before it is read
    std::vector<T> heap_;
};

// Where each buffer starts.
PerBuffer<std::byte*> bases_of(const std::vector<LoopBuffer>& buffers) {
    PerBuffer<std::byte*> bases(buffers.size());
    for (std::size_t b = 0; b < buffers.size(); ++b) bases[b] = buffers[b].data;
    return bases;
}

// The extents of a nest, one of them possibly narrowed to a task's share.
struct Extents {
    const std::vector<std::int64_t>& full;
    int narrowed;
    std::int64_t narrowed_extent;
    std::size_t size() const { return full.size(); }
    std::int64_t operator[](std::size_t d) const {
        return static_cast<int>(d) == narrowed ? narrowed_extent : full[d];
    }
};

// The collapsed iteration space and how to walk part of it.
class Nest {
public:
    Nest(LoopFunction loop, Dims dims, const std::vector<LoopBuffer>& buffers, const std::uint64_t* params)
        : loop_(loop), dims_(std::move(dims)), buffers_(buffers), params_(params), inner_strides_(buffers.size()) {
        for (std::size_t b = 0; b < buffers.size(); ++b) inner_strides_[b] = dims_.strides[b].back();
    }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

    std::int64_t rank() const { return static_cast<std::int64_t>(dims_.extents.size()); }
    std::int64_t extent(std::size_t d) const { return dims_.extents[d]; }
    std::int64_t stride(std::size_t buffer, std::size_t d) const { return dims_.strides[buffer][d]; }
    std::int64_t total() const {
        std::int64_t total = 1;
        for (std::int64_t extent : dims_.extents) total *= extent;
        return total;
    }

    /// Positions [begin, end) in C order, as inner runs, with buffer b
    /// starting at bases[b]; a sub-nest restricted along dimension `narrowed`
    /// to `narrowed_extent` when it is given.
    void run(std::int64_t begin, std::int64_t end, std::byte* const* bases, int narrowed = -1,
             std::int64_t narrowed_extent = 0) {
        const std::size_t count = buffers_.size();
        const Extents extents{dims_.extents, narrowed, narrowed_extent};
        PerBuffer<void*> pointers(count);
        PerBuffer<std::int64_t> offsets(count);
        kernels::walk_runs(extents, dims_.strides, count, begin, end, offsets,
                           [&](const PerBuffer<std::int64_t>& at, std::int64_t length) {
                               for (std::size_t b = 0; b < count; ++b)
                                   pointers[b] = bases[b] + at[b] * buffers_[b].element_size;
                               std::int32_t run_status = 0;
                               call_loop(loop_, length, pointers.data(), inner_strides_.data(), params_, &run_status);
                               if (run_status != 0) {
                                   std::int32_t expected = 0;
                                   status_.compare_exchange_strong(expected, run_status);
                               }
                           });
    }

    std::int32_t status() const { return status_.load(); }

private:
    LoopFunction loop_;
    Dims dims_;
    const std::vector<LoopBuffer>& buffers_;
    const std::uint64_t* params_;
    PerBuffer<std::int64_t> inner_strides_;
    std::atomic<std::int32_t> status_{0};
};

// A reduction split by ranges of one kept (not reduced) dimension: each
// output element is reduced by one task in the serial order.
void run_by_output_ranges(Nest& nest, const std::vector<LoopBuffer>& buffers, std::size_t split, std::int64_t tasks) {
    const std::int64_t extent = nest.extent(split);
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, tasks, 1), [&](const tbb::blocked_range<std::int64_t>& range) {
        for (std::int64_t task = range.begin(); task < range.end(); ++task) {
            const std::int64_t lo = extent * task / tasks, hi = extent * (task + 1) / tasks;
            if (lo == hi) continue;
            PerBuffer<std::byte*> bases = bases_of(buffers);
            for (std::size_t b = 0; b < buffers.size(); ++b)
                bases[b] += lo * nest.stride(b, split) * buffers[b].element_size;
            const std::int64_t positions = nest.total() / extent * (hi - lo);
            nest.run(0, positions, bases.data(), static_cast<int>(split), hi - lo);
        }
    }, tbb::simple_partitioner());
}

// A reduction split into a fixed number of position ranges, each reduced
// into its own partial output; the partials join the output in order.
void run_by_partials(Nest& nest, const std::vector<LoopBuffer>& buffers, const LoopReduction& reduction,
                     std::int64_t parts) {
    const std::int64_t total = nest.total();
    std::vector<Array> partials(static_cast<std::size_t>(parts));
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, parts, 1), [&](const tbb::blocked_range<std::int64_t>& range) {
        for (std::int64_t part = range.begin(); part < range.end(); ++part) {
            Array& partial = partials[static_cast<std::size_t>(part)];
            partial = reduction_identity(reduction.kind, reduction.output->dtype(), reduction.output->shape());
            PerBuffer<std::byte*> bases = bases_of(buffers);
            bases[buffers.size() - 1] = partial.mutable_data();
            nest.run(total * part / parts, total * (part + 1) / parts, bases.data());
        }
    }, tbb::simple_partitioner());
    for (const Array& partial : partials) reduction_combine_into(reduction.kind, *reduction.output, partial);
}

} // namespace

std::int32_t run_loop(LoopFunction loop, const Shape& shape, const std::vector<LoopBuffer>& buffers,
                      const std::uint64_t* params, const LoopReduction* reduction, bool whole_rows) {
    if (shape.empty()) {
        PerBuffer<void*> pointers(buffers.size());
        for (std::size_t b = 0; b < buffers.size(); ++b) pointers[b] = buffers[b].data;
        return run_one_position(loop, {pointers.data(), buffers.size()}, params);
    }
    for (std::int64_t extent : shape)
        if (extent == 0) return 0;
    PerBuffer<std::byte*> base_list = bases_of(buffers);
    std::byte** bases = base_list.data();

    // A buffer the loop reads at its base along the inner run must really
    // be constant along the inner dimension chosen here.
    Dims dims = collapse(shape, buffers, whole_rows);
    if (!inner_fits(dims, buffers)) dims = collapse(shape, buffers, true);
    if (dims.extents.empty()) {
        dims.extents.push_back(1);
        for (auto& s : dims.strides) s.push_back(0);
    }
    Nest nest(loop, std::move(dims), buffers, params);
    const std::int64_t total = nest.total();
    if (total < parallel_threshold) {
        nest.run(0, total, bases);
        return nest.status();
    }
    if (whole_rows) {
        const std::int64_t row = nest.extent(static_cast<std::size_t>(nest.rank() - 1));
        const std::int64_t rows = total / row;
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, rows, std::max<std::int64_t>(1, parallel_grain / row)),
                          [&](const tbb::blocked_range<std::int64_t>& range) {
                              nest.run(range.begin() * row, range.end() * row, bases);
                          });
        return nest.status();
    }
    if (!reduction) {
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, total, parallel_grain),
                          [&](const tbb::blocked_range<std::int64_t>& range) { nest.run(range.begin(), range.end(), bases); });
        return nest.status();
    }
    // The kept dimension with the most output elements, if it has enough
    // to give every core a few ranges.
    const std::size_t output = buffers.size() - 1;
    const std::int64_t threads = tbb::this_task_arena::max_concurrency();
    std::size_t split = 0;
    std::int64_t widest = 0;
    for (std::size_t d = 0; d < static_cast<std::size_t>(nest.rank()); ++d)
        if (nest.stride(output, d) != 0 && nest.extent(d) > widest) {
            widest = nest.extent(d);
            split = d;
        }
    const std::int64_t pieces = std::max<std::int64_t>(total / parallel_grain, 1);
    if (widest >= 2 * threads) {
        run_by_output_ranges(nest, buffers, split, std::min({widest, pieces, 4 * threads}));
    } else {
        run_by_partials(nest, buffers, *reduction, std::min<std::int64_t>(pieces, max_partials));
    }
    return nest.status();
}

} // namespace kiln::jit
