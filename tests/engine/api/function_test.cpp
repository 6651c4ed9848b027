#include <kiln/kiln.hpp>

#include "engine/runtime/interpreter.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <thread>

using namespace kiln;

TEST_CASE("arity errors name the missing input") {
    auto [x, y] = dscalars("x", "y");
    Function f = compile({x, y}, x + y);
    CHECK_THROWS_WITH_AS(f(1, 2, 3), doctest::Contains("Too many parameters"), TypeError);
    CHECK_THROWS_WITH_AS(f(1), doctest::Contains("Missing required input: y"), TypeError);
}

TEST_CASE("values that would lose precision are refused unless allowed") {
    Var inc = iscalar("inc");
    Function f = compile({inc}, inc * 2);
    CHECK_THROWS_WITH_AS(f(3.5), doctest::Contains("index 0 ('inc')"), TypeError);
    CHECK_THROWS_WITH_AS(f(3.5), doctest::Contains("TensorType(int32, scalar) cannot store accurately value 3.5, "
                                                   "it would be represented as 3."),
                         TypeError);
    CHECK_THROWS_WITH_AS(f(3.5), doctest::Contains("1) cast your data to int32 yourself (Array::astype(DType::int32)), "
                                                   "or 2) set CompileOptions::allow_input_downcast = true in compile()."),
                         TypeError);
    CHECK(compile({inc}, inc * 2, {.allow_input_downcast = true})(3.5)[0].item<int>() == 6);
    CHECK(f(3.0)[0].value_at<int>(0) == 6); // exact: accepted
    CHECK_THROWS_AS(f(std::int64_t{1} << 40), TypeError);
    // Arrays are checked by dtype, never by value.
    Var v = ivector("v");
    Function g = compile({v}, v + 1);
    CHECK_THROWS_WITH_AS(g(Array::from_values<std::int64_t>({1, 2})),
                         doctest::Contains("cannot store a value of dtype int64 without risking loss of precision"),
                         TypeError);
    CHECK(g({1, 2})[0].to_vector<int>() == std::vector<int>{2, 3}); // braces: exact values pass
    CHECK(g(Array::from_values<std::int16_t>({1, 2}))[0].dtype() == DType::int32); // safe upcast
    Function lenient = compile({inc}, inc * 2, {.allow_input_downcast = true});
    CHECK(lenient(3.5)[0].value_at<int>(0) == 6);
    Var fx = fscalar("fx");
    {
        ConfigOverride float32({{"floatX", "float32"}});
        Function h = compile({fx}, fx + 1);
        CHECK(h(0.1)[0].value_at<float>(0) == doctest::Approx(1.1f));
    }
    Function strict = compile({fx}, fx + 1);
    CHECK_THROWS_AS(strict(0.1), TypeError); // floatX is float64: 0.1 does not fit float32 exactly
    CHECK(strict(0.5)[0].value_at<float>(0) == 1.5f);
}

TEST_CASE("rank and broadcastable dimensions are checked") {
    Var x = dvector("x");
    Function f = compile({x}, x * 2);
    CHECK_THROWS_WITH_AS(f({{1.0, 2.0}, {3.0, 4.0}}),
                         doctest::Contains("Wrong number of dimensions: expected 1, got 2 with shape (2, 2)."), TypeError);
    Var r = drow("r");
    Function g = compile({r}, r * 2);
    CHECK_THROWS_WITH_AS(g({{1.0}, {2.0}}), doctest::Contains("Non-unit value on shape on a broadcastable dimension"),
                         TypeError);
    CHECK(g({{1.0, 2.0}})[0].shape() == Shape{1, 2});
}

TEST_CASE("compile() refuses bad inputs, outputs and updates with the culprit named") {
    Var x = dscalar("x");
    SharedVar w = shared(1.0, "w");
    CHECK_THROWS_WITH_AS(compile({w}, w * 2), doctest::Contains("Cannot use a shared variable (w) as explicit input"),
                         TypeError);
    CHECK_THROWS_WITH_AS(compile({as_tensor(2.0)}, x), doctest::Contains("Constants not allowed"), TypeError);
    CHECK_THROWS_WITH_AS(compile({x, x}, x * 2), doctest::Contains("Variable x is used twice in inputs"),
                         UnusedInputError);
    CHECK_THROWS_WITH_AS(compile({x}, x, {.updates = {{x, x + 1}}}), doctest::Contains("not a shared variable"),
                         TypeError);
    CHECK_THROWS_WITH_AS(compile({x}, x, {.updates = {{w, w + 1}, {w, w - 1}}}),
                         doctest::Contains("already has an update expression"), ValueError);
    SharedVar counter = shared(0, "counter");
    CHECK_THROWS_WITH_AS(compile({x}, x, {.updates = {{counter, counter + x}}}),
                         doctest::Contains("shared_var.type=TensorType(int64, scalar)"), TypeError);
    CHECK_THROWS_WITH_AS(compile({x}, x, {.updates = {{counter, counter + x}}}),
                         doctest::Contains("update_val.type=TensorType(float64, scalar)"), TypeError);
}

