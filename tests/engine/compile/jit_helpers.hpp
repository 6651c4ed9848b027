// Helpers for tests that hold the JIT against the reference interpreter.
#pragma once

#include "../test_helpers.hpp"

#include <random>
#include <string>
#include <variant>

namespace kiln::test {

inline Function compile_with(Linker linker, const std::vector<Var>& inputs, const Var& out) {
    return compile(inputs, std::vector<Var>{out}, {.on_unused_input = OnUnusedInput::ignore, .linker = linker});
}

// Random values of `dtype` (with NaN, infinities and signed zeros for floats),
// kept inside what the op defines: no zero divisors for integer division.
inline Array random_array(DType dtype, Shape shape, std::mt19937& rng, ScalarOp op, int position) {
    Array out = Array::zeros(dtype, shape);
    const std::int64_t n = out.size();
    visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* data = out.mutable_data_as<T>();
        for (std::int64_t i = 0; i < n; ++i) {
            if constexpr (std::is_same_v<T, bool>) {
                const bool divisor = (op == ScalarOp::int_div || op == ScalarOp::mod) && position == 1;
                data[i] = divisor || rng() % 2;
            } else if constexpr (std::is_floating_point_v<T>) {
                const double specials[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 1.0, -1.0, 0.5};
                data[i] = (rng() % 6 == 0) ? static_cast<T>(specials[rng() % 8])
                                           : static_cast<T>(std::uniform_real_distribution<double>(-3, 3)(rng));
            } else {
                const bool divisor = (op == ScalarOp::int_div || op == ScalarOp::mod) && position == 1;
                const bool exponent = op == ScalarOp::pow && position == 1;
                std::int64_t v = std::is_signed_v<T> ? static_cast<std::int64_t>(rng() % 15) - 7
                                                     : static_cast<std::int64_t>(rng() % 15);
                if (exponent) v = std::is_signed_v<T> ? static_cast<std::int64_t>(rng() % 9) - 3 : rng() % 6;
                if (divisor && v == 0) v = 3;
                data[i] = static_cast<T>(v);
            }
        }
    });
    return out;
}

/// Equal values: exactly for integers, infinities, zeros and NaN; within a
/// relative `epsilon` for other floats (float32 within 1e-6).
inline void check_same(const Array& expected, const Array& actual, double epsilon = 1e-14) {
    REQUIRE(expected.dtype() == actual.dtype());
    REQUIRE(expected.shape() == actual.shape());
    const bool single = expected.dtype() == DType::float32;
    for (std::int64_t i = 0; i < expected.size(); ++i) {
        CAPTURE(i);
        if (is_float(expected.dtype())) {
            const double e = expected.value_at<double>(i);
            const double a = actual.value_at<double>(i);
            if (std::isnan(e)) {
                CHECK(std::isnan(a));
            } else if (std::isinf(e) || e == 0) {
                CHECK(a == e);
            } else {
                CHECK(a == doctest::Approx(e).epsilon(single ? 1e-6 : epsilon).scale(0));
            }
        } else {
            CHECK(expected.value_at<std::int64_t>(i) == actual.value_at<std::int64_t>(i));
        }
    }
}

// The transpose of a fresh (cols, rows) array: same values, strides (1, rows).
inline Array transposed_copy(const Array& a) {
    const Shape& s = a.shape();
    Array storage = Array::zeros(a.dtype(), {s[1], s[0]});
    Array view = storage.view(s, {1, s[0]});
    visit_dtype(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* data = storage.mutable_data_as<T>();
        for (std::int64_t i = 0; i < s[0]; ++i)
            for (std::int64_t j = 0; j < s[1]; ++j) data[j * s[0] + i] = a.value_at<T>(i * s[1] + j);
    });
    return view;
}

inline const DType tested_dtypes[] = {DType::float64, DType::float32, DType::int64, DType::int32,
                               DType::int8,    DType::uint8,   DType::uint64, DType::bool_};

/// The reference and the compiled function called with the same arguments:
/// both raise the same error text, or both return the same first output
/// (as check_same compares them).
inline void check_same_call(const Function& reference, const Function& jit, const std::vector<Arg>& arguments,
                            double epsilon = 1e-14) {
    auto outcome = [&](const Function& f) -> std::variant<Array, std::string> {
        try {
            return f.call(arguments)[0];
        } catch (const Error& e) {
            return std::string(e.what());
        }
    };
    const auto expected = outcome(reference);
    const auto actual = outcome(jit);
    REQUIRE(expected.index() == actual.index());
    if (expected.index() == 1) CHECK(std::get<1>(expected) == std::get<1>(actual));
    else check_same(std::get<0>(expected), std::get<0>(actual), epsilon);
}

} // namespace kiln::test
