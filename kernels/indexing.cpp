#include "indexing.hpp"

#include "parallel.hpp"
#include "runs.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace kiln::kernels {

namespace {

// A layout walked by N operands, with size-1 dimensions dropped and
// neighbouring dimensions merged wherever every operand steps evenly across
// them: a contiguous block becomes one run, so its copy is one memcpy.
template <std::size_t N> struct Merged {
    std::vector<std::int64_t> shape;
    std::array<std::vector<std::int64_t>, N> strides;

    Merged(Extents full_shape, const std::array<Extents, N>& full_strides) {
        for (std::size_t d = 0; d < full_shape.size(); ++d) {
            if (full_shape[d] == 1) continue;
            bool joins = !shape.empty();
            for (std::size_t k = 0; k < N && joins; ++k)
                joins = strides[k].back() == full_strides[k][d] * full_shape[d];
            if (joins) {
                shape.back() *= full_shape[d];
                for (std::size_t k = 0; k < N; ++k) strides[k].back() = full_strides[k][d];
                continue;
            }
            shape.push_back(full_shape[d]);
            for (std::size_t k = 0; k < N; ++k) strides[k].push_back(full_strides[k][d]);
        }
    }
    std::int64_t size() const {
        std::int64_t n = 1;
        for (std::int64_t e : shape) n *= e;
        return n;
    }
    std::int64_t inner_stride(std::size_t k) const { return shape.empty() ? 0 : strides[k].back(); }
};

// The C-order positions [begin, end) of m as runs, with each operand's offset.
template <std::size_t N, class F> void walk_merged(const Merged<N>& m, std::int64_t begin, std::int64_t end, F&& run) {
    std::array<std::int64_t, N> offsets{};
    walk_runs(m.shape, m.strides, N, begin, end, offsets, run);
}

// Calls body(begin, end) over [0, count), on the calling thread when the
// work (count items of `weight` elements each) is small, else across cores.
template <class F> void split(std::int64_t count, std::int64_t weight, F&& body) {
    weight = std::max<std::int64_t>(weight, 1);
    if (count <= 1 || count * weight < parallel_threshold) {
        body(std::int64_t{0}, count);
        return;
    }
    const std::int64_t grain = std::max<std::int64_t>(1, parallel_grain / weight);
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, count, grain),
                      [&](const tbb::blocked_range<std::int64_t>& r) { body(r.begin(), r.end()); });
}

// An element's width as a signed step: offsets may be negative, and one
// multiplied by an unsigned width would wrap.
template <std::size_t Bytes> constexpr std::int64_t offset_unit = static_cast<std::int64_t>(Bytes);

// Element copies go through memcpy of a constant width, which compiles to
// one load and one store and keeps the bytes' type out of it.
template <std::size_t Bytes>
void copy_run(std::byte* dst, std::int64_t dst_stride, const std::byte* src, std::int64_t src_stride,
              std::int64_t count) {
    if (dst_stride == 1 && src_stride == 1) {
        std::memcpy(dst, src, static_cast<std::size_t>(count) * Bytes);
        return;
    }
    for (std::int64_t i = 0; i < count; ++i)
        std::memcpy(dst + i * dst_stride * offset_unit<Bytes>, src + i * src_stride * offset_unit<Bytes>, Bytes);
}

template <std::size_t Bytes>
void copy_strided_as(Extents shape, std::byte* dst, Extents dst_strides, const std::byte* src, Extents src_strides) {
    const Merged<2> m(shape, {dst_strides, src_strides});
    const std::int64_t total = m.size();
    if (total == 0) return;
    split(total, 1, [&](std::int64_t begin, std::int64_t end) {
        walk_merged(m, begin, end, [&](const std::array<std::int64_t, 2>& at, std::int64_t count) {
            copy_run<Bytes>(dst + at[0] * offset_unit<Bytes>, m.inner_stride(0), src + at[1] * offset_unit<Bytes>,
                            m.inner_stride(1), count);
        });
    });
}

// The smallest position any task failed at, whichever task saw it first.
class FirstFailure {
public:
    explicit FirstFailure(std::int64_t none) : none_(none), position_(none) {}
    void note(std::int64_t p) {
        std::int64_t seen = position_.load();
        while (p < seen && !position_.compare_exchange_weak(seen, p)) {
        }
    }
    /// The position, or -1 when no task failed.
    std::int64_t result() const {
        const std::int64_t p = position_.load();
        return p < none_ ? p : -1;
    }

private:
    std::int64_t none_;
    std::atomic<std::int64_t> position_;
};

