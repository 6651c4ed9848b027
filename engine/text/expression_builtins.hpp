// The functions of kiln's expression syntax: the op catalogue under its
// Python names (sum(x, axis=1), grad(cost, wrt), ...), each with a
// Python-style signature that binds positional and keyword arguments.
#pragma once

#include "expression_value.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::expression {

struct Builtin;

/// A call's arguments bound to a builtin's parameters, defaults filled in.
class CallArguments {
public:
    /// Binds as Python does; throws TypeError for a missing, repeated or
    /// unknown argument, naming the function.
    CallArguments(const Builtin& builtin, Value::List positional, std::vector<std::pair<std::string, Value>> keywords);

    const Value& operator[](std::string_view parameter) const;
    /// "sum() argument 'axis'", for error messages.
    std::string what(std::string_view parameter) const;

    Var tensor(std::string_view parameter) const { return to_tensor((*this)[parameter], what(parameter)); }
    int integer(std::string_view parameter) const { return to_int((*this)[parameter], what(parameter)); }
    double real(std::string_view parameter) const { return to_real((*this)[parameter], what(parameter)); }
    bool boolean(std::string_view parameter) const { return to_bool((*this)[parameter], what(parameter)); }
    Axes axes(std::string_view parameter) const { return to_axes((*this)[parameter], what(parameter)); }
    DType dtype(std::string_view parameter) const { return to_dtype((*this)[parameter], what(parameter)); }

private:
    const Builtin& builtin_;
    std::vector<Value> values_;
};

struct Parameter {
    std::string name;
    /// The default as written in the signature; empty when required.
    std::string default_text;
    /// *name: collects the remaining positional arguments into a list.
    bool variadic = false;
};

struct Builtin {
    std::string name;
    /// "sum(x, axis=None, keepdims=False)"
    std::string signature;
    std::vector<Parameter> parameters;
    std::function<Value(const CallArguments&)> call;
    /// Also callable as x.name(...), with x as the first argument.
    bool is_method = false;
};

/// The builtin called `name`, or null.
const Builtin* find_builtin(std::string_view name);
/// Every builtin, in the order the help lists them.
const std::vector<Builtin>& builtins();

} // namespace kiln::expression
