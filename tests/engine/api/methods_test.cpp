// Var's methods and Theano's names: each builds what the free function it
// stands for builds, and computes the same values.
#include "../test_helpers.hpp"

using namespace kiln;
using kiln::test::check_close;

namespace {

// The same graph: equal printed forms and types.
void check_same(const Var& method, const Var& function) {
    CHECK(pp(method) == pp(function));
    CHECK(method.type() == function.type());
}

const std::vector<double> values = {0.5, -2, 3, 1.5, 4, -1};

} // namespace

TEST_CASE("Var's methods build the free functions' graphs") {
    const Var x = dmatrix("x"), v = dvector("v"), w = dmatrix("w");
    check_same(x.T(), transpose(x));
    check_same(x.transpose(), transpose(x));
    check_same(x.transpose({1, 0}), transpose(x));
    check_same(x.sum(1), sum(x, 1));
    check_same(x.sum(), sum(x));
    check_same(x.sum(0, true), sum(x, 0, true));
    check_same(x.sum({0, 1}), sum(x, {0, 1}));
    check_same(x.mean(1), mean(x, 1));
    check_same(x.max(0), max(x, 0));
    check_same(x.min(), min(x));
    check_same(x.prod(1, true), prod(x, 1, true));
    check_same(x.std(1), kiln::std(x, 1));
    check_same(x.var(0, false, 1), var(x, 0, false, 1));
    check_same(x.argmax(1), argmax(x, 1));
    check_same(x.argmin(), argmin(x));
    check_same(x.all(1), all(x, 1));
    check_same(x.any(), any(x));
    check_same(x.dimshuffle({1, "x", 0}), dimshuffle(x, {1, DimShuffle::new_axis, 0}));
    check_same(v.dimshuffle({"x", 0}), dimshuffle(v, {DimShuffle::new_axis, 0}));
    check_same(x.reshape({3, -1}), reshape(x, {3, -1}));
    check_same(x.reshape({x.shape()[1], x.shape()[0]}), reshape(x, {shape(x)[1], shape(x)[0]}));
    check_same(x.flatten(), flatten(x));
    check_same(x.astype(DType::float32), cast(x, DType::float32));
    check_same(x.astype("int32"), cast(x, DType::int32));
    check_same(x.clip(0, 1), clip(x, 0, 1));
    check_same(x.dot(w), dot(x, w));
    check_same(x.shape(), shape(x));
    check_same(x.shape()[0], shape(x)[0]);
    CHECK(x.ndim() == 2);
    // And they compute what the free functions compute.
    const Function f = compile({x}, std::vector<Var>{x.T().sum(0), x.max(0, true).flatten(), x.shape()[1]});
    const Outputs out = f(test::doubles(values, {2, 3}));
    check_close(out[0], {1.5, 4.5});
    check_close(out[1], {1.5, 4, 3});
    CHECK(out[2].value_at<std::int64_t>(0) == 3);
}

TEST_CASE("bad method arguments name the culprit") {
    const Var x = dmatrix("x");
    CHECK_THROWS_WITH_AS(x.dimshuffle({"y", 0}), doctest::Contains("pattern entry \"y\""), ValueError);
    CHECK_THROWS_WITH_AS(x.transpose({0, 0}), doctest::Contains("axes (0, 0) are not a permutation"), ValueError);
    CHECK_THROWS_WITH_AS(x.astype("flaot32"), doctest::Contains("astype(): unknown dtype 'flaot32'"), TypeError);
    CHECK_THROWS_WITH_AS(cast(x, "int"), doctest::Contains("cast(): unknown dtype 'int'"), TypeError);
    CHECK_THROWS_AS(x.sum(2), ValueError);
}

TEST_CASE("Theano's names: switch, join, disconnected_grad, transpose(x, axes), leaky relu, typed constructors with a dtype") {
    const Var a = dvector("a"), b = dvector("b"), c = dvector("c");
    check_same(switch_(gt(a, 0), a, b), where(gt(a, 0), a, b));
    check_same(join(0, a, b, c), concatenate({a, b, c}, 0));
    check_same(join(0, {a, b}), concatenate({a, b}, 0));
    const Var t = dtensor3("t");
    check_same(transpose(t, {2, 0, 1}), dimshuffle(t, {2, 0, 1}));
    check_same(cast(a, "float32"), cast(a, DType::float32));
    check_same(dimshuffle(a, {"x", 0}), dimshuffle(a, {DimShuffle::new_axis, 0}));

    // disconnected_grad: the value passes, the gradient does not.
    const Var x = dscalar("x");
    const Function g = compile({x}, grad(x * disconnected_grad(x * x), x));
    CHECK(g(3.0)[0].value_at<double>(0) == 9.0); // d/dx of x * c with c = x*x held: c

    // relu(x, alpha): x above 0, alpha * x below; alpha 0 is the plain relu (and keeps -inf finite).
    const Array leaky = compile({a}, relu(a, 0.1))(std::vector<double>{-2, 0, 3, -INFINITY})[0];
    check_close(leaky, {-0.2, 0, 3, -INFINITY});
    check_same(relu(a, 0), relu(a));
    CHECK(compile({a}, relu(a, 0))(std::vector<double>{-INFINITY})[0].value_at<double>(0) == 0);

    // T.matrix("m", dtype="int32"), T.vector(dtype="float32").
    const Var m = matrix("m", "int32");
    CHECK(m.type() == imatrix.type());
    CHECK(m.name() == "m");
    CHECK(vector(DType::float32).type() == fvector.type());
    CHECK(scalar("s", DType::int64).type() == lscalar.type());
    CHECK(scalar("s", "floatX").dtype() == config().floatX());
    CHECK_THROWS_WITH_AS(matrix("m", "double"), doctest::Contains("unknown dtype 'double'"), TypeError);
}
