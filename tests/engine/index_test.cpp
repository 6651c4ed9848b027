#include "test_helpers.hpp"

using namespace kiln;
using kiln::test::check_close;
using kiln::test::doubles;
using kiln::test::run;

namespace {

// 3 x 4 matrix with x[i][j] = 10 i + j.
Array grid() {
    std::vector<double> v;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 4; ++j) v.push_back(10 * i + j);
    return doubles(v, {3, 4});
}

} // namespace

TEST_CASE("basic indexing: integers, slices, negative steps, symbolic bounds") {
    Var x = dmatrix("x");
    const Arg g = grid();
    check_close(run(x[1], {x}, {g}), {10, 11, 12, 13});
    check_close(run(x[-1], {x}, {g}), {20, 21, 22, 23});
    check_close(run(x[{1, 2}], {x}, {g}), {12});
    check_close(run(x[slice(1, {})], {x}, {g}), {10, 11, 12, 13, 20, 21, 22, 23});
    check_close(run(x[{slice({}, {}), slice({}, {}, -1)}], {x}, {g}), {3, 2, 1, 0, 13, 12, 11, 10, 23, 22, 21, 20});
    check_close(run(x[{slice({}, {}, 2), slice(-2, {})}], {x}, {g}), {2, 3, 22, 23});
    check_close(run(x[slice(5, 10)], {x}, {g}), {});
    check_close(run(x[{2, slice(3, 0, -1)}], {x}, {g}), {23, 22, 21});
    Var i = lscalar("i");
    const int b = 2;
    Var batch = x[slice(i * b, (i + 1) * b)];
    CHECK(batch.type() == dmatrix);
    CHECK(pp(x[1]) == "x[TensorConstant{1}]");
    check_close(run(batch, {x, i}, {g, 1}), {20, 21, 22, 23});
    CHECK(x[1].type() == dvector);
    CHECK(x[{1, 2}].type() == dscalar);
}

TEST_CASE("basic indexing errors name the index and axis") {
    Var x = dmatrix("x");
    CHECK_THROWS_WITH_AS(run(x[3], {x}, {Arg(grid())}), doctest::Contains("index 3 is out of bounds for axis 0 with size 3"),
                         IndexError);
    CHECK_THROWS_WITH_AS((x[{1, 2, 3}]), doctest::Contains("too many indices"), IndexError);
    CHECK_THROWS_AS(x[dscalar("f")], TypeError);
    CHECK_THROWS_WITH_AS(run(x[slice({}, {}, 0)], {x}, {Arg(grid())}), doctest::Contains("slice step cannot be zero"),
                         ValueError);
}

TEST_CASE("advanced indexing: rows by an integer vector and LP[arange(n), y]") {
    Var x = dmatrix("x");
    Var rows = lvector("rows");
    check_close(run(x[rows], {x, rows}, {Arg(grid()), {2, 0, 2}}), {20, 21, 22, 23, 0, 1, 2, 3, 20, 21, 22, 23});
    Var y = ivector("y");
    Var picked = x[{arange(shape_i(y, 0)), y}];
    CHECK(picked.type() == dvector);
    check_close(run(picked, {x, y}, {Arg(grid()), {3, 0, 1}}), {3, 10, 21});
    check_close(run(x[rows], {x, rows}, {Arg(grid()), {-1}}), {20, 21, 22, 23});
    CHECK_THROWS_WITH_AS(run(x[rows], {x, rows}, {Arg(grid()), {3}}), doctest::Contains("index 3 is out of bounds"),
                         IndexError);
    CHECK_THROWS_AS(x[dvector("f")], TypeError);
}

