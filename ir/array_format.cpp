// NumPy's array printing (repr and str with the default print options:
// precision 8, line width 75, summarising beyond 1000 elements), so arrays
// print as users of the tutorial have always seen them.
#include "array.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <string>

namespace kiln {

namespace {

constexpr int line_width = 75;
constexpr int float_precision = 8;
constexpr std::int64_t summary_threshold = 1000;
constexpr std::int64_t edge_items = 3;

template <class T, class... Format> std::string chars(T value, Format... format) {
    char buffer[512];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, format...);
    return std::string(buffer, result.ptr);
}

void trim_trailing_zeros(std::string& digits) {
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
}

// Shortest round-trip digits, rounded to at most float_precision fractional
// digits, keeping the point ("11.", "0.33333333").
template <class T> std::string positional(T value) {
    std::string text = chars(value, std::chars_format::fixed);
    auto dot = text.find('.');
    if (dot != std::string::npos && text.size() - dot - 1 > float_precision) {
        text = chars(value, std::chars_format::fixed, float_precision);
        trim_trailing_zeros(text);
        dot = text.find('.');
    }
    if (dot == std::string::npos) text += '.';
    return text;
}

struct Scientific {
    std::string mantissa; // "-1.5437", point included
    std::string exponent; // "+00"
};

template <class T> Scientific scientific(T value) {
    std::string text = chars(value, std::chars_format::scientific);
    auto e = text.find('e');
    std::string mantissa = text.substr(0, e);
    auto dot = mantissa.find('.');
    if (dot != std::string::npos && mantissa.size() - dot - 1 > float_precision) {
        text = chars(value, std::chars_format::scientific, float_precision);
        e = text.find('e');
        mantissa = text.substr(0, e);
        trim_trailing_zeros(mantissa);
    }
    if (mantissa.find('.') == std::string::npos) mantissa += '.';
    return {mantissa, text.substr(e + 1)};
}

std::size_t fraction_length(const std::string& mantissa) {
    return mantissa.size() - mantissa.find('.') - 1;
}

std::string pad_left_to(const std::string& text, std::size_t width) {
    return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

using Formatter = std::function<std::string(std::int64_t offset)>;

// FloatingFormat of NumPy: one layout shared by all printed elements.
template <class T> Formatter float_formatter(const T* base, const std::vector<std::int64_t>& offsets) {
    std::vector<T> finite;
    bool negative_inf = false, any_nonfinite = false;
    for (std::int64_t offset : offsets) {
        const T v = base[offset];
        if (std::isfinite(v)) finite.push_back(v);
        else {
            any_nonfinite = true;
            negative_inf |= std::isinf(v) && v < 0;
        }
    }
    bool exp_format = false;
    double max_abs = 0, min_abs = INFINITY;
    for (T v : finite)
        if (v != 0) {
            max_abs = std::max<double>(max_abs, std::fabs(v));
            min_abs = std::min<double>(min_abs, std::fabs(v));
        }
    if (max_abs > 0)
        exp_format = max_abs >= 1e8 || min_abs < 1e-4 || max_abs / min_abs > 1e3;

    std::size_t pad_left = 0, pad_right = 0, exp_digits = 0, precision = 0;
    if (!finite.empty()) {
        for (T v : finite) {
            if (exp_format) {
                const Scientific s = scientific(v);
                precision = std::max(precision, fraction_length(s.mantissa));
                exp_digits = std::max(exp_digits, s.exponent.size() - 1);
                pad_left = std::max(pad_left, s.mantissa.find('.'));
            } else {
                const std::string s = positional(v);
                pad_left = std::max(pad_left, s.find('.'));
                pad_right = std::max(pad_right, fraction_length(s));
            }
        }
        if (exp_format) pad_right = exp_digits + 2 + precision;
    }
    if (any_nonfinite) {
        const std::size_t offset = pad_right + 1;
        const std::size_t inf_length = 3 + (negative_inf ? 1 : 0);
        if (3 > offset) pad_left = std::max(pad_left, 3 - offset);
        if (inf_length > offset) pad_left = std::max(pad_left, inf_length - offset);
    }
    return [=](std::int64_t offset) {
        const T v = base[offset];
        if (!std::isfinite(v)) {
            const std::string text = std::isnan(v) ? "nan" : (v < 0 ? "-inf" : "inf");
            return pad_left_to(text, pad_left + pad_right + 1);
        }
        if (exp_format) {
            const Scientific s = scientific(v);
            std::string mantissa = s.mantissa + std::string(precision - fraction_length(s.mantissa), '0');
            std::string exponent = s.exponent.substr(1);
            exponent = std::string(exp_digits - exponent.size(), '0') + exponent;
            return pad_left_to(mantissa.substr(0, mantissa.find('.')), pad_left) +
                   mantissa.substr(mantissa.find('.')) + "e" + s.exponent[0] + exponent;
        }
        const std::string s = positional(v);
        const std::size_t dot = s.find('.');
        std::string text = pad_left_to(s.substr(0, dot), pad_left) + s.substr(dot);
        return text + std::string(pad_right - fraction_length(s), ' ');
    };
}

template <class T> Formatter integer_formatter(const T* base, const std::vector<std::int64_t>& offsets) {
    std::size_t width = 0;
    for (std::int64_t offset : offsets) {
        if constexpr (std::is_same_v<T, bool>) width = std::max<std::size_t>(width, base[offset] ? 4 : 5);
        else width = std::max(width, std::to_string(base[offset]).size());
    }
    return [=](std::int64_t offset) {
        if constexpr (std::is_same_v<T, bool>) return pad_left_to(base[offset] ? "True" : "False", width);
        else return pad_left_to(std::to_string(base[offset]), width);
    };
}

class Printer {
public:
    Printer(const Array& array, std::string separator)
        : array_(array), separator_(std::move(separator)),
          summarise_(array.size() > summary_threshold) {
        std::vector<std::int64_t> offsets;
        std::vector<std::int64_t> index;
        collect_offsets(index, 0, offsets);
        visit_dtype(array.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const auto* base = reinterpret_cast<const T*>(array.data());
            if constexpr (std::is_floating_point_v<T>) format_ = float_formatter(base, offsets);
            else format_ = integer_formatter(base, offsets);
        });
    }

    std::string format(const std::string& hanging_indent, int width) {
        std::vector<std::int64_t> index;
        return recurse(index, hanging_indent, width);
    }

private:
    // Positions printed along one axis: all of them, or the edges when summarising.
    std::vector<std::int64_t> shown(int axis) const {
        const std::int64_t n = array_.shape()[axis];
        std::vector<std::int64_t> positions;
        if (summarise_ && 2 * edge_items < n) {
            for (std::int64_t i = 0; i < edge_items; ++i) positions.push_back(i);
            for (std::int64_t i = n - edge_items; i < n; ++i) positions.push_back(i);
        } else {
            for (std::int64_t i = 0; i < n; ++i) positions.push_back(i);
        }
        return positions;
    }

    bool gap_after(int axis, std::int64_t position) const {
        return summarise_ && 2 * edge_items < array_.shape()[axis] && position == edge_items - 1;
    }

    std::int64_t offset_of(const std::vector<std::int64_t>& index) const {
        std::int64_t offset = 0;
        for (std::size_t i = 0; i < index.size(); ++i) offset += index[i] * array_.strides()[i];
        return offset;
    }

    void collect_offsets(std::vector<std::int64_t>& index, int axis, std::vector<std::int64_t>& out) const {
        if (axis == array_.ndim()) {
            out.push_back(offset_of(index));
            return;
        }
        for (std::int64_t position : shown(axis)) {
            index.push_back(position);
            collect_offsets(index, axis + 1, out);
            index.pop_back();
        }
    }

    static void extend_line(std::string& s, std::string& line, const std::string& word, int width,
                            const std::string& next_line_prefix) {
        bool wrap = static_cast<int>(line.size() + word.size()) > width;
        if (line.size() <= next_line_prefix.size()) wrap = false;
        if (wrap) {
            while (!line.empty() && line.back() == ' ') line.pop_back();
            s += line + "\n";
            line = next_line_prefix;
        }
        line += word;
    }

    // NumPy's _formatArray recursion.
    std::string recurse(std::vector<std::int64_t>& index, const std::string& hanging_indent, int width) {
        const int axis = static_cast<int>(index.size());
        const int axes_left = array_.ndim() - axis;
        if (axes_left == 0) return format_(offset_of(index));
        const std::string next_indent = hanging_indent + " ";
        const int next_width = width - 1;
        std::string trimmed_separator = separator_;
        while (!trimmed_separator.empty() && trimmed_separator.back() == ' ') trimmed_separator.pop_back();
        const std::vector<std::int64_t> positions = shown(axis);
        std::string s;
        if (axes_left == 1) {
            const int element_width =
                width - std::max<int>(static_cast<int>(trimmed_separator.size()), 1);
            std::string line = hanging_indent;
            for (std::size_t i = 0; i < positions.size(); ++i) {
                index.push_back(positions[i]);
                const std::string word = recurse(index, next_indent, next_width);
                index.pop_back();
                const bool last = i + 1 == positions.size();
                extend_line(s, line, word, element_width, hanging_indent);
                if (!last) line += separator_;
                if (gap_after(axis, positions[i])) {
                    extend_line(s, line, "...", element_width, hanging_indent);
                    line += separator_;
                }
            }
            s += line;
        } else {
            const std::string line_separator = trimmed_separator + std::string(axes_left - 1, '\n');
            for (std::size_t i = 0; i < positions.size(); ++i) {
                index.push_back(positions[i]);
                const std::string nested = recurse(index, next_indent, next_width);
                index.pop_back();
                s += hanging_indent + nested;
                if (i + 1 < positions.size()) s += line_separator;
                if (gap_after(axis, positions[i])) s += hanging_indent + "..." + line_separator;
            }
        }
        return "[" + s.substr(hanging_indent.size()) + "]";
    }

    const Array& array_;
    std::string separator_;
    bool summarise_;
    Formatter format_;
};

bool dtype_is_implied(DType dtype) {
    return dtype == DType::float64 || dtype == DType::int64 || dtype == DType::bool_;
}

} // namespace