TEST_CASE("inputs no output needs, and inputs never provided") {
    auto [x, y] = dscalars("x", "y");
    CHECK_THROWS_WITH_AS(compile({x, y}, x * 2),
                         doctest::Contains("the provided input variable at index 1 is not part of the computational "
                                           "graph needed to compute the outputs: y"),
                         UnusedInputError);
    CHECK_NOTHROW(compile({x, y}, x * 2, {.on_unused_input = OnUnusedInput::ignore}));
    CHECK_NOTHROW(compile({x, y}, x * 2, {.on_unused_input = OnUnusedInput::warn}));
    {
        ConfigOverride ignore({{"on_unused_input", "ignore"}});
        CHECK_NOTHROW(compile({x, y}, x * 2));
    }
    CHECK_THROWS_WITH_AS(compile({x}, x + y),
                         doctest::Contains("Input 1 of the graph (indices start from 0), used to compute "
                                           "Elemwise{add,no_inplace}(x, y), was not provided"),
                         MissingInputError);
}

TEST_CASE("updates read the old values and are committed together") {
    SharedVar a = shared(1.0, "a");
    SharedVar b = shared(2.0, "b");
    Function swap = compile({}, std::vector<Var>{}, {.updates = {{a, b}, {b, a}}});
    CHECK(swap().size() == 0);
    CHECK(a.get_value().value_at<double>(0) == 2.0);
    CHECK(b.get_value().value_at<double>(0) == 1.0);
    // Outputs are computed from the pre-update state.
    Var x = dscalar("x");
    Function step = compile({x}, std::vector<Var>{a, a * x}, {.updates = {{a, a + x}}});
    Outputs out = step(10);
    CHECK_FALSE(out.single());
    CHECK(out[0].value_at<double>(0) == 2.0);
    CHECK(out[1].value_at<double>(0) == 20.0);
    CHECK(a.get_value().value_at<double>(0) == 12.0);
}

TEST_CASE("a failed call changes no shared variable") {
    SharedVar total = shared(Array::from_values<double>({1, 2}), "total");
    SharedVar calls = shared(0, "calls");
    Var v = dvector("v");
    Var n = lscalar("n");
    Function f = compile({v, n}, total, {.updates = {{calls, calls + n}, {total, total + v}}});
    f({1.0, 1.0}, 1);
    CHECK(calls.get_value().value_at<int>(0) == 1);
    // The second update fails on shapes after the first was computed.
    CHECK_THROWS_AS(f({1.0, 1.0, 1.0}, 1), ValueError);
    CHECK(calls.get_value().value_at<int>(0) == 1);
    CHECK(total.get_value().to_vector<double>() == std::vector<double>{2, 3});
    // A refused argument also leaves everything as it was.
    CHECK_THROWS_AS(f({1.0, 1.0}, 1.5), TypeError);
    CHECK(calls.get_value().value_at<int>(0) == 1);
}

TEST_CASE("outputs never alias inputs, shared values or each other") {
    SharedVar w = shared(Array::from_values<double>({1, 2}), "w");
    Var x = dvector("x");
    Function f = compile({x}, std::vector<Var>{w, x, transpose(x)});
    Array input = Array::from_values<double>({5, 6});
    Outputs out = f(input);
    CHECK_FALSE(out[0].shares_buffer_with(w.get_value(true)));
    CHECK_FALSE(out[1].shares_buffer_with(input));
    CHECK_FALSE(out[2].shares_buffer_with(out[1]));
    out[0].view({2}, {1}).mutable_data_as<double>()[0] = 100;
    CHECK(w.get_value().value_at<double>(0) == 1.0);
    // An update to an input's value, and that value returned twice.
    SharedVar v = shared(Array::from_values<double>({0, 0}), "v");
    Function g = compile({x}, std::vector<Var>{x, x}, {.updates = {{v, x}}});
    Outputs both = g(input);
    CHECK_FALSE(v.get_value(true).shares_buffer_with(input));
    CHECK_FALSE(both[0].shares_buffer_with(input));
    CHECK_FALSE(both[0].shares_buffer_with(v.get_value(true)));
    CHECK_FALSE(both[1].shares_buffer_with(both[0]));
    CHECK_FALSE(both[1].shares_buffer_with(v.get_value(true)));
    CHECK(v.get_value().value_at<double>(1) == 6.0);
}

