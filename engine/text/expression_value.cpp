#include "expression_value.hpp"

#include "../api/arg.hpp"
#include "../api/config.hpp"

#include "../../ir/errors.hpp"

#include <cmath>
#include <limits>

namespace kiln::expression {

namespace {

[[noreturn]] void wrong_kind(const Value& value, const std::string& what, const std::string& expected) {
    throw TypeError(what + " must be " + expected + ", not " + kind_of(value));
}

} // namespace

Arg to_arg(const Value& value, const std::string& what) {
    if (const auto* integer = std::get_if<std::int64_t>(&value.data)) return Arg(*integer);
    if (const auto* real = std::get_if<double>(&value.data)) return Arg(*real);
    if (const auto* boolean = std::get_if<bool>(&value.data)) return Arg(*boolean);
    if (const auto* list = std::get_if<Value::List>(&value.data)) {
        std::vector<Arg> elements;
        elements.reserve(list->size());
        for (const Value& element : *list) elements.push_back(to_arg(element, what));
        return Arg(elements);
    }
    if (value.is_tensor())
        throw TypeError(what + ": a list holding tensors is not a tensor; join them with stack([...]) "
                               "or concatenate([...])");
    wrong_kind(value, what, "a tensor, a number or a list of numbers");
}

std::string kind_of(const Value& value) {
    return std::visit(
        [](const auto& data) -> std::string {
            using T = std::decay_t<decltype(data)>;
            if constexpr (std::is_same_v<T, std::monostate>) return "None";
            else if constexpr (std::is_same_v<T, Var>) return "a tensor";
            else if constexpr (std::is_same_v<T, std::int64_t>) return "an integer";
            else if constexpr (std::is_same_v<T, double>) return "a float";
            else if constexpr (std::is_same_v<T, bool>) return "a bool";
            else if constexpr (std::is_same_v<T, std::string>) return "a string";
            else return "a list";
        },
        value.data);
}

Var to_tensor(const Value& value, const std::string& what) {
    if (const auto* var = std::get_if<Var>(&value.data)) return *var;
    if (const auto* integer = std::get_if<std::int64_t>(&value.data)) return as_tensor(*integer);
    if (const auto* real = std::get_if<double>(&value.data)) return as_tensor(*real);
    if (const auto* boolean = std::get_if<bool>(&value.data)) return as_tensor(*boolean);
    return constant(to_arg(value, what).value());
}

double to_real(const Value& value, const std::string& what) {
    if (const auto* real = std::get_if<double>(&value.data)) return *real;
    if (const auto* integer = std::get_if<std::int64_t>(&value.data)) return static_cast<double>(*integer);
    if (const auto* boolean = std::get_if<bool>(&value.data)) return *boolean ? 1 : 0;
    wrong_kind(value, what, "a number");
}

std::int64_t to_integer(const Value& value, const std::string& what) {
    if (const auto* integer = std::get_if<std::int64_t>(&value.data)) return *integer;
    if (const auto* boolean = std::get_if<bool>(&value.data)) return *boolean ? 1 : 0;
    wrong_kind(value, what, "an integer");
}

int to_int(const Value& value, const std::string& what) {
    const std::int64_t integer = to_integer(value, what);
    if (integer < std::numeric_limits<int>::min() || integer > std::numeric_limits<int>::max())
        throw ValueError(what + " is out of range: " + std::to_string(integer));
    return static_cast<int>(integer);
}

bool to_bool(const Value& value, const std::string& what) {
    if (const auto* boolean = std::get_if<bool>(&value.data)) return *boolean;
    wrong_kind(value, what, "True or False");
}

const std::string& to_string(const Value& value, const std::string& what) {
    if (const auto* text = std::get_if<std::string>(&value.data)) return *text;
    wrong_kind(value, what, "a string");
}

DType dtype_from_spelling(std::string_view spelling) {
    struct Short {
        std::string_view name;
        DType dtype;
    };
    static constexpr Short short_names[] = {
        {"b", DType::bool_},     {"i8", DType::int8},     {"i16", DType::int16},     {"i32", DType::int32},
        {"i64", DType::int64},   {"u8", DType::uint8},    {"u16", DType::uint16},    {"u32", DType::uint32},
        {"u64", DType::uint64},  {"f32", DType::float32}, {"f64", DType::float64},
    };
    for (const Short& entry : short_names)
        if (entry.name == spelling) return entry.dtype;
    if (spelling == "floatX") return config().floatX();
    try {
        return dtype_from_name(spelling);
    } catch (const TypeError&) {
        throw TypeError("unknown dtype '" + std::string(spelling) +
                        "': use bool, int8..int64, uint8..uint64, float32, float64, their short forms "
                        "(b, i8, u8, f32, f64, ...) or floatX");
    }
}

DType to_dtype(const Value& value, const std::string& what) {
    return dtype_from_spelling(to_string(value, what));
}

std::vector<int> to_int_list(const Value& value, const std::string& what) {
    if (const auto* list = std::get_if<Value::List>(&value.data)) {
        std::vector<int> result;
        for (const Value& element : *list) result.push_back(to_int(element, what + " entry"));
        return result;
    }
    if (std::holds_alternative<std::int64_t>(value.data)) return {to_int(value, what)};
    wrong_kind(value, what, "an integer or a list of integers");
}

Axes to_axes(const Value& value, const std::string& what) {
    if (value.is_none()) return Axes();
    return Axes(to_int_list(value, what));
}

std::vector<Var> to_tensor_list(const Value& value, const std::string& what) {
    const auto* list = std::get_if<Value::List>(&value.data);
    if (!list) wrong_kind(value, what, "a list of tensors");
    std::vector<Var> result;
    for (const Value& element : *list) result.push_back(to_tensor(element, what + " entry"));
    return result;
}

std::vector<Operand> to_shape(const Value& value, const std::string& what) {
    const auto* list = std::get_if<Value::List>(&value.data);
    if (!list) {
        if (value.is_tensor())
            throw TypeError(what + " must be a list of lengths such as [n, 3] or [x.shape[0], -1], not a tensor");
        wrong_kind(value, what, "a list of lengths");
    }
    std::vector<Operand> result;
    for (const Value& element : *list) {
        if (const auto* var = std::get_if<Var>(&element.data)) result.emplace_back(*var);
        else result.emplace_back(to_integer(element, what + " entry"));
    }
    return result;
}

std::optional<Value> fold_numbers(std::string_view op, const Value& a, const Value& b) {
    if (!a.is_number() || !b.is_number()) return std::nullopt;
    const auto as_integer = [](const Value& v, std::int64_t& out) {
        if (const auto* integer = std::get_if<std::int64_t>(&v.data)) out = *integer;
        else if (const auto* boolean = std::get_if<bool>(&v.data)) out = *boolean ? 1 : 0;
        else return false;
        return true;
    };
    const auto as_real = [](const Value& v) {
        if (const auto* real = std::get_if<double>(&v.data)) return *real;
        if (const auto* integer = std::get_if<std::int64_t>(&v.data)) return static_cast<double>(*integer);
        return std::get<bool>(v.data) ? 1.0 : 0.0;
    };
    const auto overflow = [&]() -> Value {
        throw ValueError("the integer result of " + std::string(op) + " on two literals does not fit in int64");
    };
    const auto zero_division = [&]() -> Value { throw ValueError("division by zero in " + std::string(op) + " on two literals"); };
    const auto make = [&](auto value) { return Value{value, a.at}; };

    std::int64_t x = 0, y = 0;
    const bool integers = as_integer(a, x) && as_integer(b, y);
    const auto compare = [&](auto p, auto q) -> std::optional<Value> {
        if (op == "<") return make(p < q);
        if (op == "<=") return make(p <= q);
        if (op == ">") return make(p > q);
        if (op == ">=") return make(p >= q);
        if (op == "==") return make(p == q);
        if (op == "!=") return make(p != q);
        return std::nullopt;
    };
    // Integers compare exactly: as doubles, 2**53 + 1 would equal 2**53.
    if (auto result = integers ? compare(x, y) : compare(as_real(a), as_real(b))) return result;
    if (op == "&" || op == "|" || op == "^") {
        if (!integers) throw TypeError("'" + std::string(op) + "' needs integer or bool literals, not floats");
        const std::int64_t r = op == "&" ? (x & y) : op == "|" ? (x | y) : (x ^ y);
        if (std::holds_alternative<bool>(a.data) && std::holds_alternative<bool>(b.data)) return make(r != 0);
        return make(r);
    }
    if (op == "/") {
        if (as_real(b) == 0.0) return zero_division();
        return make(as_real(a) / as_real(b));
    }
    if (integers) {
        std::int64_t r = 0;
        if (op == "+") return __builtin_add_overflow(x, y, &r) ? overflow() : make(r);
        if (op == "-") return __builtin_sub_overflow(x, y, &r) ? overflow() : make(r);
        if (op == "*") return __builtin_mul_overflow(x, y, &r) ? overflow() : make(r);
        if (op == "//" || op == "%") {
            if (y == 0) return zero_division();
            if (x == std::numeric_limits<std::int64_t>::min() && y == -1) return overflow();
            std::int64_t quotient = x / y, remainder = x % y;
            // Python floors: the remainder takes the divisor's sign.
            if (remainder != 0 && ((remainder < 0) != (y < 0))) {
                --quotient;
                remainder += y;
            }
            return make(op == "//" ? quotient : remainder);
        }
        if (op == "**" && y >= 0) {
            std::int64_t result = 1, base = x;
            for (std::int64_t e = y; e > 0; e >>= 1) {
                if ((e & 1) && __builtin_mul_overflow(result, base, &result)) return overflow();
                if (e > 1 && __builtin_mul_overflow(base, base, &base)) return overflow();
            }
            return make(result);
        }
    }
    const double p = as_real(a), q = as_real(b);
    if (op == "+") return make(p + q);
    if (op == "-") return make(p - q);
    if (op == "*") return make(p * q);
    if (op == "**") {
        if (p == 0.0 && q < 0.0) return zero_division();
        return make(std::pow(p, q));
    }
    if (op == "//" || op == "%") {
        if (q == 0.0) return zero_division();
        double remainder = std::fmod(p, q);
        if (remainder != 0.0 && ((remainder < 0.0) != (q < 0.0))) remainder += q;
        return make(op == "//" ? std::floor((p - remainder) / q + 0.5) : remainder);
    }
    throw TypeError("'" + std::string(op) + "' does not apply to two numbers");
}

} // namespace kiln::expression
