#include "dtype.hpp"

#include "errors.hpp"

#include <array>
#include <limits>
#include <ostream>

namespace kiln {

namespace {

constexpr std::array<std::string_view, dtype_count> names = {
    "bool", "int8", "int16", "int32", "int64", "uint8",
    "uint16", "uint32", "uint64", "float32", "float64",
};

constexpr std::array<int, dtype_count> sizes = {1, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8};

// The promotion table, in enum order (b=bool, i=int, u=uint, f=float + bits).
// Row and column are the two operands; the table is symmetric.
using D = DType;
constexpr D b_ = D::bool_, i8 = D::int8, i16 = D::int16, i32 = D::int32, i64 = D::int64,
            u8 = D::uint8, u16 = D::uint16, u32 = D::uint32, u64 = D::uint64,
            f32 = D::float32, f64 = D::float64;
constexpr D promotion[dtype_count][dtype_count] = {
    //         b_   i8   i16  i32  i64  u8   u16  u32  u64  f32  f64
    /* b_  */ {b_,  i8,  i16, i32, i64, u8,  u16, u32, u64, f32, f64},
    /* i8  */ {i8,  i8,  i16, i32, i64, i16, i32, i64, f64, f32, f64},
    /* i16 */ {i16, i16, i16, i32, i64, i16, i32, i64, f64, f32, f64},
    /* i32 */ {i32, i32, i32, i32, i64, i32, i32, i64, f64, f64, f64},
    /* i64 */ {i64, i64, i64, i64, i64, i64, i64, i64, f64, f64, f64},
    /* u8  */ {u8,  i16, i16, i32, i64, u8,  u16, u32, u64, f32, f64},
    /* u16 */ {u16, i32, i32, i32, i64, u16, u16, u32, u64, f32, f64},
    /* u32 */ {u32, i64, i64, i64, i64, u32, u32, u32, u64, f64, f64},
    /* u64 */ {u64, f64, f64, f64, f64, u64, u64, u64, u64, f64, f64},
    /* f32 */ {f32, f32, f32, f64, f64, f32, f32, f64, f64, f32, f64},
    /* f64 */ {f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64},
};

int index_of(DType dtype) { return static_cast<int>(dtype); }

} // namespace

std::string_view dtype_name(DType dtype) { return names[index_of(dtype)]; }

DType dtype_from_name(std::string_view name) {
    for (int i = 0; i < dtype_count; ++i)
        if (names[i] == name) return static_cast<DType>(i);
    throw TypeError("dtype_from_name(): unknown dtype '" + std::string(name) +
                    "' (expected bool, int8..int64, uint8..uint64, float32 or float64)");
}

int dtype_size(DType dtype) { return sizes[index_of(dtype)]; }

bool is_float(DType dtype) { return dtype == DType::float32 || dtype == DType::float64; }

bool is_signed_int(DType dtype) { return dtype >= DType::int8 && dtype <= DType::int64; }

bool is_unsigned_int(DType dtype) { return dtype >= DType::uint8 && dtype <= DType::uint64; }

bool is_discrete(DType dtype) { return !is_float(dtype); }

DType promote(DType a, DType b) { return promotion[index_of(a)][index_of(b)]; }

DType upgrade_to_float(DType dtype) {
    if (is_float(dtype)) return dtype;
    return dtype_size(dtype) <= 2 ? DType::float32 : DType::float64;
}

DType literal_dtype(std::int64_t value) {
    if (value >= std::numeric_limits<std::int8_t>::min() &&
        value <= std::numeric_limits<std::int8_t>::max())
        return DType::int8;
    if (value >= std::numeric_limits<std::int16_t>::min() &&
        value <= std::numeric_limits<std::int16_t>::max())
        return DType::int16;
    if (value >= std::numeric_limits<std::int32_t>::min() &&
        value <= std::numeric_limits<std::int32_t>::max())
        return DType::int32;
    return DType::int64;
}

DType literal_dtype(double value, DType floatX) {
    if (floatX == DType::float32) return DType::float32;
    // NaN never compares equal to itself, yet float32 holds it exactly.
    const bool exact = value != value || static_cast<double>(static_cast<float>(value)) == value;
    return exact ? DType::float32 : DType::float64;
}

std::ostream& operator<<(std::ostream& os, DType dtype) { return os << dtype_name(dtype); }

} // namespace kiln
