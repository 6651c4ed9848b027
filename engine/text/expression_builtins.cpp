#include "expression_builtins.hpp"

#include "numbers.hpp"

#include "../grad/grad.hpp"
#include "../grad/gradient_ops.hpp"
#include "../grad/jacobian.hpp"
#include "../ops/dimshuffle.hpp"
#include "../ops/dot.hpp"
#include "../ops/elemwise.hpp"
#include "../ops/index.hpp"
#include "../ops/layout.hpp"
#include "../ops/math.hpp"
#include "../ops/nnet.hpp"
#include "../ops/shape.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/scalar_op_definitions.hpp"

#include <algorithm>
#include <map>

namespace kiln::expression {

namespace {

Value tensor_value(Var var) { return Value{std::move(var), {}}; }

Value list_value(const std::vector<Var>& vars) {
    Value::List list;
    for (const Var& var : vars) list.push_back(tensor_value(var));
    return Value{std::move(list), {}};
}

// A default as written in a signature: None, True, False, an integer or a 'string'.
Value default_value(const std::string& text) {
    if (text == "None") return Value{};
    if (text == "True" || text == "False") return Value{text == "True", {}};
    if (text.front() == '\'') return Value{text.substr(1, text.size() - 2), {}};
    std::int64_t integer = 0;
    KILN_CHECK(parse_number(text, integer), "a signature's default '" + text + "' is no value");
    return Value{integer, {}};
}

std::vector<Parameter> parse_signature(const std::string& signature) {
    std::vector<Parameter> parameters;
    const std::size_t open = signature.find('(');
    const std::string inside = signature.substr(open + 1, signature.size() - open - 2);
    std::size_t start = 0;
    while (start < inside.size()) {
        std::size_t comma = inside.find(", ", start);
        if (comma == std::string::npos) comma = inside.size();
        std::string item = inside.substr(start, comma - start);
        Parameter parameter;
        if (item.front() == '*') {
            parameter.variadic = true;
            item.erase(0, 1);
        }
        if (const std::size_t equals = item.find('='); equals != std::string::npos) {
            parameter.default_text = item.substr(equals + 1);
            item.resize(equals);
        }
        parameter.name = item;
        parameters.push_back(parameter);
        start = comma + 2;
    }
    return parameters;
}

// The entries of a *name parameter; a single list argument stands for them
// all, so x.reshape(2, -1) and reshape(x, [2, -1]) agree.
Value spread(const Value& variadic) {
    const auto& list = std::get<Value::List>(variadic.data);
    if (list.size() == 1 && list[0].is_list()) return list[0];
    return variadic;
}

using Unary = Var (*)(const Var&);
using Binary = Var (*)(const Operand&, const Operand&);
using Reduction = Var (*)(const Var&, const Axes&, bool);
using TensorPair = Var (*)(const Var&, const Var&);

struct Table {
    std::vector<Builtin> list;

