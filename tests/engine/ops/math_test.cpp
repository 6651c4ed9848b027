#include "../test_helpers.hpp"

#include <numbers>

using namespace kiln;
using kiln::test::check_close;
using kiln::test::run;

namespace {

struct UnaryCase {
    const char* name;
    Var (*op)(const Var&);
    double (*reference)(double);
    double low, high;
};

double ref_sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double ref_softplus(double x) { return std::log(1 + std::exp(x)); }
double ref_sign(double x) { return (x > 0) - (x < 0); }
double ref_inv(double x) { return 1 / x; }
double ref_sqr(double x) { return x * x; }
double ref_round(double x) { return std::nearbyint(x); }

// Closed forms from <cmath>, each over a domain where it is defined.
const UnaryCase unary_cases[] = {
    {"exp", exp, [](double x) { return std::exp(x); }, -3, 3},
    {"exp2", exp2, [](double x) { return std::exp2(x); }, -3, 3},
    {"expm1", expm1, [](double x) { return std::expm1(x); }, -1, 1},
    {"log", log, [](double x) { return std::log(x); }, 0.1, 5},
    {"log2", log2, [](double x) { return std::log2(x); }, 0.1, 5},
    {"log10", log10, [](double x) { return std::log10(x); }, 0.1, 5},
    {"log1p", log1p, [](double x) { return std::log1p(x); }, -0.5, 5},
    {"sqrt", sqrt, [](double x) { return std::sqrt(x); }, 0.1, 5},
    {"sin", sin, [](double x) { return std::sin(x); }, -3, 3},
    {"cos", cos, [](double x) { return std::cos(x); }, -3, 3},
    {"tan", tan, [](double x) { return std::tan(x); }, -1.2, 1.2},
    {"arcsin", arcsin, [](double x) { return std::asin(x); }, -0.9, 0.9},
    {"arccos", arccos, [](double x) { return std::acos(x); }, -0.9, 0.9},
    {"arctan", arctan, [](double x) { return std::atan(x); }, -3, 3},
    {"sinh", sinh, [](double x) { return std::sinh(x); }, -2, 2},
    {"cosh", cosh, [](double x) { return std::cosh(x); }, -2, 2},
    {"tanh", tanh, [](double x) { return std::tanh(x); }, -2, 2},
    {"sigmoid", sigmoid, ref_sigmoid, -5, 5},
    {"softplus", softplus, ref_softplus, -5, 5},
    {"erf", erf, [](double x) { return std::erf(x); }, -2, 2},
    {"erfc", erfc, [](double x) { return std::erfc(x); }, -2, 2},
    {"abs", abs, [](double x) { return std::fabs(x); }, -3, 3},
    {"sign", sign, ref_sign, -3, 3},
    {"sqr", sqr, ref_sqr, -3, 3},
    {"inv", inv, ref_inv, 0.5, 3},
    {"floor", floor, [](double x) { return std::floor(x); }, -3, 3},
    {"ceil", ceil, [](double x) { return std::ceil(x); }, -3, 3},
    {"round", round, ref_round, -3, 3},
    {"trunc", trunc, [](double x) { return std::trunc(x); }, -3, 3},
};

// Ops whose gradient verify_grad checks (the rest are piecewise constant).
bool differentiable(const std::string& name) {
    return name != "sign" && name != "floor" && name != "ceil" && name != "round" && name != "trunc";
}

} // namespace

TEST_CASE("unary ops: values, dtypes, broadcast patterns and gradients") {
    for (const UnaryCase& c : unary_cases) {
        CAPTURE(c.name);
        const std::vector<double> values = test::uniform(6, c.low, c.high);
        Var x = drow("x");
        Var y = c.op(x);
        CHECK(y.dtype() == DType::float64);
        CHECK(y.broadcastable() == std::vector<bool>{true, false});
        std::vector<double> expected;
        for (double v : values) expected.push_back(c.reference(v));
        check_close(run(y, {x}, {Arg(test::doubles(values, {1, 6}))}), expected, 1e-13);
        // float32 in, float32 out.
        CHECK(c.op(fvector()).dtype() == DType::float32);
        if (differentiable(c.name))
            verify_grad([&](const std::vector<Var>& in) { return c.op(in[0]); }, {test::doubles(values, {1, 6})});
    }
}

