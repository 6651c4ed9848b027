#include <kiln/kiln.hpp>

#include <doctest/doctest.h>

#include <cmath>

using namespace kiln;

namespace {

Array eval1(const Var& out, const std::vector<Var>& inputs, const std::vector<Arg>& args) {
    return compile(inputs, out).call(args)[0];
}

// Python's floor division and modulo, written out for the check.
long long py_floordiv(long long a, long long b) {
    long long q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}
long long py_mod(long long a, long long b) { return a - b * py_floordiv(a, b); }

} // namespace

TEST_CASE("literals keep or widen dtypes as Theano's autocasting does") {
    CHECK((fvector() + 1.0).dtype() == DType::float32);
    CHECK((fvector() + 1.1).dtype() == DType::float64);
    CHECK((fmatrix() * 2).dtype() == DType::float32);
    CHECK((bscalar() + 300).dtype() == DType::int16);
    CHECK((iscalar() + 2).dtype() == DType::int32);
    CHECK((dmatrix() * 2).dtype() == DType::float64);
    CHECK((ivector() + fscalar()).dtype() == DType::float64);
    CHECK((wvector() + fscalar()).dtype() == DType::float32);
    CHECK((2 * dvector()).owner()->inputs()[0]->str() == "InplaceDimShuffle{x}.0");
    {
        ConfigOverride float32({{"floatX", "float32"}});
        CHECK((fvector() + 1.1).dtype() == DType::float32);
    }
}

TEST_CASE("division: / is true division (ints give floatX), // floors, % takes the divisor's sign") {
    CHECK((iscalar() / iscalar()).dtype() == DType::float64);
    {
        ConfigOverride float32({{"floatX", "float32"}});
        CHECK((iscalar() / iscalar()).dtype() == DType::float32);
    }
    CHECK(int_div(iscalar(), iscalar()).dtype() == DType::int32);
    CHECK((lvector() % 3).dtype() == DType::int64);

    Var a = lvector("a"), b = lvector("b");
    const std::vector<long long> av = {7, -7, 7, -7, 0, 5}, bv = {2, 2, -2, -2, 3, 5};
    Array floor = eval1(int_div(a, b), {a, b}, {Array::from_values<std::int64_t>({7, -7, 7, -7, 0, 5}),
                                                 Array::from_values<std::int64_t>({2, 2, -2, -2, 3, 5})});
    Array modulo = eval1(a % b, {a, b}, {Array::from_values<std::int64_t>({7, -7, 7, -7, 0, 5}),
                                          Array::from_values<std::int64_t>({2, 2, -2, -2, 3, 5})});
    for (std::size_t i = 0; i < av.size(); ++i) {
        CHECK(floor.value_at<long long>(static_cast<std::int64_t>(i)) == py_floordiv(av[i], bv[i]));
        CHECK(modulo.value_at<long long>(static_cast<std::int64_t>(i)) == py_mod(av[i], bv[i]));
    }
    Var x = dvector("x"), y = dvector("y");
    Array fmod_result = eval1(x % y, {x, y}, {{5.5, -5.5, 5.5}, {2.0, 2.0, -2.0}});
    CHECK(fmod_result.to_vector<double>() == std::vector<double>{1.5, 0.5, -0.5});
    Array ffloor = eval1(int_div(x, y), {x, y}, {{5.5, -5.5, 5.5}, {2.0, 2.0, -2.0}});
    CHECK(ffloor.to_vector<double>() == std::vector<double>{2.0, -3.0, -3.0});
    Array quotient = eval1(x / y, {x, y}, {{1.0, 1.0}, {4.0, 0.0}});
    CHECK(quotient.value_at<double>(0) == 0.25);
    CHECK(std::isinf(quotient.value_at<double>(1)));
    CHECK_THROWS_WITH_AS(eval1(int_div(a, b), {a, b}, {{1}, {0}}), doctest::Contains("integer division by zero"),
                         ValueError);
}

TEST_CASE("comparisons give bool and follow the common dtype") {
    Var x = dvector("x");
    Var i = ivector("i");
    Var c = x < i;
    CHECK(c.dtype() == DType::bool_);
    CHECK(pp(x > 0.5) == "gt(x, TensorConstant{0.5})");
    Array r = eval1(c, {x, i}, {{0.5, 2.0, -1.0}, {1, 2, -3}});
    CHECK(r.to_vector<bool>() == std::vector<bool>{true, false, false});
    Array e = eval1(eq(x, i), {x, i}, {{0.5, 2.0}, {1, 2}});
    CHECK(e.to_vector<bool>() == std::vector<bool>{false, true});
    CHECK(eval1(x >= 2, {x}, {{1.0, 2.0, 3.0}}).to_vector<bool>() == std::vector<bool>{false, true, true});
    CHECK(eval1(le(x, 2), {x}, {{1.0, 2.0, 3.0}}).to_vector<bool>() == std::vector<bool>{true, true, false});
    CHECK(eval1(neq(x, 2), {x}, {{1.0, 2.0}}).to_vector<bool>() == std::vector<bool>{true, false});
}

