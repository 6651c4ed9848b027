#include "scalar_op.hpp"

#include "errors.hpp"

#include <iterator>
#include <string>

namespace kiln {

namespace {

using R = DTypeRule;
using S = ScalarOp;

// In enum order. The last field: computed by a math-library function.
const ScalarOpInfo table[] = {
    {"add", 2, "+", R::upcast, false},
    {"sub", 2, "-", R::upcast, false},
    {"mul", 2, "*", R::upcast, false},
    {"true_div", 2, "/", R::true_div, false},
    {"int_div", 2, "//", R::integer_div, false},
    {"mod", 2, "%", R::integer_div, false},
    {"pow", 2, "**", R::upcast, false},
    {"neg", 1, "-", R::upcast, false},
    {"abs", 1, "", R::upcast, false},
    {"sgn", 1, "", R::upcast, false},
    {"sqr", 1, "", R::upcast, false},
    {"inv", 1, "", R::upcast_float, false},
    {"maximum", 2, "", R::upcast, false},
    {"minimum", 2, "", R::upcast, false},
    {"exp", 1, "", R::upcast_float, true},
    {"exp2", 1, "", R::upcast_float, true},
    {"expm1", 1, "", R::upcast_float, true},
    {"log", 1, "", R::upcast_float, true},
    {"log2", 1, "", R::upcast_float, true},
    {"log10", 1, "", R::upcast_float, true},
    {"log1p", 1, "", R::upcast_float, true},
    {"sqrt", 1, "", R::upcast_float, false},
    {"sin", 1, "", R::upcast_float, true},
    {"cos", 1, "", R::upcast_float, true},
    {"tan", 1, "", R::upcast_float, true},
    {"arcsin", 1, "", R::upcast_float, true},
    {"arccos", 1, "", R::upcast_float, true},
    {"arctan", 1, "", R::upcast_float, true},
    {"arctan2", 2, "", R::upcast_float, true},
    {"sinh", 1, "", R::upcast_float, true},
    {"cosh", 1, "", R::upcast_float, true},
    {"tanh", 1, "", R::upcast_float, true},
    {"sigmoid", 1, "", R::upcast_float, true},
    {"softplus", 1, "", R::upcast_float, true},
    {"erf", 1, "", R::upcast_float, true},
    {"erfc", 1, "", R::upcast_float, true},
    {"floor", 1, "", R::upcast_float, false},
    {"ceil", 1, "", R::upcast_float, false},
    {"round_half_to_even", 1, "", R::upcast_float, false},
    {"trunc", 1, "", R::upcast_float, false},
    {"lt", 2, "", R::boolean, false},
    {"gt", 2, "", R::boolean, false},
    {"le", 2, "", R::boolean, false},
    {"ge", 2, "", R::boolean, false},
    {"eq", 2, "", R::boolean, false},
    {"neq", 2, "", R::boolean, false},
    {"isnan", 1, "", R::predicate, false},
    {"isinf", 1, "", R::predicate, false},
    {"and_", 2, "&", R::discrete, false},
    {"or_", 2, "|", R::discrete, false},
    {"xor", 2, "^", R::discrete, false},
    {"invert", 1, "~", R::discrete, false},
    {"second", 2, "", R::second, false},
    {"switch", 3, "", R::select, false},
    {"clip", 3, "", R::upcast, false},
    {"log1mexp", 1, "", R::upcast_float, false},
    {"logaddexp", 2, "", R::upcast_float, false},
    {"round_half_away_from_zero", 1, "", R::upcast_float, false},
};
static_assert(std::size(table) == static_cast<std::size_t>(ScalarOp::round_half_away_from_zero) + 1, "one row per ScalarOp");

DType promote_all(const std::vector<DType>& dtypes, std::size_t first = 0) {
    DType common = dtypes[first];
    for (std::size_t i = first + 1; i < dtypes.size(); ++i) common = promote(common, dtypes[i]);
    return common;
}

} // namespace

const ScalarOpInfo& scalar_op_info(ScalarOp op) { return table[static_cast<int>(op)]; }

int scalar_op_count() { return static_cast<int>(std::size(table)); }

std::optional<ScalarOp> scalar_op_from_name(std::string_view name) {
    for (int code = 0; code < scalar_op_count(); ++code)
        if (table[code].name == name) return static_cast<ScalarOp>(code);
    return std::nullopt;
}

DType scalar_op_result(ScalarOp op, const std::vector<DType>& inputs, DType floatX) {
    const ScalarOpInfo& info = scalar_op_info(op);
    KILN_CHECK(static_cast<int>(inputs.size()) == info.arity,
               std::string(info.name) + " takes " + std::to_string(info.arity) + " inputs");
    auto refuse = [&](const std::string& why) -> DType {
        throw TypeError(std::string(info.name) + "(): " + why);
    };
    switch (info.rule) {
    case R::upcast: {
        const DType common = promote_all(inputs);
        if (common == DType::bool_ && (op == S::sub || op == S::neg || op == S::pow || op == S::clip))
            return refuse("bool operands are not supported (use xor or invert for booleans)");
        return common;
    }
    case R::upcast_float: return upgrade_to_float(promote_all(inputs));
    case R::true_div: {
        const DType common = promote_all(inputs);
        return is_discrete(common) ? floatX : common;
    }
    case R::integer_div: {
        const DType common = promote_all(inputs);
        return common == DType::bool_ ? DType::int8 : common;
    }
    case R::boolean:
    case R::predicate: return DType::bool_;
    case R::discrete: {
        const DType common = promote_all(inputs);
        if (is_float(common))
            return refuse("needs bool or integer operands, got " + std::string(dtype_name(common)));
        return common;
    }
    case R::second: return inputs[1];
    case R::select: return promote_all(inputs, 1);
    }
    return promote_all(inputs);
}

DType scalar_op_compute_dtype(ScalarOp op, const std::vector<DType>& inputs, DType result) {
    switch (scalar_op_info(op).rule) {
    case R::boolean: return promote_all(inputs);
    case R::predicate: return inputs[0];
    default: return result;
    }
}

DType scalar_op_operand_dtype(ScalarOp op, std::size_t index, DType compute) {
    return op == S::where && index == 0 ? DType::bool_ : compute;
}

} // namespace kiln
