#include "array_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace kiln::dump {

namespace {

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

template <class T> std::string float_text(T value) {
    if (std::isnan(value)) return "\"nan\"";
    if (std::isinf(value)) return value > 0 ? "\"inf\"" : "\"-inf\"";
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    std::string text(buffer, result.ptr);
    // Keep floats recognisable as floats to readers that type by syntax.
    if (text.find_first_of(".e") == std::string::npos) text += ".0";
    return text;
}

std::string element_text(const Array& array, std::int64_t flat) {
    const DType dtype = array.dtype();
    if (dtype == DType::bool_) return array.value_at<bool>(flat) ? "true" : "false";
    if (dtype == DType::float32) return float_text(array.value_at<float>(flat));
    if (dtype == DType::float64) return float_text(array.value_at<double>(flat));
    if (is_unsigned_int(dtype)) return std::to_string(array.value_at<std::uint64_t>(flat));
    return std::to_string(array.value_at<std::int64_t>(flat));
}

// The elements from `flat` on, nested along dims from `axis` on.
void write_values(const Array& array, int axis, std::int64_t& flat, std::string& out) {
    if (axis == array.ndim()) {
        out += element_text(array, flat++);
        return;
    }
    out += '[';
    const std::int64_t length = array.shape()[static_cast<std::size_t>(axis)];
    for (std::int64_t i = 0; i < length; ++i) {
        if (i > 0) out += ", ";
        write_values(array, axis + 1, flat, out);
    }
    out += ']';
}

} // namespace

std::string array_json(const std::string& name, const Array& array) {
    std::string out = "{\"name\": " + json_string(name) + ", \"dtype\": \"" + std::string(dtype_name(array.dtype())) +
                      "\", \"shape\": [";
    for (int axis = 0; axis < array.ndim(); ++axis) {
        if (axis > 0) out += ", ";
        out += std::to_string(array.shape()[static_cast<std::size_t>(axis)]);
    }
    out += "], \"values\": ";
    std::int64_t flat = 0;
    write_values(array, 0, flat, out);
    return out + "}";
}

} // namespace kiln::dump