TEST_CASE("givens substitute variables before compiling") {
    Var x = dscalar("x");
    Var y = dscalar("y");
    Var z = dscalar("z");
    Var out = x * y;
    Function f = compile({z}, out, {.givens = {{x, z + 1}, {y, constant(Array::scalar(3.0))}}});
    CHECK(f(1)[0].value_at<double>(0) == 6.0);
    CHECK(pp(f.outputs()[0]) == "(TensorConstant{3.0} * (TensorConstant{1} + z))");
    Function plain = compile({z}, out, {.givens = {{x, z + 1}, {y, constant(Array::scalar(3.0))}},
                                        .mode = OptimizerMode::none});
    CHECK(pp(plain.outputs()[0]) == "((z + TensorConstant{1}) * TensorConstant{3.0})");
    // The user's graph is untouched.
    CHECK(pp(out) == "(x * y)");
    SharedVar s = shared(2.0, "s");
    Function g = compile({y}, out, {.givens = {{x, s}}});
    CHECK(g(5)[0].value_at<double>(0) == 10.0);
    CHECK_THROWS_WITH_AS(compile({x}, out, {.givens = {{x, z}}}), doctest::Contains("is an input to your function"),
                         ValueError);
    CHECK_THROWS_WITH_AS(compile({z}, out, {.givens = {{x, dvector("v")}}}),
                         doctest::Contains("Cannot convert Type TensorType(float64, vector)"), TypeError);
    CHECK_THROWS_WITH_AS(compile({z}, out, {.givens = {{x, y + 1}, {y, z}}}),
                         doctest::Contains("depends on y, which is itself replaced"), ValueError);
}

TEST_CASE("the interpreter evaluates graphs directly") {
    Var x = dvector("x");
    Var y = x * 3 + 1;
    std::vector<Array> out = evaluate({y.node()}, {{x.node(), Array::from_values<double>({1, 2})}});
    CHECK(out[0].to_vector<double>() == std::vector<double>{4, 7});
    CHECK_THROWS_AS(evaluate({y.node()}), MissingInputError);
}

TEST_CASE("debugprint of a compiled function numbers its schedule") {
    Var x = dmatrix("x");
    Function optimized = compile({x}, x * 2);
    CHECK(debugprint(optimized) == "Elemwise{mul,no_inplace} [id A] ''   0\n"
                                   " |TensorConstant{(1, 1) of 2} [id B]\n"
                                   " |x [id C]\n");
    Function f = compile({x}, x * 2, {.mode = OptimizerMode::none});
    CHECK(debugprint(f) == "Elemwise{mul,no_inplace} [id A] ''   1\n"
                           " |x [id B]\n"
                           " |InplaceDimShuffle{x,x} [id C] ''   0\n"
                           "   |TensorConstant{2} [id D]\n");
}

TEST_CASE("eval computes a variable with its inputs bound") {
    auto [x, y] = dscalars("x", "y");
    CHECK((x * y + 1).eval({{x, 2.0}, {y, 3}}).value_at<double>(0) == 7.0);
    SharedVar s = shared(4.0, "s");
    CHECK((s * 2).eval().value_at<double>(0) == 8.0);
    Var v = dvector("v");
    CHECK(sum(v).eval({{v, {1.0, 2.0, 3.0}}}).value_at<double>(0) == 6.0);
    CHECK_THROWS_AS((x + y).eval({{x, 1.0}}), MissingInputError);
    CHECK_THROWS_AS(x.eval({{x, 1.5}, {y, 2.0}, {x, 2.0}}), UnusedInputError);
}