TEST_CASE("float functions of integers give float32 or float64 by width") {
    CHECK(exp(bvector()).dtype() == DType::float32);
    CHECK(exp(wvector()).dtype() == DType::float32);
    CHECK(exp(ivector()).dtype() == DType::float64);
    CHECK(sqrt(lvector()).dtype() == DType::float64);
    CHECK(abs(ivector()).dtype() == DType::int32);
    Var i = ivector("i");
    check_close(run(exp(i), {i}, {{0, 1}}), {1, std::numbers::e});
    CHECK(run(abs(i), {i}, {{-3, 4}}).to_vector<int>() == std::vector<int>{3, 4});
    CHECK(run(sign(i), {i}, {{-3, 0, 4}}).to_vector<int>() == std::vector<int>{-1, 0, 1});
}

TEST_CASE("sigmoid and softplus stay finite and accurate in the tails") {
    Var x = dvector("x");
    Array s = run(sigmoid(x), {x}, {{-800.0, 800.0, -40.0}});
    CHECK(s.value_at<double>(0) == doctest::Approx(0).scale(1e-300));
    CHECK(s.value_at<double>(1) == 1.0);
    CHECK(s.value_at<double>(2) == doctest::Approx(std::exp(-40.0)).epsilon(1e-12));
    Array p = run(softplus(x), {x}, {{-800.0, 800.0, -40.0, 20.0}});
    CHECK(p.value_at<double>(0) == 0.0);
    CHECK(p.value_at<double>(1) == 800.0);
    CHECK(p.value_at<double>(2) == doctest::Approx(std::exp(-40.0)).epsilon(1e-12));
    CHECK(p.value_at<double>(3) == doctest::Approx(20 + std::exp(-20.0)).epsilon(1e-15));
}

TEST_CASE("round is half to even") {
    Var x = dvector("x");
    check_close(run(round(x), {x}, {{0.5, 1.5, 2.5, -0.5, -1.5, 2.4}}), {0, 2, 2, -0, -2, 2});
}

TEST_CASE("binary ops: pow, maximum, minimum, arctan2 with gradients") {
    Var a = dvector("a"), b = dvector("b");
    const std::vector<double> av = {0.5, 2.3, 3.1}, bv = {2.0, -1.0, 0.5};
    check_close(run(pow(a, b), {a, b}, {av, bv}), {0.25, 1 / 2.3, std::sqrt(3.1)});
    check_close(run(maximum(a, b), {a, b}, {av, bv}), {2, 2.3, 3.1});
    check_close(run(minimum(a, b), {a, b}, {av, bv}), {0.5, -1, 0.5});
    check_close(run(arctan2(a, b), {a, b}, {av, bv}), {std::atan2(0.5, 2.0), std::atan2(2.3, -1.0), std::atan2(3.1, 0.5)});
    const std::vector<Array> points = {test::doubles(av, {3}), test::doubles(bv, {3})};
    for (auto op : {+[](const Var& x, const Var& y) { return pow(x, y); },
                    +[](const Var& x, const Var& y) { return maximum(x, y); },
                    +[](const Var& x, const Var& y) { return minimum(x, y); },
                    +[](const Var& x, const Var& y) { return arctan2(x, y); },
                    +[](const Var& x, const Var& y) { return x / y; },
                    +[](const Var& x, const Var& y) { return x * y - y; },
                    +[](const Var& x, const Var& y) { return x % y; }})
        verify_grad([&](const std::vector<Var>& in) { return op(in[0], in[1]); }, points);
    // Integer powers stay integers; NaN wins in maximum.
    Var i = lvector("i");
    CHECK(run(pow(i, 3), {i}, {{2, -3}}).to_vector<long>() == std::vector<long>{8, -27});
    CHECK(std::isnan(run(maximum(a, b), {a, b}, {{NAN}, {1.0}}).value_at<double>(0)));
}

TEST_CASE("where, clip and fill broadcast like Elemwise and have gradients") {
    Var c = tensor(DType::bool_, {false}, "c");
    Var x = dvector("x");
    Var s = dscalar("s");
    CHECK(pp(where(c, x, s)) == "switch(c, x, s)");
    check_close(run(where(c, x, s), {c, x, s}, {{true, false, true}, {1.0, 2.0, 3.0}, 9}), {1, 9, 3});
    check_close(run(where(x > 1.5, x, 0), {x}, {{1.0, 2.0}}), {0, 2});
    check_close(run(clip(x, 1.5, 2.5), {x}, {{1.0, 2.0, 3.0}}), {1.5, 2.0, 2.5});
    Var m = dmatrix("m");
    Array filled = run(fill(m, 7.0), {m}, {{{1.0, 2.0}, {3.0, 4.0}}});
    CHECK(filled.dtype() == DType::float32); // the value's dtype, as in Theano
    check_close(filled, {7, 7, 7, 7});
    check_close(run(zeros_like(m) + ones_like(m), {m}, {{{1.0, 2.0}}}), {1, 1});
    check_close(run(relu(x), {x}, {{-1.0, 2.0}}), {0, 2});
    verify_grad([](const std::vector<Var>& in) { return where(in[0] > 0, in[0] * 3, in[1]); },
                {test::doubles({-1, 2, 0.5}, {3}), test::doubles({4, 5, 6}, {3})});
    verify_grad([](const std::vector<Var>& in) { return clip(in[0], -1.0, 1.0) * 2; },
                {test::doubles({-2, 0.3, 0.7, 3}, {4})});
}

