#include "../test_helpers.hpp"

using namespace kiln;
using kiln::test::check_close;
using kiln::test::doubles;
using kiln::test::run;

namespace {

// x[i][j] = values of a 2 x 3 matrix used throughout, and its reductions by hand.
const std::vector<double> m23 = {1, 5, 3, 4, 2, 6};

} // namespace

TEST_CASE("sum, prod, max, min over none, one or several axes") {
    Var x = dmatrix("x");
    const Arg m = doubles(m23, {2, 3});
    check_close(run(sum(x), {x}, {m}), {21});
    check_close(run(sum(x, 0), {x}, {m}), {5, 7, 9});
    check_close(run(sum(x, 1), {x}, {m}), {9, 12});
    check_close(run(sum(x, -1), {x}, {m}), {9, 12});
    check_close(run(sum(x, {0, 1}), {x}, {m}), {21});
    check_close(run(prod(x, 1), {x}, {m}), {15, 48});
    check_close(run(max(x, 0), {x}, {m}), {4, 5, 6});
    check_close(run(min(x, 1), {x}, {m}), {1, 2});
    check_close(run(mean(x, 0), {x}, {m}), {2.5, 3.5, 4.5});
    check_close(run(mean(x), {x}, {m}), {3.5});
    // var over everything: mean 3.5, squared deviations sum to 17.5.
    check_close(run(var(x), {x}, {m}), {17.5 / 6});
    check_close(run(var(x, {}, false, 1), {x}, {m}), {17.5 / 5});
    check_close(run(kiln::std(x, 1), {x}, {m}), {std::sqrt(8.0 / 3), std::sqrt(8.0 / 3)});
}

TEST_CASE("keepdims keeps reduced axes as broadcastable length-1 axes") {
    Var x = dmatrix("x");
    Var s = sum(x, 1, true);
    CHECK(s.broadcastable() == std::vector<bool>{false, true});
    Array out = run(x - s, {x}, {Arg(doubles(m23, {2, 3}))});
    check_close(out, {-8, -4, -6, -8, -10, -6});
    CHECK(sum(x, {}, true).broadcastable() == std::vector<bool>{true, true});
    CHECK(argmax(x, 1, true).broadcastable() == std::vector<bool>{false, true});
}

TEST_CASE("reduction dtypes follow NumPy") {
    CHECK(sum(ivector()).dtype() == DType::int64);
    CHECK(sum(bvector()).dtype() == DType::int64);
    CHECK(sum(tensor(DType::uint8, {false})).dtype() == DType::uint64);
    CHECK(sum(tensor(DType::bool_, {false})).dtype() == DType::int64);
    CHECK(sum(fvector()).dtype() == DType::float32);
    CHECK(max(ivector()).dtype() == DType::int32);
    CHECK(mean(ivector()).dtype() == DType::float64);
    CHECK(mean(fvector()).dtype() == DType::float32);
    CHECK(all(dvector()).dtype() == DType::bool_);
    CHECK(argmax(dvector()).dtype() == DType::int64);
    CHECK(sum(dmatrix(), 1).owner()->op().name() == "Sum{axis=[1], acc_dtype=float64}");
    CHECK(sum(fvector()).owner()->op().name() == "Sum{acc_dtype=float64}");
    CHECK(pp(sum(dmatrix("x"))) == "sum(x)");
}

TEST_CASE("float32 sums accumulate in float64: 2^24 + 2 ones are counted exactly") {
    Var x = fvector("x");
    const std::int64_t n = (std::int64_t{1} << 24) + 2;
    Array ones = Array::full(DType::float32, {n}, 1.0);
    // A float32 accumulator would stop at 2^24; 2^24 + 2 is a float32.
    CHECK(run(sum(x), {x}, {Arg(ones)}).value_at<double>(0) == 16777218.0);
    CHECK(run(sum(cast(x, DType::float64)), {x}, {Arg(ones)}).value_at<double>(0) == static_cast<double>(n));
}

