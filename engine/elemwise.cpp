#include "elemwise.hpp"

#include "config.hpp"
#include "dimshuffle.hpp"

#include "../ir/errors.hpp"

#include <cmath>
#include <type_traits>

namespace kiln {

namespace {

struct ScalarOpInfo {
    std::string_view name;
    int arity;
    std::string_view infix; // empty: printed as a function call
    bool comparison;
};

const ScalarOpInfo& info(ScalarOp op) {
    static const ScalarOpInfo table[] = {
        {"add", 2, "+", false},     {"sub", 2, "-", false},     {"mul", 2, "*", false},
        {"true_div", 2, "/", false}, {"int_div", 2, "//", false}, {"mod", 2, "%", false},
        {"neg", 1, "-", false},     {"lt", 2, "", true},        {"gt", 2, "", true},
        {"le", 2, "", true},        {"ge", 2, "", true},        {"eq", 2, "", true},
        {"neq", 2, "", true},
    };
    return table[static_cast<int>(op)];
}

DType output_dtype(ScalarOp op, const std::vector<Var>& inputs) {
    DType common = inputs[0].dtype();
    for (std::size_t i = 1; i < inputs.size(); ++i) common = promote(common, inputs[i].dtype());
    if (info(op).comparison) return DType::bool_;
    switch (op) {
    case ScalarOp::true_div: return is_discrete(common) ? config().floatX() : common;
    case ScalarOp::int_div:
    case ScalarOp::mod: return common == DType::bool_ ? DType::int8 : common;
    case ScalarOp::sub:
    case ScalarOp::neg:
        if (common == DType::bool_)
            throw TypeError(std::string(op == ScalarOp::neg ? "neg" : "sub") +
                            "(): bool operands are not supported (use xor or invert for booleans)");
        return common;
    default: return common;
    }
}

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

// Python's floor division and modulo (result takes the divisor's sign).
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

template <class T, class Out, class F>
void binary_loop(const std::vector<Array>& in, const std::vector<Shape>& in_strides, Array& out, F f) {
    Out* dst = out.mutable_data_as<Out>();
    const Shape out_strides = out.strides();
    const auto* a = in[0].data_as<T>();
    const auto* b = in[1].data_as<T>();
    walk_strided<3>(out.shape(), {&out_strides, &in_strides[0], &in_strides[1]},
                    [&](const auto& at) { dst[at[0]] = static_cast<Out>(f(a[at[1]], b[at[2]])); });
}

// Arithmetic on inputs already converted to the output's type T.
template <class T> void arithmetic(ScalarOp op, const std::vector<Array>& in, const std::vector<Shape>& strides, Array& out) {
    if (op == ScalarOp::neg) {
        T* dst = out.mutable_data_as<T>();
        const Shape out_strides = out.strides();
        const auto* a = in[0].data_as<T>();
        walk_strided<2>(out.shape(), {&out_strides, &strides[0]}, [&](const auto& at) {
            dst[at[0]] = wrapping(T(0), a[at[1]], [](auto x, auto y) { return x - y; });
        });
        return;
    }
    if constexpr (std::is_same_v<T, bool>) {
        // NumPy: + on booleans is logical or, * is logical and.
        switch (op) {
        case ScalarOp::add: return binary_loop<T, T>(in, strides, out, [](bool x, bool y) { return x || y; });
        case ScalarOp::mul: return binary_loop<T, T>(in, strides, out, [](bool x, bool y) { return x && y; });
        default: break;
        }
    } else {
        auto plus = [](auto p, auto q) { return p + q; };
        auto minus = [](auto p, auto q) { return p - q; };
        auto times = [](auto p, auto q) { return p * q; };
        switch (op) {
        case ScalarOp::add: return binary_loop<T, T>(in, strides, out, [&](T x, T y) { return wrapping(x, y, plus); });
        case ScalarOp::sub: return binary_loop<T, T>(in, strides, out, [&](T x, T y) { return wrapping(x, y, minus); });
        case ScalarOp::mul: return binary_loop<T, T>(in, strides, out, [&](T x, T y) { return wrapping(x, y, times); });
        case ScalarOp::true_div: return binary_loop<T, T>(in, strides, out, [](T x, T y) { return x / y; });
        case ScalarOp::int_div: return binary_loop<T, T>(in, strides, out, [](T x, T y) { return floor_div(x, y); });
        case ScalarOp::mod: return binary_loop<T, T>(in, strides, out, [](T x, T y) { return python_mod(x, y); });
        default: break;
        }
    }
    KILN_CHECK(false, "Elemwise{" + std::string(info(op).name) + "} on " + std::string(dtype_name(dtype_of<T>())));
}

// Comparisons of inputs converted to their common type T; bool results.
template <class T> void comparison(ScalarOp op, const std::vector<Array>& in, const std::vector<Shape>& strides, Array& out) {
    switch (op) {
    case ScalarOp::lt: return binary_loop<T, bool>(in, strides, out, [](T x, T y) { return x < y; });
    case ScalarOp::gt: return binary_loop<T, bool>(in, strides, out, [](T x, T y) { return x > y; });
    case ScalarOp::le: return binary_loop<T, bool>(in, strides, out, [](T x, T y) { return x <= y; });
    case ScalarOp::ge: return binary_loop<T, bool>(in, strides, out, [](T x, T y) { return x >= y; });
    case ScalarOp::eq: return binary_loop<T, bool>(in, strides, out, [](T x, T y) { return x == y; });
    case ScalarOp::neq: return binary_loop<T, bool>(in, strides, out, [](T x, T y) { return x != y; });
    default: KILN_CHECK(false, "Elemwise{" + std::string(info(op).name) + "} is not a comparison");
    }
}

} // namespace

std::string_view scalar_op_name(ScalarOp op) { return info(op).name; }

std::string Elemwise::params() const { return std::string(info(scalar_op_).name); }

std::string Elemwise::name() const { return "Elemwise{" + params() + ",no_inplace}"; }

std::string Elemwise::pp(const Apply&, const std::vector<std::string>& inputs) const {
    const ScalarOpInfo& op = info(scalar_op_);
    if (op.infix.empty()) {
        // Theano's FunctionPrinter: the scalar op's name, "gt(x, y)".
        std::string text = std::string(op.name) + "(";
        for (std::size_t i = 0; i < inputs.size(); ++i) text += (i > 0 ? ", " : "") + inputs[i];
        return text + ")";
    }
    if (op.arity == 1) return "(" + std::string(op.infix) + inputs[0] + ")";
    std::string text = "(" + inputs[0];
    for (std::size_t i = 1; i < inputs.size(); ++i) text += " " + std::string(op.infix) + " " + inputs[i];
    return text + ")";
}

std::vector<Array> Elemwise::perform(const Apply& node, const std::vector<Array>& inputs) const {
    const int ndim = node.output(0)->type().ndim();
    Shape out_shape(ndim, 1);
    // Non-broadcastable dimensions must agree exactly; broadcastable ones are 1.
    for (int d = 0; d < ndim; ++d) {
        int first = -1;
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            if (node.inputs()[i]->type().broadcastable()[d]) continue;
            if (first < 0) {
                first = static_cast<int>(i);
                out_shape[d] = inputs[i].shape()[d];
            } else if (inputs[i].shape()[d] != out_shape[d]) {
                throw ValueError("Input dimension mis-match. (input[" + std::to_string(first) + "].shape[" +
                                 std::to_string(d) + "] = " + std::to_string(out_shape[d]) + ", input[" +
                                 std::to_string(i) + "].shape[" + std::to_string(d) +
                                 "] = " + std::to_string(inputs[i].shape()[d]) + ")");
            }
        }
    }
    DType compute_dtype = node.output(0)->type().dtype();
    if (info(scalar_op_).comparison) {
        compute_dtype = inputs[0].dtype();
        for (const Array& input : inputs) compute_dtype = promote(compute_dtype, input.dtype());
    }
    std::vector<Array> converted;
    std::vector<Shape> strides;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        converted.push_back(inputs[i].dtype() == compute_dtype ? inputs[i] : inputs[i].astype(compute_dtype));
        Shape s = converted.back().strides();
        for (int d = 0; d < ndim; ++d)
            if (node.inputs()[i]->type().broadcastable()[d]) s[d] = 0;
        strides.push_back(std::move(s));
    }
    Array out = Array::zeros(node.output(0)->type().dtype(), out_shape);
    visit_dtype(compute_dtype, [&](auto compute_tag) {
        using T = decltype(compute_tag);
        if (info(scalar_op_).comparison) comparison<T>(scalar_op_, converted, strides, out);
        else arithmetic<T>(scalar_op_, converted, strides, out);
    });
    return {out};
}

Var elemwise(ScalarOp op, std::vector<Var> inputs) {
    const ScalarOpInfo& op_info = info(op);
    KILN_CHECK(static_cast<int>(inputs.size()) == op_info.arity,
               std::string(op_info.name) + " takes " + std::to_string(op_info.arity) + " inputs");
    int ndim = 0;
    for (const Var& input : inputs) ndim = std::max(ndim, input.ndim());
    for (Var& input : inputs) {
        if (input.ndim() == ndim) continue;
        std::vector<DimShuffle::Entry> order(ndim - input.ndim(), DimShuffle::new_axis);
        for (int d = 0; d < input.ndim(); ++d) order.push_back(d);
        input = dimshuffle(input, order);
    }
    std::vector<bool> broadcastable(ndim, true);
    for (const Var& input : inputs)
        for (int d = 0; d < ndim; ++d) broadcastable[d] = broadcastable[d] && input.broadcastable()[d];
    const DType dtype = output_dtype(op, inputs);
    std::vector<VariablePtr> nodes(inputs.begin(), inputs.end());
    return Var(Apply::make(std::make_shared<Elemwise>(op), std::move(nodes), {TensorType(dtype, broadcastable)})->output(0));
}

} // namespace kiln
