#include "scalar_op.hpp"

#include "errors.hpp"

#include <iterator>
#include <string>

namespace kiln {

namespace {

using R = DTypeRule;
using S = ScalarOp;

// In enum order.
const ScalarOpInfo table[] = {
    {"add", 2, "+", R::upcast},
    {"sub", 2, "-", R::upcast},
    {"mul", 2, "*", R::upcast},
    {"true_div", 2, "/", R::true_div},
    {"int_div", 2, "//", R::integer_div},
    {"mod", 2, "%", R::integer_div},
    {"pow", 2, "**", R::upcast},
    {"neg", 1, "-", R::upcast},
    {"abs", 1, "", R::upcast},
    {"sgn", 1, "", R::upcast},
    {"sqr", 1, "", R::upcast},
    {"inv", 1, "", R::upcast_float},
    {"maximum", 2, "", R::upcast},
    {"minimum", 2, "", R::upcast},
    {"exp", 1, "", R::upcast_float},
    {"exp2", 1, "", R::upcast_float},
    {"expm1", 1, "", R::upcast_float},
    {"log", 1, "", R::upcast_float},
    {"log2", 1, "", R::upcast_float},
    {"log10", 1, "", R::upcast_float},
    {"log1p", 1, "", R::upcast_float},
    {"sqrt", 1, "", R::upcast_float},
    {"sin", 1, "", R::upcast_float},
    {"cos", 1, "", R::upcast_float},
    {"tan", 1, "", R::upcast_float},
    {"arcsin", 1, "", R::upcast_float},
    {"arccos", 1, "", R::upcast_float},
    {"arctan", 1, "", R::upcast_float},
    {"arctan2", 2, "", R::upcast_float},
    {"sinh", 1, "", R::upcast_float},
    {"cosh", 1, "", R::upcast_float},
    {"tanh", 1, "", R::upcast_float},
    {"sigmoid", 1, "", R::upcast_float},
    {"softplus", 1, "", R::upcast_float},
    {"erf", 1, "", R::upcast_float},
    {"erfc", 1, "", R::upcast_float},
    {"floor", 1, "", R::upcast_float},
    {"ceil", 1, "", R::upcast_float},
    {"round_half_to_even", 1, "", R::upcast_float},
    {"trunc", 1, "", R::upcast_float},
    {"lt", 2, "", R::boolean},
    {"gt", 2, "", R::boolean},
    {"le", 2, "", R::boolean},
    {"ge", 2, "", R::boolean},
    {"eq", 2, "", R::boolean},
    {"neq", 2, "", R::boolean},
    {"isnan", 1, "", R::predicate},
    {"isinf", 1, "", R::predicate},
    {"and_", 2, "&", R::discrete},
    {"or_", 2, "|", R::discrete},
    {"xor", 2, "^", R::discrete},
    {"invert", 1, "~", R::discrete},
    {"second", 2, "", R::second},
    {"switch", 3, "", R::select},
    {"clip", 3, "", R::upcast},
};
static_assert(std::size(table) == static_cast<std::size_t>(ScalarOp::clip) + 1);

DType promote_all(const std::vector<DType>& dtypes, std::size_t first = 0) {
    DType common = dtypes[first];
    for (std::size_t i = first + 1; i < dtypes.size(); ++i) common = promote(common, dtypes[i]);
    return common;
}

} // namespace

const ScalarOpInfo& scalar_op_info(ScalarOp op) { return table[static_cast<int>(op)]; }

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

} // namespace kiln
