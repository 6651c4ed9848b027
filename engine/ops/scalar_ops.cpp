#include "scalar_ops.hpp"

#include "../../ir/scalar_op_definitions.hpp"

#include "../../ir/errors.hpp"

#include <cmath>
#include <type_traits>

namespace kiln {

namespace {

using R = DTypeRule;
using S = ScalarOp;

// Integer overflow wraps as in NumPy, computed in unsigned arithmetic at
// least as wide as int, so C++ never sees a signed overflow.
template <class T, class F> T wrapping(T a, T b, F f) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        using U = std::conditional_t<(sizeof(T) <= sizeof(std::uint32_t)), std::uint32_t, std::uint64_t>;
        return static_cast<T>(f(static_cast<U>(a), static_cast<U>(b)));
    } else {
        return static_cast<T>(f(a, b));
    }
}

[[noreturn]] void integer_division_by_zero() { throw ValueError("integer division by zero"); }

// Python's floor division and modulo (the result takes the divisor's sign).
template <class T> T floor_div(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
        if (b == 0) return a / b;
        T mod = std::fmod(a, b);
        T div = (a - mod) / b;
        if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
        if (div == 0) return std::copysign(T(0), a / b);
        T floored = std::floor(div);
        if (div - floored > T(0.5)) floored += 1;
        return floored;
    } else {
        if (b == 0) integer_division_by_zero();
        if constexpr (std::is_signed_v<T>) {
            if (b == -1) return wrapping(T(0), a, [](auto x, auto y) { return x - y; });
            T q = a / b;
            if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
            return q;
        } else {
            return a / b;
        }
    }
}

template <class T> T python_mod(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
        if (b == 0) return std::fmod(a, b);
        T mod = std::fmod(a, b);
        if (mod != 0) {
            if ((b < 0) != (mod < 0)) mod += b;
        } else {
            mod = std::copysign(T(0), b);
        }
        return mod;
    } else {
        if (b == 0) integer_division_by_zero();
        if constexpr (std::is_signed_v<T>) {
            if (b == -1) return 0;
            T m = a % b;
            if (m != 0 && ((m < 0) != (b < 0))) m += b;
            return m;
        } else {
            return a % b;
        }
    }
}

// Integer power by squaring; a negative exponent gives 0 except for 1 and -1
// (NumPy raises there; kiln has no error path inside a loop).
template <class T> T integer_pow(T base, T exponent) {
    if constexpr (std::is_signed_v<T>) {
        if (exponent < 0) return base == 1 ? 1 : base == -1 ? (exponent % 2 ? -1 : 1) : 0;
    }
    T result = 1;
    while (exponent > 0) {
        if (exponent & 1) result = wrapping(result, base, [](auto x, auto y) { return x * y; });
        base = wrapping(base, base, [](auto x, auto y) { return x * y; });
        exponent >>= 1;
    }
    return result;
}

// Numerically stable logistic function.
template <class T> T sigmoid(T x) {
    if (x >= 0) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
}

// log(1 + exp(x)) without overflow, accurate in both tails.
template <class T> T softplus(T x) {
    if (x < T(-37)) return std::exp(x);
    if (x < T(18)) return std::log1p(std::exp(x));
    if (x < T(33.3)) return x + std::exp(-x);
    return x;
}

[[noreturn]] void unsupported(ScalarOp op, DType dtype) {
    KILN_CHECK(false, "scalar op " + std::string(scalar_op_info(op).name) + " has no " +
                          std::string(dtype_name(dtype)) + " computation");
}