TEST_CASE("set_subtensor and inc_subtensor copy, and inc accumulates repeated indices") {
    Var x = dmatrix("x");
    Var v = dvector("v");
    check_close(run(set_subtensor(x[1], v), {x, v}, {Arg(grid()), {1.0, 2.0, 3.0, 4.0}}),
                {0, 1, 2, 3, 1, 2, 3, 4, 20, 21, 22, 23});
    check_close(run(inc_subtensor(x[{slice({}, {}), 0}], 100), {x}, {Arg(grid())}),
                {100, 1, 2, 3, 110, 11, 12, 13, 120, 21, 22, 23});
    Var u = dvector("u");
    Var idx = lvector("idx");
    check_close(run(inc_subtensor(u[idx], 1.0), {u, idx}, {{0.0, 0.0, 0.0}, {0, 2, 0, 0}}), {3, 0, 1});
    check_close(run(set_subtensor(u[idx], 5.0), {u, idx}, {{0.0, 0.0, 0.0}, {1}}), {0, 5, 0});
    CHECK_THROWS_AS(set_subtensor(x * 2, 1.0), TypeError);
}

TEST_CASE("indexing gradients flow back into the indexed positions") {
    const Array g = doubles({0.5, -1.0, 2.0, 1.5, 0.25, -0.75}, {2, 3});
    verify_grad([](const std::vector<Var>& in) { return in[0][1] * 2; }, {g});
    verify_grad([](const std::vector<Var>& in) { return in[0][{slice({}, {}), slice({}, {}, -2)}]; }, {g});
    verify_grad([](const std::vector<Var>& in) {
        return in[0][{constant(Array::from_values<std::int64_t>({1, 0, 1})), constant(Array::from_values<std::int64_t>({2, 2, 2}))}];
    }, {g});
    verify_grad([](const std::vector<Var>& in) { return set_subtensor(in[0][0], in[1]) * 3; },
                {g, doubles({1, 2, 3}, {3})});
    verify_grad([](const std::vector<Var>& in) {
        return inc_subtensor(in[0][constant(Array::from_values<std::int64_t>({0, 0}))], in[1]);
    }, {g, doubles({1, 2, 3}, {3})});
    // Repeated indices: each use adds to the gradient.
    Var u = dvector("u");
    Var picked = u[constant(Array::from_values<std::int64_t>({1, 1, 0}))];
    check_close(run(grad(sum(picked), u), {u}, {{5.0, 6.0, 7.0}}), {1, 2, 0});
}

TEST_CASE("arange with symbolic bounds") {
    Var n = lscalar("n");
    CHECK(run(arange(n), {n}, {4}).to_vector<long>() == std::vector<long>{0, 1, 2, 3});
    CHECK(run(arange(n, 0, -2), {n}, {5}).to_vector<long>() == std::vector<long>{5, 3, 1});
    CHECK(run(arange(2, n), {n}, {1}).size() == 0);
    CHECK(arange(n).type() == lvector);
    CHECK_THROWS_AS(arange(dscalar()), TypeError);
}

TEST_CASE("boolean masks select the true positions in C order") {
    Var x = dmatrix("x");
    check_close(run(x[x > 15], {x}, {Arg(grid())}), {20, 21, 22, 23});
    check_close(run(x[{x[{slice({}, {}), 0}] > 5}], {x}, {Arg(grid())}), {10, 11, 12, 13, 20, 21, 22, 23});
    Var v = dvector("v");
    check_close(run(set_subtensor(v[v < 0], 0.0), {v}, {{-1.0, 2.0, -3.0}}), {0, 2, 0});
    Var m = tensor(DType::bool_, {false}, "m");
    CHECK_THROWS_WITH_AS(run(v[m], {v, m}, {{1.0, 2.0, 3.0}, {true, false}}),
                         doctest::Contains("boolean index did not match indexed array along dimension 0"), IndexError);
    std::vector<Var> where_true = nonzero(x > 12);
    REQUIRE(where_true.size() == 2);
    CHECK(run(where_true[0], {x}, {Arg(grid())}).to_vector<long>() == std::vector<long>{1, 2, 2, 2, 2});
    CHECK(run(where_true[1], {x}, {Arg(grid())}).to_vector<long>() == std::vector<long>{3, 0, 1, 2, 3});
    verify_grad([](const std::vector<Var>& in) { return in[0][in[0] > 0] * 2; }, {doubles({-1, 2, 3, -4}, {2, 2})});
}
