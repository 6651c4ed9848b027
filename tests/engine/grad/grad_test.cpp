#include "../test_helpers.hpp"

#include "engine/runtime/interpreter.hpp"

using namespace kiln;
using kiln::test::check_close;
using kiln::test::doubles;
using kiln::test::run;

TEST_CASE("Derivative in Theano: grad(x ** 2, x)") {
    Var x = dscalar("x");
    Var y = pow(x, 2);
    Var gy = grad(y, x);
    CHECK(pp(gy) == "((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * TensorConstant{2}) * "
                    "(x ** (TensorConstant{2} - TensorConstant{1})))");
    Function f = compile({x}, gy);
    CHECK(f(4)[0].repr() == "array(8.)");
}

TEST_CASE("grad of a list returns one gradient per variable, in order") {
    auto [x, y] = dscalars("x", "y");
    Var cost = x * x * y + 3 * y;
    std::vector<Var> g = grad(cost, {y, x});
    REQUIRE(g.size() == 2);
    Function f = compile({x, y}, g);
    Outputs out = f(2, 5);
    CHECK(out[0].value_at<double>(0) == 7.0);  // x^2 + 3
    CHECK(out[1].value_at<double>(0) == 20.0); // 2xy
}

TEST_CASE("gradients sum over broadcast dimensions and keep the variable's type") {
    Var m = dmatrix("m");
    Var r = drow("r");
    Var b = dscalar("b");
    Var cost = sum((m + r) * b);
    std::vector<Var> g = grad(cost, {m, r, b});
    CHECK(g[1].type() == drow);
    CHECK(g[2].type() == dscalar);
    Outputs out = compile({m, r, b}, g)({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, {{10.0, 20.0}}, 2);
    check_close(out[0], {2, 2, 2, 2, 2, 2});
    check_close(out[1], {6, 6});                 // three rows, times b
    check_close(out[2], {1 + 2 + 3 + 4 + 5 + 6 + 3 * 30}); // sum(m + r)
    Var f = fvector("f");
    CHECK(grad(sum(f * 0.5), f).dtype() == DType::float32);
    verify_grad([](const std::vector<Var>& in) { return in[0] * in[1] + in[2]; },
                {doubles({1, 2, 3, 4}, {2, 2}), doubles({0.5, -1}, {1, 2}), doubles({3}, {})});
}

TEST_CASE("integer variables get float gradients; discrete paths give zero") {
    Var i = iscalar("i");
    Var g = grad(i * 2.5, i);
    CHECK(g.dtype() == DType::float64);
    CHECK(run(g, {i}, {3}).value_at<double>(0) == 2.5);
    Var through_int = grad(cast(i * 2, DType::float64), i);
    CHECK(run(through_int, {i}, {3}).value_at<double>(0) == 0.0);
    Var x = dscalar("x");
    CHECK(run(grad(x, x), {x}, {1.5}).value_at<double>(0) == 1.0);
    CHECK(run(grad(cast(x > 0, DType::float64) * x, x), {x}, {2.0}).value_at<double>(0) == 1.0);
}

TEST_CASE("disconnected inputs: raise by default, or warn / ignore with zeros") {
    auto [x, y] = dscalars("x", "y");
    CHECK_THROWS_WITH_AS(grad(x * 2, y), doctest::Contains("does not depend on wrt variable 'y' (index 0)"),
                         DisconnectedInputError);
    Var zero = grad(x * 2, y, {.disconnected_inputs = DisconnectedInputs::ignore});
    CHECK(run(zero, {y}, {4.0}).value_at<double>(0) == 0.0);
    CHECK_NOTHROW(grad(x * 2, y, {.disconnected_inputs = DisconnectedInputs::warn}));
    CHECK_THROWS_WITH_AS(grad(dvector("v") * 2, x), doctest::Contains("cost must be a scalar"), TypeError);
}

TEST_CASE("consider_constant and stop_gradient block the flow") {
    Var x = dscalar("x");
    Var y = x * x;
    Var cost = y * x; // x^3
    check_close(run(grad(cost, x), {x}, {2.0}), {12});
    check_close(run(grad(cost, x, {.consider_constant = {y}}), {x}, {2.0}), {4}); // y held fixed
    Var cost2 = stop_gradient(x * x) * x;
    check_close(run(grad(cost2, x), {x}, {2.0}), {4});
    check_close(run(cost2, {x}, {2.0}), {8});
}

TEST_CASE("verify_grad catches a wrong gradient") {
    // An op whose symbolic gradient is deliberately off by a factor of two.
    class BadSquare : public Op {
    public:
        std::string kind() const override { return "BadSquare"; }
        std::string params() const override { return {}; }
        std::string name() const override { return "bad_square"; }
        std::vector<Array> perform(const Apply& node, const std::vector<Array>& in) const override {
            return evaluate({sqr(Var(node.inputs()[0])).node()}, {{node.inputs()[0], in[0]}});
        }
        std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& g) const override {
            return {(Var(g[0]) * Var(node.inputs()[0])).node()};
        }
    };
    auto bad = [](const std::vector<Var>& in) {
        return Var(Apply::make(std::make_shared<BadSquare>(), {in[0].node()}, {in[0].type()})->output(0));
    };
    CHECK_THROWS_WITH_AS(verify_grad(bad, {doubles({1.0, 2.0}, {2})}), doctest::Contains("gradient of input 0"),
                         GradientError);
    CHECK_THROWS_AS(verify_grad(bad, {Array::from_values<int>({1})}), TypeError);
}