// Block p of `out` is the block of `source` at the offset locate(p, offset)
// sets; locate returns false for a position it cannot place. Returns the
// first such position, or -1 when every block was copied.
template <std::size_t Bytes, class Locate>
std::int64_t gather_blocks(const std::byte* source, std::int64_t positions, const Locate& locate, Extents block_shape,
                           Extents block_strides, std::byte* out) {
    std::vector<std::int64_t> out_strides(block_shape.size(), 1);
    for (std::size_t d = block_shape.size(); d-- > 1;) out_strides[d - 1] = out_strides[d] * block_shape[d];
    const Merged<2> m(block_shape, {Extents(out_strides), block_strides});
    const std::int64_t block = m.size();
    FirstFailure failure(positions);
    const auto fail = [&](std::int64_t p) { failure.note(p); };
    split(positions, block, [&, locate](std::int64_t begin, std::int64_t end) {
        // Locals only in the loops: the byte stores may alias anything whose
        // address escaped, which would reload it on every element.
        const std::byte* const from_base = source;
        std::byte* const to_base = out;
        if (block == 1) {
            for (std::int64_t p = begin; p < end; ++p) {
                std::int64_t offset = 0;
                if (!locate(p, offset)) return fail(p);
                std::memcpy(to_base + p * offset_unit<Bytes>, from_base + offset * offset_unit<Bytes>, Bytes);
            }
            return;
        }
        for (std::int64_t p = begin; p < end; ++p) {
            std::int64_t offset = 0;
            if (!locate(p, offset)) return fail(p);
            const std::byte* from = from_base + offset * offset_unit<Bytes>;
            std::byte* to = to_base + p * block * offset_unit<Bytes>;
            walk_merged(m, 0, block, [&](const std::array<std::int64_t, 2>& at, std::int64_t count) {
                copy_run<Bytes>(to + at[0] * offset_unit<Bytes>, m.inner_stride(0), from + at[1] * offset_unit<Bytes>,
                                m.inner_stride(1), count);
            });
        }
    });
    return failure.result();
}

template <class F> void by_width(std::size_t element_bytes, F&& f) {
    switch (element_bytes) {
    case 1: return f(std::integral_constant<std::size_t, 1>{});
    case 2: return f(std::integral_constant<std::size_t, 2>{});
    case 4: return f(std::integral_constant<std::size_t, 4>{});
    default: return f(std::integral_constant<std::size_t, 8>{});
    }
}

// target + value as the dtype defines it: integers wrap, bool is logical or.
template <class T> T add(T target, T value) {
    if constexpr (std::is_same_v<T, bool>) return target || value;
    else if constexpr (std::is_integral_v<T>) {
        using U = std::make_unsigned_t<T>;
        return static_cast<T>(static_cast<U>(static_cast<U>(target) + static_cast<U>(value)));
    } else return target + value;
}

// One run of scatter: count elements of t (stride ts) increased by, or set
// to, those of v (stride vs).
template <class T>
inline void scatter_run(bool set, T* t, std::int64_t ts, const T* v, std::int64_t vs, std::int64_t count) {
    if (ts == 1 && vs == 1) {
        // Unit strides, written out so that the loops vectorize.
        if (set) std::copy_n(v, count, t);
        else
            for (std::int64_t i = 0; i < count; ++i) t[i] = add(t[i], v[i]);
    } else if (set) {
        for (std::int64_t i = 0; i < count; ++i) t[i * ts] = v[i * vs];
    } else {
        for (std::int64_t i = 0; i < count; ++i) t[i * ts] = add(t[i * ts], v[i * vs]);
    }
}

} // namespace

void copy_strided(std::size_t element_bytes, Extents shape, std::byte* dst, Extents dst_strides, const std::byte* src,
                  Extents src_strides) {
    by_width(element_bytes, [&](auto width) { copy_strided_as<width>(shape, dst, dst_strides, src, src_strides); });
}

void gather(std::size_t element_bytes, const std::byte* source, Extents offsets, Extents block_shape,
            Extents block_strides, std::byte* out) {
    const auto locate = [offsets](std::int64_t p, std::int64_t& offset) {
        offset = offsets[p];
        return true;
    };
    by_width(element_bytes, [&](auto width) {
        gather_blocks<width>(source, static_cast<std::int64_t>(offsets.size()), locate, block_shape, block_strides, out);
    });
}