    void add(std::string signature, std::function<Value(const CallArguments&)> call, bool is_method = false) {
        Builtin builtin;
        builtin.name = signature.substr(0, signature.find('('));
        builtin.parameters = parse_signature(signature);
        builtin.signature = std::move(signature);
        builtin.call = std::move(call);
        builtin.is_method = is_method;
        list.push_back(std::move(builtin));
    }
};

template <class F> using Family = std::vector<std::pair<std::string, F>>;

Family<Unary> unary_functions() {
    return {
        {"abs", &kiln::abs},         {"sign", &kiln::sign},       {"sqr", &kiln::sqr},
        {"inv", &kiln::inv},         {"exp", &kiln::exp},         {"exp2", &kiln::exp2},
        {"expm1", &kiln::expm1},     {"log", &kiln::log},         {"log2", &kiln::log2},
        {"log10", &kiln::log10},     {"log1p", &kiln::log1p},     {"sqrt", &kiln::sqrt},
        {"sin", &kiln::sin},         {"cos", &kiln::cos},         {"tan", &kiln::tan},
        {"arcsin", &kiln::arcsin},   {"arccos", &kiln::arccos},   {"arctan", &kiln::arctan},
        {"sinh", &kiln::sinh},       {"cosh", &kiln::cosh},       {"tanh", &kiln::tanh},
        {"sigmoid", &kiln::sigmoid}, {"softplus", &kiln::softplus}, {"erf", &kiln::erf},
        {"erfc", &kiln::erfc},       {"floor", &kiln::floor},     {"ceil", &kiln::ceil},
        {"round_half_to_even", &kiln::round_half_to_even},
        {"round_half_away_from_zero", &kiln::round_half_away_from_zero}, {"trunc", &kiln::trunc},     {"isnan", &kiln::isnan},
        {"isinf", &kiln::isinf},     {"relu", &kiln::relu},       {"invert", &kiln::invert},
        {"zeros_like", &kiln::zeros_like}, {"ones_like", &kiln::ones_like},
        {"softmax", &kiln::softmax}, {"log_softmax", &kiln::log_softmax},
        {"transpose", &kiln::transpose}, {"squeeze", &kiln::squeeze},
        {"stop_gradient", &kiln::stop_gradient}, {"disconnected_grad", &kiln::disconnected_grad},
        {"consider_constant", &kiln::consider_constant}, {"zero_grad", &kiln::zero_grad},
        {"undefined_grad", &kiln::undefined_grad}, {"logsoftmax", &kiln::logsoftmax},
        {"shape", &kiln::shape},
    };
}

Family<Binary> binary_functions() {
    return {
        {"pow", &kiln::pow},     {"maximum", &kiln::maximum}, {"minimum", &kiln::minimum},
        {"arctan2", &kiln::arctan2}, {"logaddexp", &kiln::logaddexp}, {"fill", &kiln::fill},   {"and_", &kiln::and_},
        {"or_", &kiln::or_},     {"xor_", &kiln::xor_},       {"lt", &kiln::lt},
        {"gt", &kiln::gt},       {"le", &kiln::le},           {"ge", &kiln::ge},
        {"eq", &kiln::eq},       {"neq", &kiln::neq},         {"int_div", &kiln::int_div},
        {"mod", &kiln::mod},     {"true_div", &kiln::true_div},
    };
}

Family<Reduction> reductions() {
    return {
        {"sum", &kiln::sum}, {"prod", &kiln::prod}, {"max", &kiln::max}, {"min", &kiln::min},
        {"all", &kiln::all}, {"any", &kiln::any},   {"mean", &kiln::mean},
    };
}

Family<TensorPair> tensor_pair_functions() {
    return {
        {"dot", &kiln::dot},
        {"outer", &kiln::outer},
        {"batched_dot", &kiln::batched_dot},
        {"crossentropy_softmax", &kiln::crossentropy_softmax},
        {"categorical_crossentropy", &kiln::categorical_crossentropy},
        {"binary_crossentropy", &kiln::binary_crossentropy},
        {"sigmoid_binary_crossentropy", &kiln::sigmoid_binary_crossentropy},
        {"softmax_with_bias", &kiln::softmax_with_bias},
        {"jacobian", &kiln::jacobian},
        {"hessian", &kiln::hessian},
    };
}

Table make_table() {
    Table table;
    // Elementwise functions of one tensor, and the other one-tensor functions.
    const std::vector<std::string> methods_of_one = {"round", "transpose", "squeeze", "nonzero"};
    for (const auto& [name, function] : unary_functions()) {
        const bool method = std::find(methods_of_one.begin(), methods_of_one.end(), name) != methods_of_one.end();
        table.add(name + "(x)", [function](const CallArguments& args) {
            return tensor_value(function(args.tensor("x")));
        }, method);
    }
    for (const auto& [name, function] : binary_functions()) {
        table.add(name + "(a, b)", [function](const CallArguments& args) {
            return tensor_value(function(args.tensor("a"), args.tensor("b")));
        });
    }
    // Ops the scalar-op table defines by other scalar ops, under their table name.
    for (int code = 0; code < scalar_op_count(); ++code) {
        const auto op = static_cast<ScalarOp>(code);
        if (!is_composite_scalar_op(op)) continue;
        const std::string name(scalar_op_info(op).name);
        if (scalar_op_info(op).arity == 1)
            table.add(name + "(x)", [op](const CallArguments& args) {
                return tensor_value(elemwise(op, {args.tensor("x")}));
            });
        else if (scalar_op_info(op).arity == 2)
            table.add(name + "(a, b)", [op](const CallArguments& args) {
                return tensor_value(elemwise(op, {args.tensor("a"), args.tensor("b")}));
            });
    }
    for (const auto& [name, function] : tensor_pair_functions()) {
        const bool method = name == "dot";
        table.add(name + "(a, b)", [function](const CallArguments& args) {
            return tensor_value(function(args.tensor("a"), args.tensor("b")));
        }, method);
    }
    for (const auto& [name, function] : reductions()) {
        table.add(name + "(x, axis=None, keepdims=False)", [function](const CallArguments& args) {
            return tensor_value(function(args.tensor("x"), args.axes("axis"), args.boolean("keepdims")));
        }, true);
    }
    using Spread = Var (*)(const Var&, const Axes&, bool, int);
    for (const auto& [name, function] : std::vector<std::pair<std::string, Spread>>{{"var", &kiln::var}, {"std", &kiln::std}}) {
        table.add(name + "(x, axis=None, keepdims=False, ddof=0)", [function](const CallArguments& args) {
            return tensor_value(function(args.tensor("x"), args.axes("axis"), args.boolean("keepdims"), args.integer("ddof")));
        }, true);
    }
    using ArgReduction = Var (*)(const Var&, std::optional<int>, bool);
    for (const auto& [name, function] :
         std::vector<std::pair<std::string, ArgReduction>>{{"argmax", &kiln::argmax}, {"argmin", &kiln::argmin}}) {
        table.add(name + "(x, axis=None, keepdims=False)", [function](const CallArguments& args) {
            const std::optional<int> axis = args["axis"].is_none() ? std::nullopt : std::optional<int>(args.integer("axis"));
            return tensor_value(function(args.tensor("x"), axis, args.boolean("keepdims")));
        }, true);
    }
    // switch is Theano's name for where.
    const auto select = [](const CallArguments& args) {
        return tensor_value(kiln::where(args.tensor("cond"), args.tensor("a"), args.tensor("b")));
    };
    table.add("where(cond, a, b)", select);
    table.add("switch(cond, a, b)", select);
    table.add("grad_scale(x, multiplier)", [](const CallArguments& args) {
        return tensor_value(kiln::grad_scale(args.tensor("x"), args.real("multiplier")));
    });
    table.add("grad_clip(x, lower, upper)", [](const CallArguments& args) {
        return tensor_value(kiln::grad_clip(args.tensor("x"), args.real("lower"), args.real("upper")));
    });
    table.add("round(x, mode='half_to_even')", [](const CallArguments& args) {
        return tensor_value(kiln::round(args.tensor("x"), to_string(args["mode"], args.what("mode"))));
    }, true);
    table.add("clip(x, low, high)", [](const CallArguments& args) {
        return tensor_value(kiln::clip(args.tensor("x"), args.tensor("low"), args.tensor("high")));
    }, true);
    table.add("cast(x, dtype)", [](const CallArguments& args) {
        return tensor_value(kiln::cast(args.tensor("x"), args.dtype("dtype")));
    });
    table.add("astype(x, dtype)", [](const CallArguments& args) {
        return tensor_value(kiln::cast(args.tensor("x"), args.dtype("dtype")));
    }, true);
    table.add("constant(value, dtype=None)", [](const CallArguments& args) {
        Var value = args.tensor("value");
        if (!args["dtype"].is_none()) value = kiln::cast(value, args.dtype("dtype"));
        return tensor_value(value);
    });
    table.add("tensordot(a, b, axes=2)", [](const CallArguments& args) {
        const Value& axes = args["axes"];
        if (const auto* pair = std::get_if<Value::List>(&axes.data)) {
            if (pair->size() != 2)
                throw TypeError(args.what("axes") + " must be an integer or a pair of axis lists [[a axes], [b axes]]");
            return tensor_value(kiln::tensordot(args.tensor("a"), args.tensor("b"),
                                                to_int_list((*pair)[0], args.what("axes")),
                                                to_int_list((*pair)[1], args.what("axes"))));
        }
        return tensor_value(kiln::tensordot(args.tensor("a"), args.tensor("b"), args.integer("axes")));
    });
    table.add("grad(cost, wrt, consider_constant=None, disconnected_inputs='raise')", [](const CallArguments& args) {
        GradOptions options;
        if (!args["consider_constant"].is_none())
            options.consider_constant = to_tensor_list(args["consider_constant"], args.what("consider_constant"));
        const std::string& disconnected = to_string(args["disconnected_inputs"], args.what("disconnected_inputs"));
        if (disconnected == "raise") options.disconnected_inputs = DisconnectedInputs::raise;
        else if (disconnected == "warn") options.disconnected_inputs = DisconnectedInputs::warn;
        else if (disconnected == "ignore") options.disconnected_inputs = DisconnectedInputs::ignore;
        else throw ValueError(args.what("disconnected_inputs") + " must be 'raise', 'warn' or 'ignore', not '" + disconnected + "'");
        const Value& wrt = args["wrt"];
        if (wrt.is_list()) return list_value(kiln::grad(args.tensor("cost"), to_tensor_list(wrt, args.what("wrt")), options));
        return tensor_value(kiln::grad(args.tensor("cost"), args.tensor("wrt"), options));
    });
    table.add("arange(start, stop=None, step=1)", [](const CallArguments& args) {
        if (args["stop"].is_none()) return tensor_value(kiln::arange(args.tensor("start")));
        return tensor_value(kiln::arange(args.tensor("start"), args.tensor("stop"), args.tensor("step")));
    });
    table.add("set_subtensor(view, y)", [](const CallArguments& args) {
        return tensor_value(kiln::set_subtensor(args.tensor("view"), args.tensor("y")));
    });
    table.add("inc_subtensor(view, y)", [](const CallArguments& args) {
        return tensor_value(kiln::inc_subtensor(args.tensor("view"), args.tensor("y")));
    });
    table.add("nonzero(x)", [](const CallArguments& args) { return list_value(kiln::nonzero(args.tensor("x"))); }, true);
    table.add("reshape(x, *shape)", [](const CallArguments& args) {
        return tensor_value(kiln::reshape(args.tensor("x"), to_shape(spread(args["shape"]), args.what("shape"))));
    }, true);
    table.add("flatten(x, ndim=1)", [](const CallArguments& args) {
        return tensor_value(kiln::flatten(args.tensor("x"), args.integer("ndim")));
    }, true);
    table.add("concatenate(tensors, axis=0)", [](const CallArguments& args) {
        return tensor_value(kiln::concatenate(to_tensor_list(args["tensors"], args.what("tensors")), args.integer("axis")));
    });
    table.add("join(axis, *tensors)", [](const CallArguments& args) {
        return tensor_value(kiln::join(args.integer("axis"), to_tensor_list(spread(args["tensors"]), args.what("tensors"))));
    });
    table.add("stack(tensors, axis=0)", [](const CallArguments& args) {
        return tensor_value(kiln::stack(to_tensor_list(args["tensors"], args.what("tensors")), args.integer("axis")));
    });
    table.add("alloc(value, *shape)", [](const CallArguments& args) {
        return tensor_value(kiln::alloc(args.tensor("value"), to_shape(spread(args["shape"]), args.what("shape"))));
    });
    table.add("zeros(shape, dtype='floatX')", [](const CallArguments& args) {
        return tensor_value(kiln::zeros(to_shape(args["shape"], args.what("shape")), args.dtype("dtype")));
    });
    table.add("ones(shape, dtype='floatX')", [](const CallArguments& args) {
        return tensor_value(kiln::ones(to_shape(args["shape"], args.what("shape")), args.dtype("dtype")));
    });
    table.add("expand_dims(x, axis)", [](const CallArguments& args) {
        return tensor_value(kiln::expand_dims(args.tensor("x"), args.integer("axis")));
    });
    table.add("tile(x, reps)", [](const CallArguments& args) {
        return tensor_value(kiln::tile(args.tensor("x"), to_int_list(args["reps"], args.what("reps"))));
    });
    table.add("repeat(x, repeats, axis)", [](const CallArguments& args) {
        return tensor_value(kiln::repeat(args.tensor("x"), args.integer("repeats"), args.integer("axis")));
    }, true);
    table.add("unbroadcast(x, *axes)", [](const CallArguments& args) {
        return tensor_value(kiln::unbroadcast(args.tensor("x"), to_int_list(spread(args["axes"]), args.what("axes"))));
    });
    table.add("dimshuffle(x, *pattern)", [](const CallArguments& args) {
        const Value pattern = spread(args["pattern"]);
        std::vector<DimShuffle::Entry> order;
        for (const Value& entry : std::get<Value::List>(pattern.data)) {
            if (const auto* text = std::get_if<std::string>(&entry.data); text && *text == "x")
                order.push_back(DimShuffle::new_axis);
            else
                order.push_back(to_int(entry, args.what("pattern") + " entry (an axis or 'x')"));
        }
        return tensor_value(kiln::dimshuffle(args.tensor("x"), order));
    }, true);
    return table;
}

struct Registry {
    Table table = make_table();
    std::map<std::string, const Builtin*, std::less<>> by_name;
    Registry() {
        for (const Builtin& builtin : table.list) by_name.emplace(builtin.name, &builtin);
    }
};

const Registry& registry() {
    static const Registry instance;
    return instance;
}

} // namespace

CallArguments::CallArguments(const Builtin& builtin, Value::List positional,
                             std::vector<std::pair<std::string, Value>> keywords)
    : builtin_(builtin) {
    const std::vector<Parameter>& parameters = builtin.parameters;
    std::vector<std::optional<Value>> bound(parameters.size());
    std::size_t next = 0;
    for (Value& value : positional) {
        if (next < parameters.size() && parameters[next].variadic) {
            if (!bound[next]) bound[next] = Value{Value::List{}, value.at};
            std::get<Value::List>(bound[next]->data).push_back(std::move(value));
            continue;
        }
        if (next >= parameters.size())
            throw TypeError(builtin.name + "() takes " + std::to_string(parameters.size()) +
                            " positional arguments but " + std::to_string(positional.size()) + " were given: " +
                            builtin.signature);
        bound[next++] = std::move(value);
    }
    for (auto& [name, value] : keywords) {
        const auto it = std::find_if(parameters.begin(), parameters.end(),
                                     [&](const Parameter& parameter) { return parameter.name == name; });
        if (it == parameters.end() || it->variadic)
            throw TypeError(builtin.name + "() got an unexpected keyword argument '" + name + "': " + builtin.signature);
        const std::size_t index = static_cast<std::size_t>(it - parameters.begin());
        if (bound[index]) throw TypeError(builtin.name + "() got multiple values for argument '" + name + "'");
        bound[index] = std::move(value);
    }
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        if (bound[i]) {
            values_.push_back(std::move(*bound[i]));
        } else if (parameters[i].variadic) {
            values_.push_back(Value{Value::List{}, {}});
        } else if (!parameters[i].default_text.empty()) {
            values_.push_back(default_value(parameters[i].default_text));
        } else {
            throw TypeError(builtin.name + "() missing required argument '" + parameters[i].name + "': " +
                            builtin.signature);
        }
    }
}

const Value& CallArguments::operator[](std::string_view parameter) const {
    const std::vector<Parameter>& parameters = builtin_.parameters;
    for (std::size_t i = 0; i < parameters.size(); ++i)
        if (parameters[i].name == parameter) return values_[i];
    KILN_CHECK(false, builtin_.name + " has no parameter " + std::string(parameter));
    std::abort();
}

std::string CallArguments::what(std::string_view parameter) const {
    return builtin_.name + "() argument '" + std::string(parameter) + "'";
}

const Builtin* find_builtin(std::string_view name) {
    const auto& by_name = registry().by_name;
    const auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
}

const std::vector<Builtin>& builtins() { return registry().table.list; }

} // namespace kiln::expression