template <class T> T unary(ScalarOp op, T x) {
    if constexpr (std::is_same_v<T, bool>) {
        switch (op) {
        case S::abs:
        case S::sqr:
        case S::sign: return x;
        case S::invert: return !x;
        default: break;
        }
    } else if constexpr (std::is_integral_v<T>) {
        switch (op) {
        case S::neg: return wrapping(T(0), x, [](auto p, auto q) { return p - q; });
        case S::abs:
            if constexpr (std::is_signed_v<T>) return x < 0 ? wrapping(T(0), x, [](auto p, auto q) { return p - q; }) : x;
            else return x;
        case S::sign: return static_cast<T>((x > 0) - (x < 0));
        case S::sqr: return wrapping(x, x, [](auto p, auto q) { return p * q; });
        case S::invert: return static_cast<T>(~x);
        default: break;
        }
    } else {
        switch (op) {
        case S::neg: return -x;
        case S::abs: return std::fabs(x);
        case S::sign: return std::isnan(x) ? x : static_cast<T>((x > 0) - (x < 0));
        case S::sqr: return x * x;
        case S::inv: return T(1) / x;
        case S::exp: return std::exp(x);
        case S::exp2: return std::exp2(x);
        case S::expm1: return std::expm1(x);
        case S::log: return std::log(x);
        case S::log2: return std::log2(x);
        case S::log10: return std::log10(x);
        case S::log1p: return std::log1p(x);
        case S::sqrt: return std::sqrt(x);
        case S::sin: return std::sin(x);
        case S::cos: return std::cos(x);
        case S::tan: return std::tan(x);
        case S::arcsin: return std::asin(x);
        case S::arccos: return std::acos(x);
        case S::arctan: return std::atan(x);
        case S::sinh: return std::sinh(x);
        case S::cosh: return std::cosh(x);
        case S::tanh: return std::tanh(x);
        case S::sigmoid: return sigmoid(x);
        case S::softplus: return softplus(x);
        case S::erf: return std::erf(x);
        case S::erfc: return std::erfc(x);
        case S::floor: return std::floor(x);
        case S::ceil: return std::ceil(x);
        case S::round_half_to_even: return std::nearbyint(x); // the default mode rounds half to even
        case S::trunc: return std::trunc(x);
        default: break;
        }
    }
    unsupported(op, dtype_of<T>());
}

template <class T> T binary(ScalarOp op, T a, T b) {
    auto plus = [](auto p, auto q) { return p + q; };
    auto minus = [](auto p, auto q) { return p - q; };
    auto times = [](auto p, auto q) { return p * q; };
    if constexpr (std::is_same_v<T, bool>) {
        // NumPy: + on booleans is logical or, * is logical and.
        switch (op) {
        case S::add:
        case S::or_:
        case S::maximum: return a || b;
        case S::mul:
        case S::and_:
        case S::minimum: return a && b;
        case S::xor_: return a != b;
        case S::second: return b;
        default: break;
        }
    } else {
        switch (op) {
        case S::add: return wrapping(a, b, plus);
        case S::sub: return wrapping(a, b, minus);
        case S::mul: return wrapping(a, b, times);
        case S::true_div: return a / b;
        case S::int_div: return floor_div(a, b);
        case S::mod: return python_mod(a, b);
        // NaN wins, as in NumPy's maximum and minimum.
        case S::maximum:
            if constexpr (std::is_floating_point_v<T>) {
                if (std::isnan(a) || std::isnan(b)) return a + b;
            }
            return a < b ? b : a;
        case S::minimum:
            if constexpr (std::is_floating_point_v<T>) {
                if (std::isnan(a) || std::isnan(b)) return a + b;
            }
            return b < a ? b : a;
        case S::second: return b;
        default: break;
        }
        if constexpr (std::is_floating_point_v<T>) {
            switch (op) {
            case S::pow: return std::pow(a, b);
            case S::arctan2: return std::atan2(a, b);
            default: break;
            }
        } else {
            switch (op) {
            case S::pow: return integer_pow(a, b);
            case S::and_: return static_cast<T>(a & b);
            case S::or_: return static_cast<T>(a | b);
            case S::xor_: return static_cast<T>(a ^ b);
            default: break;
            }
        }
    }
    unsupported(op, dtype_of<T>());
}

template <class T> bool compare(ScalarOp op, T a, T b) {
    switch (op) {
    case S::lt: return a < b;
    case S::gt: return a > b;
    case S::le: return a <= b;
    case S::ge: return a >= b;
    case S::eq: return a == b;
    case S::neq: return a != b;
    default: unsupported(op, dtype_of<T>());
    }
}

template <class T> bool predicate(ScalarOp op, T x) {
    if constexpr (std::is_floating_point_v<T>) return op == S::isnan ? std::isnan(x) : std::isinf(x);
    else return false; // integers are never NaN or infinite
}

template <std::size_t N> std::array<const Shape*, N> stride_list(const Shape& out, const std::vector<Shape>& in) {
    std::array<const Shape*, N> list{&out};
    for (std::size_t k = 1; k < N; ++k) list[k] = &in[k - 1];
    return list;
}