TEST_CASE("logic ops: bool logically, integers bitwise, floats refused") {
    Var p = tensor(DType::bool_, {false}, "p"), q = tensor(DType::bool_, {false}, "q");
    CHECK(run(p & q, {p, q}, {{true, true, false}, {true, false, false}}).to_vector<bool>() ==
          std::vector<bool>{true, false, false});
    CHECK(run(p | q, {p, q}, {{true, false, false}, {false, false, true}}).to_vector<bool>() ==
          std::vector<bool>{true, false, true});
    CHECK(run(p ^ q, {p, q}, {{true, true}, {true, false}}).to_vector<bool>() == std::vector<bool>{false, true});
    CHECK(run(~p, {p}, {{true, false}}).to_vector<bool>() == std::vector<bool>{false, true});
    Var i = ivector("i");
    CHECK(run(i & 6, {i}, {{5, 3}}).to_vector<int>() == std::vector<int>{4, 2});
    CHECK(run(~i, {i}, {{0, 5}}).to_vector<int>() == std::vector<int>{-1, -6});
    CHECK_THROWS_WITH_AS(and_(dvector(), p), doctest::Contains("and_(): needs bool or integer operands"), TypeError);
}

TEST_CASE("isnan and isinf") {
    Var x = dvector("x");
    CHECK(run(isnan(x), {x}, {{1.0, NAN, INFINITY}}).to_vector<bool>() == std::vector<bool>{false, true, false});
    CHECK(run(isinf(x), {x}, {{1.0, NAN, -INFINITY}}).to_vector<bool>() == std::vector<bool>{false, false, true});
    Var i = ivector("i");
    CHECK(run(isnan(i), {i}, {{1}}).to_vector<bool>() == std::vector<bool>{false});
}

TEST_CASE("cast converts like NumPy and passes gradients through") {
    Var x = dvector("x");
    Var c = cast(x, DType::int32);
    CHECK(c.dtype() == DType::int32);
    CHECK(run(c, {x}, {{-1.7, 2.9}}).to_vector<int>() == std::vector<int>{-1, 2});
    CHECK(cast(x, DType::float64).is(x));
    verify_grad([](const std::vector<Var>& in) { return cast(in[0], DType::float32) * 2; },
                {test::doubles({0.5, 1.5}, {2})}, {.eps = 1e-3});
}

// log1mexp, an op the scalar-op table defines by other scalar ops.
namespace {

Var log1mexp_of(const Var& x) { return elemwise(ScalarOp::log1mexp, {x}); }

} // namespace

TEST_CASE("log1mexp(x) = log(1 - exp(x)) keeps its digits at both ends, where the naive form loses them") {
    const Var x = dvector("x");
    // Closed forms: the ends from the series log(-x) + x/2 + x^2/24 and
    // -e^x - e^(2x)/2, the middle from long-double libm.
    const std::vector<double> points = {-1e-10, -1e-3, -0.5, -std::numbers::ln2, -1, -5, -50};
    std::vector<double> expected;
    for (double p : points) {
        const long double q = p;
        expected.push_back(static_cast<double>(p > -1e-3 ? std::log(-q) + q / 2 + q * q / 24
                                               : p < -40 ? -std::exp(q) - std::exp(2 * q) / 2
                                                         : std::log1p(-std::exp(q))));
    }
    const Array values = Array::from_values(points, {static_cast<std::int64_t>(points.size())});
    for (const Linker linker : {Linker::jit, Linker::interpreter}) {
        CAPTURE(linker_name(linker));
        const Array got = compile({x}, log1mexp_of(x), {.linker = linker})(values)[0];
        check_close(got, expected, 2e-15);
    }
    // What the definition is there for.
    CHECK(std::abs(std::log(1 - std::exp(-1e-10)) - expected[0]) > 1e-8);
    CHECK(std::log(1 - std::exp(-50.0)) == 0.0);
    // In float32 too, and at 0 (the limit, -inf).
    const Var f = fvector("f");
    const Array single = compile({f}, log1mexp_of(f))(Array::from_values<float>({-0.25f, -3.0f, 0.0f}))[0];
    CHECK(single.dtype() == DType::float32);
    CHECK(single.value_at<double>(0) == doctest::Approx(std::log(-std::expm1(-0.25))).epsilon(1e-6));
    CHECK(single.value_at<double>(1) == doctest::Approx(std::log1p(-std::exp(-3.0))).epsilon(1e-6));
    CHECK(std::isinf(single.value_at<double>(2)));
}

