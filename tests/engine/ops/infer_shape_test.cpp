// Every op's shape inference against the shape of what it computes.
#include "../test_helpers.hpp"

using namespace kiln;

namespace {

struct Case {
    const char* name;
    Var expression;
};

// Inferred dimensions, evaluated, against the computed output's shape; the
// inferred graph must not need the output itself.
void check_inferred(const Case& c, const std::vector<Var>& inputs, const std::vector<Arg>& args) {
    CAPTURE(c.name);
    const std::vector<Var> dims = infer_shape(c.expression);
    REQUIRE(static_cast<int>(dims.size()) == c.expression.ndim());
    const Array actual = test::run(c.expression, inputs, args);
    if (dims.empty()) {
        CHECK(actual.ndim() == 0);
        return;
    }
    const Outputs inferred = compile(inputs, dims, {.on_unused_input = OnUnusedInput::ignore}).call(args);
    for (std::size_t d = 0; d < dims.size(); ++d) {
        CAPTURE(d);
        CHECK(inferred[d].value_at<std::int64_t>(0) == actual.shape()[d]);
    }
    for (const Var& dim : dims)
        for (const ApplyPtr& node : toposort({dim.node()}))
            for (const VariablePtr& input : node->inputs()) CHECK_FALSE(input == c.expression.node());
}

} // namespace

TEST_CASE("shape inference agrees with computed shapes for every op") {
    Var x = dmatrix("x"), r = drow("r"), v = dvector("v"), w = dvector("w");
    Var idx = lvector("idx");
    Var n = lscalar("n");
    const std::vector<Var> inputs = {x, r, v, w, idx, n};
    const std::vector<Arg> args = {Arg(test::doubles(test::uniform(12, -1, 1), {3, 4})),
                                   Arg(test::doubles({1, 2, 3, 4}, {1, 4})), Arg(test::doubles({1, 2, 3, 4}, {4})),
                                   Arg(test::doubles({1, 2, 3}, {3})), Arg(Array::from_values<std::int64_t>({2, 0, 2, 1, 1})),
                                   Arg(2)};
    const std::vector<Case> cases = {
        {"elemwise with broadcasting", x + r},
        {"elemwise with a scalar", exp(x) * 2},
        {"dimshuffle", dimshuffle(x, {1, DimShuffle::new_axis, 0})},
        {"cast", cast(x, DType::int32)},
        {"sum over an axis", sum(x, 1)},
        {"sum keepdims", sum(x, 0, true)},
        {"max over all", max(x)},
        {"argmax", argmax(x, 0)},
        {"shape", shape(x)},
        {"dot matrix vector", dot(x, v)},
        {"dot matrix matrix", dot(x, transpose(x))},
        {"dot vector matrix", dot(w, x)},
        {"outer", outer(v, w)},
        {"basic index", x[1]},
        {"slice", x[{slice(1, {}), slice({}, {}, -2)}]},
        {"symbolic slice", x[slice(n - 1, n + 5)]},
        {"negative slice bounds", x[{slice(-2, -10, -1)}]},
        {"advanced index", x[idx]},
        {"advanced index pairs", x[{idx, idx}]},
        {"set_subtensor", set_subtensor(x[0], v)},
        {"inc_subtensor advanced", inc_subtensor(v[idx], 1.0)},
        {"arange", arange(n, 11, 3)},
        {"arange backwards", arange(n, -7, -2)},
        {"softmax", softmax(x)},
        {"reshape", reshape(x, {2, -1})},
        {"reshape symbolic", reshape(x, {n, 3, -1})},
        {"flatten", flatten(x)},
        {"concatenate", concatenate({x, x, r}, 0)},
        {"stack", stack({v, v, v}, 1)},
        {"alloc", alloc(v, {n, 4})},
        {"zeros", zeros({n, 3}, DType::int8)},
        {"repeat", repeat(x, 2, 1)},
        {"tile", tile(x, {2, 1})},
        {"stop_gradient", stop_gradient(x)},
        {"categorical crossentropy", categorical_crossentropy(softmax(x), idx[slice(0, 3)])},
    };
    for (const Case& c : cases) check_inferred(c, inputs, args);
}