template <class T> void compute_typed(ScalarOp op, const std::vector<Array>& in, const std::vector<Shape>& strides,
                                      Array& out) {
    const Shape out_strides = out.strides();
    const ScalarOpInfo& info = scalar_op_info(op);
    if (info.rule == R::boolean || info.rule == R::predicate) {
        bool* dst = out.mutable_data_as<bool>();
        const T* a = in[0].data_as<T>();
        if (info.arity == 1) {
            walk_strided<2>(out.shape(), stride_list<2>(out_strides, strides),
                            [&](const auto& at) { dst[at[0]] = predicate(op, a[at[1]]); });
        } else {
            const T* b = in[1].data_as<T>();
            walk_strided<3>(out.shape(), stride_list<3>(out_strides, strides),
                            [&](const auto& at) { dst[at[0]] = compare(op, a[at[1]], b[at[2]]); });
        }
        return;
    }
    T* dst = out.mutable_data_as<T>();
    if (op == S::where) {
        const bool* c = in[0].data_as<bool>();
        const T* a = in[1].data_as<T>();
        const T* b = in[2].data_as<T>();
        walk_strided<4>(out.shape(), stride_list<4>(out_strides, strides),
                        [&](const auto& at) { dst[at[0]] = c[at[1]] ? a[at[2]] : b[at[3]]; });
        return;
    }
    const T* a = in[0].data_as<T>();
    switch (info.arity) {
    case 1:
        walk_strided<2>(out.shape(), stride_list<2>(out_strides, strides),
                        [&](const auto& at) { dst[at[0]] = unary(op, a[at[1]]); });
        return;
    case 2: {
        const T* b = in[1].data_as<T>();
        walk_strided<3>(out.shape(), stride_list<3>(out_strides, strides),
                        [&](const auto& at) { dst[at[0]] = binary(op, a[at[1]], b[at[2]]); });
        return;
    }
    default: {
        KILN_CHECK(op == S::clip, "ternary scalar op " + std::string(info.name));
        const T* lo = in[1].data_as<T>();
        const T* hi = in[2].data_as<T>();
        walk_strided<4>(out.shape(), stride_list<4>(out_strides, strides), [&](const auto& at) {
            const T x = a[at[1]];
            dst[at[0]] = x < lo[at[2]] ? lo[at[2]] : (hi[at[3]] < x ? hi[at[3]] : x);
        });
    }
    }
}

// Scalar-op definitions evaluated over whole arrays of `shape`, in `dtype`:
// each op of the definition through the reference computation.
struct ArrayAlgebra {
    using Value = Array;
    Shape shape;
    DType dtype;
    Array apply(ScalarOp op, std::initializer_list<Array> operands) {
        std::vector<DType> dtypes;
        for (const Array& operand : operands) dtypes.push_back(operand.dtype());
        const DType result = scalar_op_result(op, dtypes, dtype);
        const DType compute = scalar_op_compute_dtype(op, dtypes, result);
        std::vector<Array> converted;
        std::vector<Shape> strides;
        for (const Array& operand : operands) {
            const DType target = scalar_op_operand_dtype(op, converted.size(), compute);
            converted.push_back(operand.dtype() == target ? operand : operand.astype(target));
            // A constant is 0-d: the same element at every position.
            strides.push_back(operand.ndim() == 0 ? Shape(shape.size(), 0) : converted.back().strides());
        }
        Array out = Array::zeros(result, shape);
        compute_scalar_op(op, converted, strides, out);
        return out;
    }
    Array constant(double value) { return Array::full(dtype, {}, value); }
};

} // namespace

void compute_scalar_op(ScalarOp op, const std::vector<Array>& inputs, const std::vector<Shape>& strides, Array& out) {
    // where() computes in the dtype of its values, not of its condition.
    const std::size_t value_input = op == S::where ? 1 : 0;
    if (is_composite_scalar_op(op)) {
        // Inputs come in the op's compute dtype, seen through their strides.
        std::vector<Array> views;
        for (std::size_t k = 0; k < inputs.size(); ++k) views.push_back(inputs[k].view(out.shape(), strides[k]));
        ArrayAlgebra algebra{out.shape(), inputs[value_input].dtype()};
        const Array result = *expand_scalar_op(op, algebra, std::span<const Array>(views));
        out = result.astype(out.dtype());
        return;
    }
    visit_dtype(inputs[value_input].dtype(), [&](auto tag) {
        using T = decltype(tag);
        compute_typed<T>(op, inputs, strides, out);
    });
}

} // namespace kiln