TEST_CASE("log1mexp's gradient is 1 / (1 - exp(-x)), as finite differences agree") {
    const Var x = dvector("x");
    const std::vector<double> points = {-0.01, -0.3, -0.9, -2, -20};
    const Array values = Array::from_values(points, {static_cast<std::int64_t>(points.size())});
    const Var g = grad(sum(log1mexp_of(x)), x);
    std::vector<double> expected;
    for (double p : points) expected.push_back(-1 / std::expm1(-p));
    check_close(compile({x}, g)(values)[0], expected, 1e-12);
    verify_grad([](const std::vector<Var>& in) { return log1mexp_of(in[0]); },
                {Array::from_values<double>({-0.05, -0.4, -1.5, -6})});
}

TEST_CASE("log1mexp needs no backend of its own: kernels hold the ops it is made of; text knows its name") {
    const Var x = dvector("x");
    const Function f = compile({x}, log1mexp_of(x) * 2.0);
    REQUIRE(f.kernels().size() == 1);
    const std::string kernel = f.dump(Stage::kernel);
    CHECK(kernel.find("log1mexp") == std::string::npos);
    for (const char* op : {"expm1", "log1p", "switch", "gt"}) CHECK(kernel.find(op) != std::string::npos);
    // The graph keeps the op itself.
    CHECK(pp(log1mexp_of(x)) == "log1mexp(x)");
    CHECK(f.dump(Stage::optimized).find("Elemwise{log1mexp,no_inplace}") != std::string::npos);
    // The expression language and the graph text format read it by its table name.
    const ParsedGraph parsed = parse_expression("v: f64[:]; out = log1mexp(v)");
    const Array at = Array::from_values<double>({-2.0});
    const Function from_text = compile(parsed.inputs, parsed.outputs);
    check_close(from_text(at)[0], {std::log1p(-std::exp(-2.0))}, 1e-15);
    const std::string text = write_graph_text(parsed.outputs, parsed.inputs, {});
    CHECK(text.find("Elemwise{log1mexp}") != std::string::npos);
    const ParsedGraph read = read_graph_text(text);
    check_close(compile(read.inputs, read.outputs)(at)[0], {std::log1p(-std::exp(-2.0))}, 1e-15);
}

TEST_CASE("round(x, mode): Theano's two modes against the C library, halves and their neighbours") {
    const Var x = dvector("x");
    const std::vector<double> values = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, -0.49999999999999994,
                                        2.4, -2.6, 1e300, -0.0, INFINITY, -INFINITY, 4503599627370495.5};
    std::vector<double> away, even;
    for (double v : values) {
        away.push_back(std::round(v));     // C's round: halves away from zero
        even.push_back(std::nearbyint(v)); // the default rounding mode: halves to even
    }
    for (const Linker linker : {Linker::jit, Linker::interpreter}) {
        CAPTURE(static_cast<int>(linker));
        const Function f = compile({x}, std::vector<Var>{round(x, "half_away_from_zero"), round(x, "half_to_even")},
                                   {.linker = linker});
        const Outputs out = f(values);
        // Exactly, the sign of zero included.
        for (const auto& [got, expected] : {std::pair{out[0].to_vector<double>(), away}, {out[1].to_vector<double>(), even}})
            for (std::size_t i = 0; i < values.size(); ++i) {
                CAPTURE(values[i]);
                CHECK(got[i] == expected[i]);
                CHECK(std::signbit(got[i]) == std::signbit(expected[i]));
            }
    }
    CHECK(pp(round(x, "half_to_even")) == pp(round(x)));
    CHECK_THROWS_WITH_AS(round(x, "up"), doctest::Contains("mode 'up'"), ValueError);
    // Its gradient is zero, as every rounding's.
    CHECK(compile({x}, grad(sum(round(x, "half_away_from_zero")), x))(std::vector<double>{0.3, 2.5})[0]
              .to_vector<double>() == std::vector<double>{0, 0});
}
