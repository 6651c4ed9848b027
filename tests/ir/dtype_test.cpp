#include "ir/dtype.hpp"
#include "ir/errors.hpp"

#include <doctest/doctest.h>

using namespace kiln;

namespace {

const DType all[] = {DType::bool_,  DType::int8,   DType::int16,   DType::int32,
                     DType::int64,  DType::uint8,  DType::uint16,  DType::uint32,
                     DType::uint64, DType::float32, DType::float64};

DType signed_of_bytes(int bytes) {
    switch (bytes) {
    case 1: return DType::int8;
    case 2: return DType::int16;
    case 4: return DType::int32;
    default: return DType::int64;
    }
}

// NumPy's promotion derived from its rules (not from kiln's table): the
// smallest type that can hold every value of both.
DType expected_promotion(DType a, DType b) {
    if (a == DType::bool_) return b;
    if (b == DType::bool_) return a;
    if (is_float(a) && is_float(b)) return dtype_size(a) >= dtype_size(b) ? a : b;
    if (is_float(a) || is_float(b)) {
        const DType f = is_float(a) ? a : b;
        const DType i = is_float(a) ? b : a;
        // float32 holds integers of up to 16 bits exactly; wider need float64.
        return (f == DType::float32 && dtype_size(i) >= 4) ? DType::float64 : f;
    }
    if (is_signed_int(a) == is_signed_int(b)) return dtype_size(a) >= dtype_size(b) ? a : b;
    const DType s = is_signed_int(a) ? a : b;
    const DType u = is_signed_int(a) ? b : a;
    if (dtype_size(s) > dtype_size(u)) return s;
    if (dtype_size(u) == 8) return DType::float64;
    return signed_of_bytes(2 * dtype_size(u));
}

} // namespace

TEST_CASE("promotion table matches NumPy's rules for every pair") {
    for (DType a : all)
        for (DType b : all) {
            CAPTURE(dtype_name(a));
            CAPTURE(dtype_name(b));
            CHECK(promote(a, b) == expected_promotion(a, b));
            CHECK(promote(a, b) == promote(b, a));
        }
}

TEST_CASE("promotion examples from the Theano semantics") {
    CHECK(promote(DType::int32, DType::float32) == DType::float64);
    CHECK(promote(DType::int16, DType::float32) == DType::float32);
    CHECK(promote(DType::uint8, DType::int8) == DType::int16);
    CHECK(promote(DType::uint32, DType::int32) == DType::int64);
    CHECK(promote(DType::int64, DType::uint64) == DType::float64);
    CHECK(promote(DType::bool_, DType::int8) == DType::int8);
}

TEST_CASE("float functions upgrade integers by width") {
    CHECK(upgrade_to_float(DType::bool_) == DType::float32);
    CHECK(upgrade_to_float(DType::int8) == DType::float32);
    CHECK(upgrade_to_float(DType::uint16) == DType::float32);
    CHECK(upgrade_to_float(DType::int32) == DType::float64);
    CHECK(upgrade_to_float(DType::uint64) == DType::float64);
    CHECK(upgrade_to_float(DType::float32) == DType::float32);
}

TEST_CASE("literals take the smallest exact dtype") {
    CHECK(literal_dtype(std::int64_t{2}) == DType::int8);
    CHECK(literal_dtype(std::int64_t{-128}) == DType::int8);
    CHECK(literal_dtype(std::int64_t{300}) == DType::int16);
    CHECK(literal_dtype(std::int64_t{70000}) == DType::int32);
    CHECK(literal_dtype(std::int64_t{1} << 40) == DType::int64);
    CHECK(literal_dtype(1.0, DType::float64) == DType::float32);
    CHECK(literal_dtype(0.5, DType::float64) == DType::float32);
    CHECK(literal_dtype(1.1, DType::float64) == DType::float64);
    CHECK(literal_dtype(1.1, DType::float32) == DType::float32);
    CHECK(literal_dtype(1e300, DType::float64) == DType::float64);
}

TEST_CASE("dtype names round-trip and unknown names are refused") {
    for (DType d : all) CHECK(dtype_from_name(dtype_name(d)) == d);
    CHECK_THROWS_AS(dtype_from_name("float16"), TypeError);
    CHECK_THROWS_WITH(dtype_from_name("complex64"), doctest::Contains("complex64"));
    CHECK(dtype_size(DType::uint16) == 2);
    CHECK(dtype_size(DType::float64) == 8);
}
