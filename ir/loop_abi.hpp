// The loop calling convention: the signature every compiled kernel has, the
// variants a kernel compiles to, and the statuses a loop reports. The
// executor calls loops through it and each backend's lowering produces it.
#pragma once

#include <cstdint>

namespace kiln {

/// The loop function a kernel compiles to. For i in [0, n): reads input k
/// at data[k] + i * strides[k] (element strides), computes, and writes
/// output j at data[inputs + j] + i * strides[inputs + j]. params holds one
/// 8-byte slot per parameter (the value in its dtype, low bytes first).
/// A reduction output is combined, not stored: with stride 0 the whole run
/// reduces into the one element at data[inputs + j]; otherwise each element
/// becomes reduce_combine(element, value). The caller fills the output with
/// the reduction's identity first.
/// A row kernel (one with row reductions) is called once per whole row of
/// the innermost dimension, n being the row's length: it makes one pass
/// over the row per level of row reductions, then stores its outputs.
/// A non-zero *status on return reports an error the loop met (1: integer
/// division by zero, 2: a row_gather index outside the row).
using LoopFunction = void (*)(std::int64_t n, void* const* data, const std::int64_t* strides,
                              const std::uint64_t* params, std::int32_t* status);

/// Calls a loop: every call into generated code goes through here. Such
/// code has no type signature before its entry point, where clang's
/// -fsanitize=function (part of UBSan) looks for one, reading before the
/// code's first byte; this one call is left unchecked.
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
inline void call_loop(LoopFunction loop, std::int64_t n, void* const* data, const std::int64_t* strides,
                      const std::uint64_t* params, std::int32_t* status) {
    loop(n, data, strides, params, status);
}

/// The ways a kernel's loop can be compiled; they compute the same values.
enum class LoopVariant : std::uint8_t {
    plain,
    /// Unit-stride outputs are written with non-temporal (streaming)
    /// stores, which bypass the caches: whole cache lines at a time, from
    /// scratch that stays in L1, after a first stretch up to a line
    /// boundary. Only for kernels where can_stream_stores holds.
    streaming_stores,
};

inline constexpr std::int32_t kernel_status_integer_division_by_zero = 1;
inline constexpr std::int32_t kernel_status_index_out_of_bounds = 2;

} // namespace kiln
