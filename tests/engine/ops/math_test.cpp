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