TEST_CASE("Theano's gradient helpers: zero_grad, grad_scale, grad_clip, undefined_grad, consider_constant") {
    const Var x = dscalar("x");
    auto derivative = [&](const Var& cost, double at) {
        return compile({x}, grad(cost, x))(at)[0].item<double>();
    };
    // d/dx of x * c(x) with the gradient through c changed: closed forms.
    CHECK(derivative(x * zero_grad(x), 3.0) == 3.0);                     // c' taken as 0
    CHECK(derivative(x * consider_constant(x), 3.0) == 3.0);             // the same, disconnected
    CHECK(derivative(sqr(grad_scale(x, 2.5)), 3.0) == 2.5 * 6.0);         // 2x, scaled
    CHECK(derivative(sqr(grad_clip(x, -1, 1)), 3.0) == 1.0);              // 2x = 6, clipped
    CHECK(derivative(sqr(grad_clip(x, -1, 1)), 0.25) == 0.5);             // inside the bounds
    CHECK(derivative(sqr(grad_clip(x, -1, 1)), -3.0) == -1.0);
    CHECK_THROWS_WITH_AS(grad(x * undefined_grad(x), x), doctest::Contains("undefined_grad(x) is undefined"),
                         GradientError);
    CHECK(derivative(x + 0 * stop_gradient(undefined_grad(x)), 2.0) == 1.0); // not on the gradient's path
    CHECK_THROWS_AS(grad_clip(x, 1, -1), ValueError);
    // A zero gradient is still connected; a disconnected one is an error unless asked otherwise.
    CHECK_THROWS_AS(grad(stop_gradient(x) * 2, x), DisconnectedInputError);
    CHECK(compile({x}, grad(zero_grad(x) * 2, x))(1.0)[0].item<double>() == 0.0);

    // Compiled graphs drop them; the graph text keeps them and reads them back.
    const Function f = compile({x}, grad_clip(x, -1, 0.5) * grad_scale(x, 3) + zero_grad(x));
    CHECK(f.rewrites_applied().at("remove_gradient_ops") == 3);
    CHECK(f(2.0)[0].item<double>() == 6.0);
    const std::string text = f.graph_text(Stage::graph);
    CHECK(text.find("GradientModifier{clip=-1:0.5}") != std::string::npos);
    const ParsedGraph read = read_graph_text(text);
    CHECK(compile(read.inputs, read.outputs).graph_text(Stage::graph) == text);
}

TEST_CASE("Theano's nnet names: logsoftmax, softmax_with_bias, sigmoid_binary_crossentropy") {
    const Var m = dmatrix("m"), b = dvector("b"), z = dvector("z"), t = dvector("t");
    CHECK(pp(logsoftmax(m)) == pp(log_softmax(m)));
    const Array rows = doubles({1, 2, 3, -1, 0, 4}, {2, 3});
    const Array bias = doubles({0.5, -1, 2}, {3});
    check_close(compile({m, b}, softmax_with_bias(m, b))(rows, bias)[0],
                compile({m, b}, softmax(m + b))(rows, bias)[0].to_vector<double>(), 1e-15);
    CHECK_THROWS_AS(softmax_with_bias(m, m), TypeError);
    // At logits of +-800: t * softplus(-z) + (1 - t) * softplus(z), finite; and its gradient sigmoid(z) - t.
    const Var cost = sigmoid_binary_crossentropy(z, t);
    const Outputs out = compile({z, t}, std::vector<Var>{cost, grad(sum(cost), z)})(
        std::vector<double>{-800, 800, -800, 800, 0}, std::vector<double>{1, 0, 0, 1, 1});
    check_close(out[0], {800, 800, 0, 0, std::log(2.0)});
    check_close(out[1], {-1, 1, 0, 0, -0.5});
}