TEST_CASE("one function called from several threads at once gives each caller its own result") {
    Var x = dvector("x"), y = dscalar("y");
    const Function f = compile({x, y}, std::vector<Var>{exp(x) * y, sum(x) + y});
    std::vector<std::thread> callers;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 4; ++t)
        callers.emplace_back([&, t] {
            for (int call = 0; call < 300; ++call) {
                const double scale = t * 1000 + call;
                const std::vector<double> values{0.5 * t, 1.0, -0.25 * call};
                const Outputs out = f(values, scale);
                for (std::size_t i = 0; i < values.size(); ++i)
                    if (std::abs(out[0].value_at<double>(i) - std::exp(values[i]) * scale) > 1e-9 * std::abs(scale) + 1e-12)
                        ++wrong;
                if (std::abs(out[1].value_at<double>(0) - (values[0] + values[1] + values[2] + scale)) > 1e-9) ++wrong;
            }
        });
    for (auto& caller : callers) caller.join();
    CHECK(wrong == 0);
}

TEST_CASE("functions and graphs in static storage are destroyed at exit without touching freed memory (a fuzz finding)") {
    // Destroyed after this thread's thread_local objects: the sanitizer
    // build reports any use of them then.
    static const Var kept_input = dvector("kept");
    static const Function kept = compile({kept_input}, exp(kept_input) * 2.0 + sum(kept_input));
    CHECK(kept(std::vector<double>{0.0})[0].value_at<double>(0) == 2.0);
}

TEST_CASE("results that unpack: item<T>(), a scalar output as a number, structured bindings") {
    const Var x = dscalar("x"), w = dvector("w"), b = dscalar("b");
    // item<T>(): the one element of a size-1 array, any shape, converted.
    CHECK(Array::from_values<double>({2.5}, {1, 1}).item<double>() == 2.5);
    CHECK(Array::from_values<double>({2.5}).item<int>() == 2);
    CHECK_THROWS_WITH_AS(Array::from_values<double>({1, 2}).item<double>(),
                         doctest::Contains("size 1 to a C++ scalar, not one of shape (2,)"), ValueError);

    // A single scalar output converts to a number where that is exact.
    const Function square = compile({x}, x * x);
    const double d = square(3.0);
    CHECK(d == 9.0);
    const Function count = compile({w}, shape(w)[0]);
    const std::int64_t n = count(std::vector<double>{1, 2, 3});
    CHECK(n == 3);
    const Function single_precision = compile({x}, cast(x, DType::float32));
    const double widened = single_precision(0.1);
    CHECK(widened == static_cast<double>(0.1f));
    CHECK_THROWS_WITH_AS(static_cast<void>(static_cast<int>(square(3.0))),
                         doctest::Contains("a float64 output does not convert to int32 exactly"), TypeError);
    CHECK_THROWS_WITH_AS(static_cast<void>(static_cast<double>(compile({w}, w * 2)(std::vector<double>{1, 2}))),
                         doctest::Contains("the output has shape (2,)"), TypeError);

    // Gradients of a braced list take apart; they still make a vector.
    const Var cost = sum(w * x) + b * b;
    auto [gw, gb] = grad(cost, {w, b});
    CHECK(pp(gw) == pp(grad(cost, w)));
    CHECK(pp(gb) == pp(grad(cost, b)));
    const std::vector<Var> as_vector = grad(cost, {w, b});
    CHECK(as_vector.size() == 2);

    // Outputs take apart with unpack<N>(), which checks the count.
    const Function both = compile({x, w, b}, std::vector<Var>{cost, gw});
    auto [value, gradient] = both(2.0, std::vector<double>{1, 3}, 0.5).unpack<2>();
    CHECK(value.item<double>() == 8.25);
    CHECK(gradient.to_vector<double>() == std::vector<double>{2, 2});
    CHECK_THROWS_WITH_AS(both(2.0, std::vector<double>{1, 3}, 0.5).unpack<3>(),
                         doctest::Contains("unpack<3>() of a function that returns 2 outputs"), ValueError);
}

TEST_CASE("a braced list of outputs is a list even of one; {} compiles updates only") {
    const Var x = dscalar("x");
    const Function listed = compile({x}, {x * 2});
    CHECK_FALSE(listed.outputs().empty());
    const Outputs out = listed(4.0);
    CHECK_FALSE(out.single());
    CHECK(out.size() == 1);
    CHECK(out[0].item<double>() == 8.0);
    CHECK(compile({x}, x * 2)(4.0).single());

    SharedVar counter = shared(0.0, "counter");
    const Function step = compile({}, {}, {.updates = {{counter, counter + 1}}});
    CHECK(step().size() == 0);
    step();
    CHECK(counter.get_value().item<double>() == 2.0);
}
