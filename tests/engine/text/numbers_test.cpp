// The one number parser behind kiln's text formats.
#include "engine/text/numbers.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

using namespace kiln;

TEST_CASE("integers: the whole text, in range, signed only where the type is") {
    std::int64_t i = 0;
    CHECK(parse_number("42", i));
    CHECK(i == 42);
    CHECK(parse_number("-9223372036854775808", i));
    CHECK(i == std::numeric_limits<std::int64_t>::min());
    std::uint8_t small = 0;
    CHECK_FALSE(parse_number("256", small));
    CHECK_FALSE(parse_number("-1", small));
    for (const char* bad : {"", " 1", "1 ", "1.0", "0x10", "+1", "1e3", "twelve"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_number(bad, i));
    }
    unsigned bits = 0;
    CHECK(parse_number_in_base("ff", bits, 16));
    CHECK(bits == 255);
}

TEST_CASE("floats: decimal and exponent forms, signs, inf and nan, and a NaN by its bits") {
    double d = 0;
    CHECK(parse_number("0.1", d));
    CHECK(d == 0.1);
    CHECK(parse_number("-2.5e-3", d));
    CHECK(d == -2.5e-3);
    CHECK(parse_number("+.5", d));
    CHECK(d == 0.5);
    CHECK(parse_number("-inf", d));
    CHECK(d == -std::numeric_limits<double>::infinity());
    CHECK(parse_number("nan", d));
    CHECK(std::isnan(d));
    CHECK(parse_number("nan(0x7ff8000000000001)", d));
    CHECK(std::bit_cast<std::uint64_t>(d) == 0x7ff8000000000001u);
    float f = 0;
    CHECK(parse_number("nan(0x7fc00001)", f));
    CHECK(std::bit_cast<std::uint32_t>(f) == 0x7fc00001u);
    // Bits that are no NaN, and spellings from_chars would take but the formats do not.
    CHECK_FALSE(parse_number("nan(0x3ff0000000000000)", d));
    for (const char* bad : {"", "infinity", "nan(1)", "1.5x", "e5", "--1", " 1"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_number(bad, d));
    }
}