std::string Array::repr() const {
    const std::string prefix = "array(";
    const bool show_dtype = !dtype_is_implied(dtype_) || size() == 0;
    // NumPy subtracts the suffix (")" or ",") from the line width.
    Printer printer(*this, ", ");
    std::string body = ndim() == 0 ? printer.format("", line_width)
                                   : printer.format(std::string(prefix.size() + 1, ' '), line_width - 1);
    std::string text = prefix + body;
    if (!show_dtype) return text + ")";
    text += ",";
    const std::string dtype_text = "dtype=" + std::string(dtype_name(dtype_)) + ")";
    const std::size_t last_line = text.size() - (text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
    const std::string spacer = last_line + dtype_text.size() + 1 > static_cast<std::size_t>(line_width)
                                   ? "\n" + std::string(prefix.size(), ' ')
                                   : " ";
    return text + spacer + dtype_text;
}

// Python's str of a float: shortest digits, positional between 1e-4 and 1e16.
template <class T> std::string python_float_text(T value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
    const double magnitude = std::fabs(static_cast<double>(value));
    if (magnitude != 0 && (magnitude < 1e-4 || magnitude >= 1e16)) {
        const Scientific s = scientific(value);
        std::string mantissa = s.mantissa;
        if (mantissa.back() == '.') mantissa.pop_back();
        return mantissa + "e" + s.exponent;
    }
    std::string text = chars(value, std::chars_format::fixed);
    if (text.find('.') == std::string::npos) text += ".0";
    return text;
}

std::string Array::str() const {
    if (ndim() == 0) {
        return visit_dtype(dtype_, [&](auto tag) -> std::string {
            using T = decltype(tag);
            const T v = *reinterpret_cast<const T*>(data());
            if constexpr (std::is_floating_point_v<T>) return python_float_text(v);
            else if constexpr (std::is_same_v<T, bool>) return v ? "True" : "False";
            else return std::to_string(v);
        });
    }
    Printer printer(*this, " ");
    return printer.format(" ", line_width);
}

} // namespace kiln
