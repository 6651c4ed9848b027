// Numbers as text: the one parser behind every format kiln reads
// (the graph text format, the expression language's defaults, disk cache
// entries, saved functions, .npy headers, config values), and the float
// writer whose text it reads back exactly. The whole text must be the
// number; nothing is skipped.
#pragma once

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace kiln {

/// An integer in `base` (2 to 36), the whole text.
template <class T> bool parse_number_in_base(std::string_view text, T& value, int base) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    return !text.empty() && error == std::errc() && end == text.data() + text.size();
}

/// Reads `text` into `value`; false (value unspecified) when `text` is not
/// wholly a number of T. Integers: decimal digits, '-' first for signed
/// types. Floats: '-' or '+', then decimal digits with an optional point
/// and exponent, or "inf", "nan", or "nan(0x7fc00001)" for a NaN by its bits.
template <class T> bool parse_number(std::string_view text, T& value) {
    if constexpr (std::is_floating_point_v<T>) {
        if (text.starts_with("nan(0x") && text.ends_with(")")) {
            using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
            Bits bits = 0;
            if (!parse_number_in_base(text.substr(6, text.size() - 7), bits, 16)) return false;
            value = std::bit_cast<T>(bits);
            return std::isnan(value);
        }
        const bool negative = text.starts_with('-');
        if (negative || text.starts_with('+')) text.remove_prefix(1);
        if (text == "nan" || text == "inf") {
            value = text == "nan" ? std::numeric_limits<T>::quiet_NaN() : std::numeric_limits<T>::infinity();
        } else {
            // from_chars would also take "infinity" and "nan(chars)": not numbers here.
            if (text.empty() || !((text.front() >= '0' && text.front() <= '9') || text.front() == '.')) return false;
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc() || end != text.data() + text.size()) return false;
        }
        if (negative) value = -value;
        return true;
    } else {
        return parse_number_in_base(text, value, 10);
    }
}

// NaNs keep their bits: "nan" and "-nan" for the quiet NaN and its
// negation, "nan(0x7fc00001)" for any other.
template <class T> std::string nan_text(T value) {
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    const Bits bits = std::bit_cast<Bits>(value), quiet = std::bit_cast<Bits>(std::numeric_limits<T>::quiet_NaN());
    const Bits sign = Bits(1) << (8 * sizeof(T) - 1);
    if (bits == quiet) return "nan";
    if (bits == (quiet | sign)) return "-nan";
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, bits, 16);
    return "nan(0x" + std::string(buffer, result.ptr) + ")";
}

/// The shortest text parse_number reads back as the same float, bits of a
/// NaN included (what every format kiln writes puts for a float).
template <class T> std::string float_text(T value) {
    if (std::isnan(value)) return nan_text(value);
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

} // namespace kiln
