// Reductions as values combine: the kinds (sum, prod, max, min, all, any),
// their identities and how two partial results combine. The reference
// interpreter and compiled loops share these definitions.
#pragma once

#include "array.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace kiln {

enum class ReduceKind : std::uint8_t { sum, prod, max, min, all, any };

/// "sum", "prod", ...
const char* reduce_kind_name(ReduceKind kind);

/// a combined with b: integer sums and products wrap; max and min give NaN
/// when either side is NaN (as NumPy), else the first of equals.
template <class T> T reduce_combine(ReduceKind kind, T a, T b) {
    if constexpr (std::is_same_v<T, bool>) {
        switch (kind) {
        case ReduceKind::all:
        case ReduceKind::prod:
        case ReduceKind::min: return a && b;
        default: return a || b;
        }
    } else {
        switch (kind) {
        case ReduceKind::sum:
            if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
            else return a + b;
        case ReduceKind::prod:
            if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
            else return a * b;
        case ReduceKind::max:
        case ReduceKind::min:
            if constexpr (std::is_floating_point_v<T>)
                if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
            if (kind == ReduceKind::max) return a < b ? b : a;
            return b < a ? b : a;
        case ReduceKind::all: return static_cast<T>(a != T(0) && b != T(0));
        case ReduceKind::any: return static_cast<T>(a != T(0) || b != T(0));
        }
        return a;
    }
}

/// The value reducing nothing gives: 0, 1, the lowest or highest value of
/// the dtype (-inf and inf for floats), true for all, false for any.
template <class T> T reduce_identity(ReduceKind kind) {
    switch (kind) {
    case ReduceKind::prod:
    case ReduceKind::all: return T(1);
    case ReduceKind::max:
        if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
        else return std::numeric_limits<T>::lowest();
    case ReduceKind::min:
        if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::infinity();
        else return std::numeric_limits<T>::max();
    default: return T(0);
    }
}

/// A C-contiguous array of `shape` filled with the identity of `kind`.
Array reduction_identity(ReduceKind kind, DType dtype, Shape shape);

/// acc[i] = reduce_combine(kind, acc[i], partial[i]) for two C-contiguous
/// arrays of one dtype and shape.
void reduction_combine_into(ReduceKind kind, Array& acc, const Array& partial);

} // namespace kiln