TEST_CASE("integer sums are wide; all and any; NaN wins in max") {
    Var b = bvector("b");
    CHECK(run(sum(b), {b}, {Arg(Array::from_values<std::int8_t>({100, 100, 100}))}).value_at<long>(0) == 300);
    Var p = tensor(DType::bool_, {false}, "p");
    CHECK(run(all(p), {p}, {{true, false}}).value_at<bool>(0) == false);
    CHECK(run(any(p), {p}, {{true, false}}).value_at<bool>(0) == true);
    CHECK(run(sum(p), {p}, {{true, true, false}}).value_at<long>(0) == 2);
    Var x = dvector("x");
    CHECK(std::isnan(run(max(x), {x}, {{1.0, NAN, 3.0}}).value_at<double>(0)));
}

TEST_CASE("argmax and argmin: first of ties, flattened without an axis") {
    Var x = dmatrix("x");
    const Arg m = doubles({1, 6, 6, 4, 0, 0}, {2, 3});
    CHECK(run(argmax(x, 1), {x}, {m}).to_vector<long>() == std::vector<long>{1, 0});
    CHECK(run(argmin(x, 1), {x}, {m}).to_vector<long>() == std::vector<long>{0, 1});
    CHECK(run(argmax(x, 0), {x}, {m}).to_vector<long>() == std::vector<long>{1, 0, 0});
    CHECK(run(argmax(x), {x}, {m}).value_at<long>(0) == 1);
    CHECK(run(argmin(x), {x}, {m}).value_at<long>(0) == 4);
}

TEST_CASE("bad axes are refused when the graph is built; empty max at run time") {
    Var x = dmatrix("x");
    CHECK_THROWS_WITH_AS(sum(x, 2), doctest::Contains("sum(): axis 2 is out of bounds for a 2-d tensor"), ValueError);
    CHECK_THROWS_WITH_AS(max(x, {0, -2}), doctest::Contains("axis -2 is given twice"), ValueError);
    CHECK_THROWS_AS(argmax(x, 3), ValueError);
    CHECK_THROWS_WITH_AS(run(max(x, 1), {x}, {Arg(Array::zeros(DType::float64, {2, 0}))}),
                         doctest::Contains("zero-size array to reduction operation maximum"), ValueError);
}

TEST_CASE("reduction gradients: sum, mean, prod, max with ties") {
    const Array point = doubles({0.3, -1.2, 0.7, 2.0, 0.1, 1.5}, {2, 3});
    verify_grad([](const std::vector<Var>& in) { return sum(in[0], 1); }, {point});
    verify_grad([](const std::vector<Var>& in) { return sum(in[0]); }, {point});
    verify_grad([](const std::vector<Var>& in) { return mean(in[0], 0); }, {point});
    verify_grad([](const std::vector<Var>& in) { return prod(in[0], 1); }, {point});
    verify_grad([](const std::vector<Var>& in) { return max(in[0], 0); }, {point});
    verify_grad([](const std::vector<Var>& in) { return min(in[0]); }, {point});
    verify_grad([](const std::vector<Var>& in) { return var(in[0], 1, false, 1); }, {point});
    // Every tied maximum receives the whole gradient (Theano's rule).
    Var x = dvector("x");
    check_close(run(grad(max(x), x), {x}, {{1.0, 3.0, 3.0}}), {0, 1, 1});
}

TEST_CASE("shape and shape_i read dimensions without computing values") {
    Var x = dmatrix("x");
    CHECK(run(shape(x), {x}, {Arg(Array::zeros(DType::float64, {2, 5}))}).to_vector<long>() == std::vector<long>{2, 5});
    CHECK(run(shape_i(x, -1), {x}, {Arg(Array::zeros(DType::float64, {2, 5}))}).value_at<long>(0) == 5);
    CHECK(shape(x)[0].type() == lscalar);
    CHECK(pp(shape_i(x, 1)) == "x.shape[1]");
    CHECK_THROWS_WITH_AS(shape_i(x, 2), doctest::Contains("axis 2 is out of range"), IndexError);
}
