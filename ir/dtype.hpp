// Element types of kiln tensors and the rules for mixing them (Theano's
// upcast rules, which are NumPy's promote_types plus literal autocasting).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

enum class DType : std::uint8_t {
    bool_,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
    float32,
    float64,
};

inline constexpr int dtype_count = 11;

/// NumPy spelling: "bool", "int8", ..., "float64".
std::string_view dtype_name(DType dtype);
/// Parses a NumPy spelling; throws kiln::TypeError naming the text when unknown.
DType dtype_from_name(std::string_view name);
/// Bytes per element.
int dtype_size(DType dtype);

bool is_float(DType dtype);
bool is_signed_int(DType dtype);
bool is_unsigned_int(DType dtype);
/// bool and the integers (Theano's "discrete" group).
bool is_discrete(DType dtype);

/// The dtype two operands meet in (NumPy's promote_types): int32 with float32
/// gives float64, int8 with uint8 gives int16, int64 with uint64 gives float64.
DType promote(DType a, DType b);

/// Result dtype of float functions such as exp or sqrt on an input of this
/// dtype: bool and 8/16-bit integers go to float32, wider integers to float64.
DType upgrade_to_float(DType dtype);

/// dtype a C++ integer literal takes in an expression (Theano autocasting):
/// the first of int8, int16, int32, int64 that holds it exactly.
DType literal_dtype(std::int64_t value);
/// dtype a C++ floating literal takes: float32 when exactly representable
/// (or always, when floatX is float32), else float64.
DType literal_dtype(double value, DType floatX);

std::ostream& operator<<(std::ostream& os, DType dtype);

} // namespace kiln
