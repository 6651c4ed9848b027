// What an expression evaluates to while it is parsed: a tensor, a Python
// number, bool, string or None, or a list of values; and the conversions the
// functions of the syntax apply to their arguments.
#pragma once

#include "expression_lexer.hpp"

#include "../api/arg.hpp"
#include "../api/operators.hpp"
#include "../ops/reduce.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace kiln::expression {

struct Value {
    using List = std::vector<Value>;
    std::variant<std::monostate, Var, std::int64_t, double, bool, std::string, List> data;
    Position at;

    bool is_none() const { return std::holds_alternative<std::monostate>(data); }
    bool is_tensor() const { return std::holds_alternative<Var>(data); }
    bool is_list() const { return std::holds_alternative<List>(data); }
    bool is_number() const {
        return std::holds_alternative<std::int64_t>(data) || std::holds_alternative<double>(data) ||
               std::holds_alternative<bool>(data);
    }
};

/// "a tensor", "an integer", "a float", "a bool", "a string", "None", "a list".
std::string kind_of(const Value& value);

// Each conversion throws kiln::TypeError naming `what` (e.g. "sum() argument
// 'axis'") and the kind of value it got.

/// A number or nested list of numbers as the Arg C++ braces would make.
Arg to_arg(const Value& value, const std::string& what);
/// A tensor as Theano's as_tensor_variable: numbers become literal
/// constants, nested lists of numbers constant arrays (as np.asarray).
Var to_tensor(const Value& value, const std::string& what);
std::int64_t to_integer(const Value& value, const std::string& what);
/// A Python number (int, float or bool) as a double.
double to_real(const Value& value, const std::string& what);
int to_int(const Value& value, const std::string& what);
bool to_bool(const Value& value, const std::string& what);
const std::string& to_string(const Value& value, const std::string& what);
/// A dtype name: NumPy's ("float32"), short ("f32"), or "floatX".
DType to_dtype(const Value& value, const std::string& what);
/// An integer or a list of integers.
std::vector<int> to_int_list(const Value& value, const std::string& what);
/// None (all axes), an integer or a list of integers.
Axes to_axes(const Value& value, const std::string& what);
/// A list of tensors.
std::vector<Var> to_tensor_list(const Value& value, const std::string& what);
/// A list whose entries are integers or integer scalar tensors (a shape).
std::vector<Operand> to_shape(const Value& value, const std::string& what);

/// Python's arithmetic on two Python numbers (`2 ** -1` is 0.5, `7 // -2`
/// is -4), so literals combine before they become tensors; nothing when
/// either side is not a number. Throws ValueError for a division by zero
/// and for an integer result beyond int64.
std::optional<Value> fold_numbers(std::string_view op, const Value& a, const Value& b);

/// A dtype from a declaration or a dtype= argument; throws TypeError.
DType dtype_from_spelling(std::string_view spelling);

} // namespace kiln::expression