TEST_CASE("integer arithmetic wraps like NumPy") {
    Var b = bvector("b");
    Array sum = eval1(b + b, {b}, {Array::from_values<std::int8_t>({100, -100})});
    CHECK(sum.to_vector<int>() == std::vector<int>{-56, 56});
    Var u = tensor(DType::uint8, {false}, "u");
    CHECK(eval1(-u, {u}, {Array::from_values<std::uint8_t>({1})}).to_vector<int>() == std::vector<int>{255});
    Var w = wvector("w");
    CHECK(eval1(w * w, {w}, {Array::from_values<std::int16_t>({300})}).to_vector<int>() ==
          std::vector<int>{static_cast<std::int16_t>(90000 - 65536)});
}

TEST_CASE("broadcasting follows the static pattern, row against column") {
    Var r = drow("r"), c = dcol("c");
    Var s = r + c;
    CHECK(s.broadcastable() == std::vector<bool>{false, false});
    Array out = eval1(s, {r, c}, {{{1.0, 2.0, 3.0}}, {{10.0}, {20.0}}});
    REQUIRE(out.shape() == Shape{2, 3});
    const std::vector<double> rv = {1, 2, 3}, cv = {10, 20};
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j) CHECK(out.value_at<double>(i * 3 + j) == rv[j] + cv[i]);
    // Scalars broadcast to every element.
    Var m = dmatrix("m"), k = dscalar("k");
    Array scaled = eval1(m * k - 1, {m, k}, {{{1.0, 2.0}, {3.0, 4.0}}, 3});
    CHECK(scaled.to_vector<double>() == std::vector<double>{2, 5, 8, 11});
}

TEST_CASE("a length-1 dimension that is not broadcastable does not broadcast") {
    Var x = dmatrix("x"), y = dmatrix("y");
    Function f = compile({x, y}, x + y);
    CHECK_THROWS_WITH_AS(f({{1.0, 2.0, 3.0}}, {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}),
                         doctest::Contains("Input dimension mis-match. (input[0].shape[0] = 1, input[1].shape[0] = 2)"),
                         ValueError);
    try {
        f({{1.0, 2.0}}, {{1.0, 2.0, 3.0}});
        FAIL("expected a shape error");
    } catch (const ValueError& e) {
        const std::string message = e.what();
        CHECK(message.find("Apply node that caused the error: Elemwise{add,no_inplace}(x, y)") != std::string::npos);
        CHECK(message.find("Inputs shapes: [(1, 2), (1, 3)]") != std::string::npos);
    }
}

TEST_CASE("dimshuffle and transpose are views with Theano's printing") {
    Var x = dmatrix("x");
    Var t = transpose(x);
    CHECK(pp(t) == "x.T");
    CHECK(t.owner()->op().name() == "InplaceDimShuffle{1,0}");
    Var padded = dimshuffle(x, {DimShuffle::new_axis, 0, 1});
    CHECK(padded.broadcastable() == std::vector<bool>{true, false, false});
    CHECK(pp(padded) == "x");
    Var odd = dimshuffle(x, {1, DimShuffle::new_axis, 0});
    CHECK(pp(odd) == "DimShuffle{1, x, 0}(x)");
    Array out = eval1(t, {x}, {{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}});
    CHECK(out.shape() == Shape{3, 2});
    CHECK(out.to_vector<double>() == std::vector<double>{1, 4, 2, 5, 3, 6});
    CHECK_THROWS_WITH_AS(dimshuffle(x, {0}), doctest::Contains("You cannot drop a non-broadcastable dimension"),
                         ValueError);
    CHECK_THROWS_AS(dimshuffle(x, {0, 0}), ValueError);
    CHECK_THROWS_AS(dimshuffle(x, {0, 2}), ValueError);
    Var r = drow("r");
    CHECK(dimshuffle(r, {1}).type() == dvector);
}

TEST_CASE("booleans: + is or, * is and, - is refused") {
    Var p = tensor(DType::bool_, {false}, "p"), q = tensor(DType::bool_, {false}, "q");
    CHECK((p + q).dtype() == DType::bool_);
    Array s = eval1(p + q, {p, q}, {{true, false, false}, {true, true, false}});
    CHECK(s.to_vector<bool>() == std::vector<bool>{true, true, false});
    Array m = eval1(p * q, {p, q}, {{true, false, true}, {true, true, false}});
    CHECK(m.to_vector<bool>() == std::vector<bool>{true, false, false});
    CHECK_THROWS_AS(p - q, TypeError);
    CHECK_THROWS_AS(-p, TypeError);
}
