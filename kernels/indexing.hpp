// Copies that move data without computing on it, the library calls behind
// indexing and layout ops: strided copies (Join, Alloc, set_subtensor),
// gathers of blocks at given offsets (indexing with integer arrays) and
// scatters into them (inc_subtensor/set_subtensor with integer arrays).
// Strides and offsets count elements; the caller has checked that every
// access is inside its buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace kiln::kernels {

using Extents = std::span<const std::int64_t>;

/// dst = src element by element over `shape`, each walked with its own
/// strides; elements are `element_bytes` (1, 2, 4 or 8) wide. Large copies
/// are spread over all cores.
void copy_strided(std::size_t element_bytes, Extents shape, std::byte* dst, Extents dst_strides, const std::byte* src,
                  Extents src_strides);

/// Block p of `out` (blocks of `block_shape` in C order, one after another)
/// is the block of `source` that starts `offsets[p]` elements in, walked
/// with `block_strides`. Large gathers are spread over all cores.
void gather(std::size_t element_bytes, const std::byte* source, Extents offsets, Extents block_shape,
            Extents block_strides, std::byte* out);

/// gather with block p at ids[p * id_stride] * axis_stride elements into
/// `source`, the ids being indices along an axis of axis_size elements
/// (negative ones count from its end): one pass, no offsets array. Returns
/// -1, or the first p whose id is out of range (`out` is then incomplete).
/// Instantiated for the integer types that store kiln dtypes.
template <class I>
std::int64_t gather_along(std::size_t element_bytes, const std::byte* source, std::int64_t axis_size,
                          std::int64_t axis_stride, const I* ids, std::int64_t id_stride, std::int64_t count,
                          Extents block_shape, Extents block_strides, std::byte* out);

/// For p = 0, 1, ... in order: the block of `target` at target_offsets[p]
/// (walked with target_strides) is increased by the block of `values` at
/// value_offsets[p] (walked with value_strides), or replaced by it when
/// `set`. Repeated target offsets accumulate, or the last one wins, as in a
/// serial loop; bool adds as logical or. Instantiated for every type that
/// stores a kiln dtype.
template <class T>
void scatter(bool set, T* target, Extents target_offsets, Extents target_strides, const T* values,
             Extents value_offsets, Extents value_strides, Extents block_shape);

} // namespace kiln::kernels