template <class I>
std::int64_t gather_along(std::size_t element_bytes, const std::byte* source, std::int64_t axis_size,
                          std::int64_t axis_stride, const I* ids, std::int64_t id_stride, std::int64_t count,
                          Extents block_shape, Extents block_strides, std::byte* out) {
    const auto locate = [=](std::int64_t p, std::int64_t& offset) {
        const I given = ids[p * id_stride];
        if constexpr (std::is_unsigned_v<I>) {
            if (given >= static_cast<std::make_unsigned_t<std::int64_t>>(axis_size)) return false;
            offset = static_cast<std::int64_t>(given) * axis_stride;
        } else {
            std::int64_t i = given;
            if (i < 0) i += axis_size;
            if (i < 0 || i >= axis_size) return false;
            offset = i * axis_stride;
        }
        return true;
    };
    std::int64_t block = 1;
    for (std::int64_t extent : block_shape) block *= extent;
    std::int64_t failure = -1;
    if (block != 1) {
        by_width(element_bytes, [&](auto width) {
            failure = gather_blocks<width>(source, count, locate, block_shape, block_strides, out);
        });
        return failure;
    }
    // Single elements: the ids of each chunk are checked at once (a min and
    // a max, which vectorize), so the copies need no branch per element.
    FirstFailure first(count);
    by_width(element_bytes, [&](auto width) {
        constexpr std::size_t bytes = width;
        constexpr std::int64_t unit = width; // signed: offsets may be negative
        split(count, 1, [&, locate](std::int64_t begin, std::int64_t end) {
            const std::byte* const from = source;
            std::byte* const to = out;
            const I* const id = ids;
            const std::int64_t step = id_stride, axis = axis_stride;
            constexpr std::int64_t chunk = 2048;
            for (std::int64_t c = begin; c < end; c += chunk) {
                const std::int64_t stop = std::min(end, c + chunk);
                I low = id[c * step], high = low;
                for (std::int64_t p = c; p < stop; ++p) {
                    low = std::min(low, id[p * step]);
                    high = std::max(high, id[p * step]);
                }
                bool direct = static_cast<std::uint64_t>(high) < static_cast<std::uint64_t>(axis_size);
                if constexpr (std::is_signed_v<I>) direct = direct && low >= 0;
                if (direct) {
                    for (std::int64_t p = c; p < stop; ++p)
                        std::memcpy(to + p * unit, from + static_cast<std::int64_t>(id[p * step]) * axis * unit, bytes);
                    continue;
                }
                for (std::int64_t p = c; p < stop; ++p) {
                    std::int64_t offset = 0;
                    if (!locate(p, offset)) return first.note(p);
                    std::memcpy(to + p * unit, from + offset * unit, bytes);
                }
            }
        });
    });
    return first.result();
}

#define KILN_GATHER_ALONG(I)                                                                                           \
    template std::int64_t gather_along<I>(std::size_t, const std::byte*, std::int64_t, std::int64_t, const I*,          \
                                          std::int64_t, std::int64_t, Extents, Extents, std::byte*);
KILN_GATHER_ALONG(std::int8_t)
KILN_GATHER_ALONG(std::int16_t)
KILN_GATHER_ALONG(std::int32_t)
KILN_GATHER_ALONG(std::int64_t)
KILN_GATHER_ALONG(std::uint8_t)
KILN_GATHER_ALONG(std::uint16_t)
KILN_GATHER_ALONG(std::uint32_t)
KILN_GATHER_ALONG(std::uint64_t)
#undef KILN_GATHER_ALONG

template <class T>
void scatter(bool set, T* target, Extents target_offsets, Extents target_strides, const T* values,
             Extents value_offsets, Extents value_strides, Extents block_shape) {
    const Merged<2> m(block_shape, {target_strides, value_strides});
    const std::int64_t block = m.size();
    const auto positions = static_cast<std::int64_t>(target_offsets.size());
    const std::int64_t ts = m.inner_stride(0), vs = m.inner_stride(1);
    if (block == 1) {
        for (std::int64_t p = 0; p < positions; ++p) {
            T& t = target[target_offsets[p]];
            t = set ? values[value_offsets[p]] : add(t, values[value_offsets[p]]);
        }
        return;
    }
    if (m.shape.size() <= 1) {
        // Each block is one run (a row, or one element).
        for (std::int64_t p = 0; p < positions; ++p)
            scatter_run(set, target + target_offsets[p], ts, values + value_offsets[p], vs, block);
        return;
    }
    for (std::int64_t p = 0; p < positions; ++p) {
        T* to = target + target_offsets[p];
        const T* from = values + value_offsets[p];
        walk_merged(m, 0, block, [&](const std::array<std::int64_t, 2>& at, std::int64_t count) {
            scatter_run(set, to + at[0], ts, from + at[1], vs, count);
        });
    }
}

#define KILN_SCATTER(T)                                                                                                \
    template void scatter<T>(bool, T*, Extents, Extents, const T*, Extents, Extents, Extents);
KILN_SCATTER(bool)
KILN_SCATTER(std::int8_t)
KILN_SCATTER(std::int16_t)
KILN_SCATTER(std::int32_t)
KILN_SCATTER(std::int64_t)
KILN_SCATTER(std::uint8_t)
KILN_SCATTER(std::uint16_t)
KILN_SCATTER(std::uint32_t)
KILN_SCATTER(std::uint64_t)
KILN_SCATTER(float)
KILN_SCATTER(double)
#undef KILN_SCATTER

} // namespace kiln::kernels
