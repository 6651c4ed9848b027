// Arg: a value handed to kiln from C++ — a scalar, nested braces such as
// {{1, 2}, {3, 4}}, a std::vector, or an Array. Scalars and braces behave as
// Python values do in Theano: checked by exact conversion to the input's
// dtype. Arrays are checked by dtype.
#pragma once

#include "../../ir/array.hpp"

#include <initializer_list>
#include <span>
#include <type_traits>
#include <vector>

namespace kiln {

class Arg {
public:
    Arg(bool value) : value_(Array::scalar(value)), from_literal_(true) {}
    template <class T>
        requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
    Arg(T value) : value_(Array::scalar<std::int64_t>(static_cast<std::int64_t>(value))), from_literal_(true) {}
    template <class T>
        requires std::is_floating_point_v<T>
    Arg(T value) : value_(Array::scalar<double>(static_cast<double>(value))), from_literal_(true),
                   python_float_(true) {}
    /// Nested braces: every element must have the same shape; ints and
    /// floats mix to float64 as in np.asarray.
    Arg(std::initializer_list<Arg> elements) : Arg(std::span<const Arg>(elements.begin(), elements.size())) {}
    /// Nesting built at run time, such as a parsed list literal.
    explicit Arg(std::span<const Arg> elements);
    template <class T>
        requires std::is_arithmetic_v<T>
    Arg(const std::vector<T>& values) : value_(Array::from_values(values)), from_literal_(false) {}
    Arg(Array value) : value_(std::move(value)), from_literal_(false) {}

    const Array& value() const { return value_; }
    /// True for C++ scalars and braces (Python values), false for arrays.
    bool from_literal() const { return from_literal_; }
    /// True for a single C++ floating-point scalar (a Python float).
    bool python_float() const { return python_float_; }

private:
    Array value_;
    bool from_literal_ = false;
    bool python_float_ = false;
};

} // namespace kiln
