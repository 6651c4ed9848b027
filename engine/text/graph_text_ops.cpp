#include "graph_text_ops.hpp"

#include "numbers.hpp"

#include "../grad/grad.hpp"
#include "../grad/gradient_ops.hpp"
#include "../ops/dimshuffle.hpp"
#include "../ops/dot.hpp"
#include "../ops/elemwise.hpp"
#include "../ops/gemm.hpp"
#include "../ops/index.hpp"
#include "../ops/layout.hpp"
#include "../ops/math.hpp"
#include "../ops/nnet.hpp"
#include "../ops/reduce.hpp"
#include "../ops/shape.hpp"
#include "../ops/subtensor.hpp"

#include "../../ir/errors.hpp"

#include <charconv>
#include <functional>
#include <map>

namespace kiln::graph_text {
namespace {

using Inputs = std::vector<Var>;
using Builder = std::function<Var(std::string_view params, const Inputs& inputs)>;

[[noreturn]] void bad_params(std::string_view params, const std::string& expected) {
    throw ValueError("cannot read the parameters {" + std::string(params) + "}: expected " + expected);
}

int integer_of(std::string_view text, std::string_view params) {
    int value = 0;
    if (!parse_number(text, value)) bad_params(params, "an integer");
    return value;
}

// "1, 2" or "1,2" (empty: none).
std::vector<int> integer_list(std::string_view text, std::string_view params) {
    std::vector<int> values;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        values.push_back(integer_of(item, params));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return values;
}

// The value of `key=[...]` or `key=word` in "sum, axes=[1], ndim=2".
std::string_view field(std::string_view params, std::string_view key) {
    const std::string marker = ", " + std::string(key) + "=";
    const std::size_t at = params.find(marker);
    if (at == std::string_view::npos) bad_params(params, "a field " + std::string(key) + "=");
    std::string_view rest = params.substr(at + marker.size());
    if (!rest.empty() && rest.front() == '[') {
        const std::size_t close = rest.find(']');
        if (close == std::string_view::npos) bad_params(params, "']' after " + std::string(key) + "=[");
        return rest.substr(1, close - 1);
    }
    return rest.substr(0, rest.find(','));
}

std::string_view first_word(std::string_view params) { return params.substr(0, params.find(',')); }

void expect_count(const Inputs& inputs, std::size_t count) {
    if (inputs.size() != count)
        throw TypeError("takes " + std::to_string(count) + " input" + (count == 1 ? "" : "s") + ", got " +
                        std::to_string(inputs.size()));
}

std::vector<Operand> operands(Inputs::const_iterator first, Inputs::const_iterator last) {
    return std::vector<Operand>(first, last);
}

Var elemwise_node(std::string_view params, const Inputs& inputs) {
    const std::optional<ScalarOp> op = scalar_op_from_name(params);
    if (!op) bad_params(params, "a scalar op such as add, mul or exp");
    expect_count(inputs, static_cast<std::size_t>(scalar_op_info(*op).arity));
    return elemwise(*op, inputs);
}

Var dimshuffle_node(std::string_view params, const Inputs& inputs) {
    expect_count(inputs, 1);
    std::vector<DimShuffle::Entry> order;
    std::string_view text = params.substr(0, params.find('|'));
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        order.push_back(item == "x" ? DimShuffle::new_axis : integer_of(item, params));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return dimshuffle(inputs[0], order);
}

Var reduce_node(std::string_view params, const Inputs& inputs) {
    expect_count(inputs, 1);
    static const std::map<std::string_view, Var (*)(const Var&, const Axes&, bool)> kinds = {
        {"sum", &sum}, {"prod", &prod}, {"max", &max}, {"min", &min}, {"all", &all}, {"any", &any}};
    const auto kind = kinds.find(first_word(params));
    if (kind == kinds.end()) bad_params(params, "sum, prod, max, min, all or any first");
    return kind->second(inputs[0], Axes(integer_list(field(params, "axes"), params)), false);
}

Var arg_reduce_node(std::string_view params, const Inputs& inputs) {
    expect_count(inputs, 1);
    const std::string_view which = first_word(params), axis_text = field(params, "axis");
    if (which != "max" && which != "min") bad_params(params, "max or min first");
    const std::optional<int> axis =
        axis_text == "none" ? std::nullopt : std::optional<int>(integer_of(axis_text, params));
    return which == "max" ? argmax(inputs[0], axis) : argmin(inputs[0], axis);
}

Var one_input(Var (*build)(const Var&), const Inputs& inputs) {
    expect_count(inputs, 1);
    return build(inputs[0]);
}

const std::map<std::string_view, Builder>& builders() {
    static const std::map<std::string_view, Builder> table = {
        {"Elemwise", elemwise_node},
        {"DimShuffle", dimshuffle_node},
        {"Reduce", reduce_node},
        {"ArgReduce", arg_reduce_node},
        {"Cast", [](std::string_view params, const Inputs& in) {
             expect_count(in, 1);
             return cast(in[0], dtype_from_name(params));
         }},
        {"Dot", [](std::string_view, const Inputs& in) {
             expect_count(in, 2);
             return dot(in[0], in[1]);
         }},
        {"Gemm", [](std::string_view, const Inputs& in) {
             expect_count(in, 5);
             return gemm(in[0], in[1], in[2], in[3], in[4]);
         }},
        {"Reshape", [](std::string_view, const Inputs& in) {
             if (in.empty()) expect_count(in, 1);
             return reshape(in[0], operands(in.begin() + 1, in.end()));
         }},
        {"Join", [](std::string_view params, const Inputs& in) { return concatenate(in, integer_of(params, params)); }},
        {"Repeat", [](std::string_view params, const Inputs& in) {
             expect_count(in, 1);
             const std::vector<int> values = integer_list(params, params);
             if (values.size() != 2) bad_params(params, "repeats, axis");
             return repeat(in[0], values[0], values[1]);
         }},
        {"Alloc", [](std::string_view, const Inputs& in) {
             if (in.empty()) expect_count(in, 1);
             return alloc(in[0], operands(in.begin() + 1, in.end()));
         }},
        {"Unbroadcast", [](std::string_view params, const Inputs& in) {
             expect_count(in, 1);
             return unbroadcast(in[0], integer_list(params, params));
         }},
        {"Softmax", [](std::string_view params, const Inputs& in) {
             if (params != "log" && params != "plain") bad_params(params, "log or plain");
             return one_input(params == "log" ? &log_softmax : &softmax, in);
         }},
        {"CrossentropySoftmax", [](std::string_view, const Inputs& in) {
             expect_count(in, 2);
             return crossentropy_softmax(in[0], in[1]);
         }},
        {"CrossentropySoftmaxDx", [](std::string_view, const Inputs& in) {
             expect_count(in, 3);
             return crossentropy_softmax_dx(in[0], in[1], in[2]);
         }},
        {"Shape", [](std::string_view, const Inputs& in) { return one_input(&shape, in); }},
        {"Shape_i", [](std::string_view params, const Inputs& in) {
             expect_count(in, 1);
             return shape_i(in[0], integer_of(params, params));
         }},
        {"ARange", [](std::string_view, const Inputs& in) {
             expect_count(in, 3);
             return arange(in[0], in[1], in[2]);
         }},
        {"StopGradient", [](std::string_view, const Inputs& in) { return one_input(&stop_gradient, in); }},
        {"GradientModifier", [](std::string_view params, const Inputs& in) {
             expect_count(in, 1);
             return Var(Apply::make(GradientModifier::from_params(params), {in[0].node()}, {in[0].type()})->output(0));
         }},
        {"Subtensor", [](std::string_view params, const Inputs& in) {
             return subtensor_node(entries_from_text(params), in);
         }},
        {"IncSubtensor", [](std::string_view params, const Inputs& in) {
             const std::string_view mode = params.substr(0, params.find('|'));
             if ((mode != "set" && mode != "inc") || mode.size() == params.size()) bad_params(params, "set| or inc| first");
             return inc_subtensor_node(entries_from_text(params.substr(4)), mode == "set", in);
         }},
        {"AdvancedSubtensor", [](std::string_view, const Inputs& in) { return advanced_subtensor_node(in); }},
        {"AdvancedIncSubtensor", [](std::string_view params, const Inputs& in) {
             if (params != "set" && params != "inc") bad_params(params, "set or inc");
             return advanced_inc_subtensor_node(params == "set", in);
         }},
        {"NonZero", [](std::string_view, const Inputs& in) { return nonzero_node(in).at(0); }},
    };
    return table;
}

} // namespace

ApplyPtr build_node(std::string_view kind, std::string_view params, const std::vector<VariablePtr>& inputs) {
    const auto builder = builders().find(kind);
    if (builder == builders().end()) throw ValueError("unknown op '" + std::string(kind) + "'");
    const Var built = builder->second(params, Inputs(inputs.begin(), inputs.end()));
    if (!built.node()->owner())
        throw ValueError("kiln builds no node for this op on these inputs: it gives " + built.str() + " as it is");
    return built.node()->owner();
}

} // namespace kiln::graph_text
