#include "../test_helpers.hpp"

using namespace kiln;
using kiln::test::check_close;
using kiln::test::doubles;
using kiln::test::run;

namespace {
const std::vector<double> six = {1, 2, 3, 4, 5, 6};
}

TEST_CASE("reshape and flatten keep C order; one -1 is inferred") {
    Var x = dmatrix("x");
    const Arg m = doubles(six, {2, 3});
    Array r = run(reshape(x, {3, -1}), {x}, {m});
    CHECK(r.shape() == Shape{3, 2});
    check_close(r, six);
    Var n = lscalar("n");
    CHECK(run(reshape(x, {n, 2, 1}), {x, n}, {m, 3}).shape() == Shape{3, 2, 1});
    CHECK(reshape(x, {6, 1}).broadcastable() == std::vector<bool>{false, true});
    check_close(run(flatten(transpose(x)), {x}, {m}), {1, 4, 2, 5, 3, 6});
    CHECK(run(flatten(reshape(x, {1, 2, 3}), 2), {x}, {m}).shape() == Shape{1, 6});
    CHECK_THROWS_WITH_AS(run(reshape(x, {4, -1}), {x}, {m}), doctest::Contains("cannot reshape array of size 6"),
                         ValueError);
    CHECK_THROWS_AS(run(reshape(x, {-1, -1}), {x}, {m}), ValueError);
    CHECK_THROWS_AS(reshape(x, {2.5}), TypeError);
    verify_grad([](const std::vector<Var>& in) { return reshape(in[0], {3, 2}) * 2; }, {doubles(six, {2, 3})});
}

TEST_CASE("concatenate and stack") {
    Var a = dmatrix("a"), b = dmatrix("b");
    const Arg A = doubles({1, 2, 3, 4}, {2, 2}), B = doubles({5, 6}, {1, 2});
    Array rows = run(concatenate({a, b}, 0), {a, b}, {A, B});
    CHECK(rows.shape() == Shape{3, 2});
    check_close(rows, {1, 2, 3, 4, 5, 6});
    Array cols = run(concatenate({a, a}, 1), {a}, {A});
    check_close(cols, {1, 2, 1, 2, 3, 4, 3, 4});
    Var u = dvector("u"), v = dvector("v");
    Array s = run(stack({u, v}), {u, v}, {{1.0, 2.0}, {3.0, 4.0}});
    CHECK(s.shape() == Shape{2, 2});
    check_close(run(stack({u, v}, 1), {u, v}, {{1.0, 2.0}, {3.0, 4.0}}), {1, 3, 2, 4});
    CHECK(concatenate({ivector(), dvector()}).dtype() == DType::float64);
    CHECK_THROWS_WITH_AS(run(concatenate({a, b}, 1), {a, b}, {A, B}),
                         doctest::Contains("along dimension 0, input 0 has size 2 and input 1 has size 1"), ValueError);
    CHECK_THROWS_AS(concatenate({a, u}), ValueError);
    verify_grad([](const std::vector<Var>& in) { return concatenate({in[0], in[1] * 3}, 1); },
                {doubles({1, 2, 3, 4}, {2, 2}), doubles({5, 6}, {2, 1})});
}

TEST_CASE("concatenate and alloc of transposed and mixed-dtype inputs, large and empty, match hand-written loops") {
    // 300 x 200 seen through a transpose of 200 x 300 storage: rows are strided.
    std::vector<double> storage(200 * 300);
    for (std::size_t i = 0; i < storage.size(); ++i) storage[i] = static_cast<double>(i % 977) - 400;
    const Array t = Array::from_values(storage, {200, 300}).view({300, 200}, {1, 300});
    std::vector<std::int32_t> ints(300 * 100);
    for (std::size_t i = 0; i < ints.size(); ++i) ints[i] = static_cast<std::int32_t>(i % 31) - 15;
    const Array n = Array::from_values(ints, {300, 100});
    const Var a = dmatrix("a"), b = imatrix("b");
    const Array side = run(concatenate({a, b}, 1), {a, b}, {t, n});
    REQUIRE(side.shape() == Shape{300, 300});
    std::vector<double> expected;
    for (std::int64_t i = 0; i < 300; ++i) {
        for (std::int64_t j = 0; j < 200; ++j) expected.push_back(storage[static_cast<std::size_t>(j * 300 + i)]);
        for (std::int64_t j = 0; j < 100; ++j) expected.push_back(ints[static_cast<std::size_t>(i * 100 + j)]);
    }
    check_close(side, expected);
    const Array empty = Array::zeros(DType::float64, {0, 200});
    const Array stacked = run(concatenate({a, a, a}, 0), {a}, {t});
    const Array with_empty = run(concatenate({b, a}, 0), {b, a}, {Array::zeros(DType::int32, {0, 200}), t});
    CHECK(stacked.shape() == Shape{900, 200});
    check_close(with_empty, t.to_vector<double>());
    CHECK(run(concatenate({a, a}, 1), {a}, {empty}).shape() == Shape{0, 400});

    // A column broadcast across 300 columns, then a transposed row.
    const Var column = tensor(DType::float64, {false, true}, "column");
    const std::vector<double> col = test::uniform(400, -1, 1);
    const Array tall = run(alloc(column, {400, 300}), {column}, {Array::from_values(col, {400, 1})});
    std::vector<double> repeated;
    for (double v : col) repeated.insert(repeated.end(), 300, v);
    check_close(tall, repeated);
    const Var m = dmatrix("m");
    const Array again = run(alloc(m, {2, 300, 200}), {m}, {t});
    std::vector<double> twice = t.to_vector<double>();
    twice.insert(twice.end(), twice.begin(), twice.end());
    check_close(again, twice);
    CHECK(run(alloc(m, {0, 300, 200}), {m}, {t}).shape() == Shape{0, 300, 200});
    // Reshaping the transposed view copies it in C order first.
    const Array flat = run(reshape(m, {200, 300}), {m}, {t});
    check_close(flat, t.to_vector<double>());
}

TEST_CASE("alloc, zeros and ones take symbolic shapes and the value's dtype") {
    Var n = lscalar("n");
    Array z = run(zeros({n, 2}, DType::float32), {n}, {3});
    CHECK(z.dtype() == DType::float32);
    CHECK(z.shape() == Shape{3, 2});
    check_close(z, {0, 0, 0, 0, 0, 0});
    check_close(run(ones({n}, DType::int32), {n}, {2}), {1, 1});
    Var v = dvector("v");
    check_close(run(alloc(v, {2, 3}), {v}, {{1.0, 2.0, 3.0}}), {1, 2, 3, 1, 2, 3});
    CHECK(alloc(v, {1, 3}).broadcastable() == std::vector<bool>{true, false});
    CHECK_THROWS_AS(run(alloc(v, {2, 2}), {v}, {{1.0, 2.0, 3.0}}), ValueError);
    verify_grad([](const std::vector<Var>& in) { return alloc(in[0], {2, 3}); }, {doubles({1, 2, 3}, {3})});
}

TEST_CASE("squeeze, expand_dims, tile and repeat") {
    Var r = drow("r");
    CHECK(squeeze(r).type() == dvector);
    Var v = dvector("v");
    CHECK(expand_dims(v, 0).type() == drow);
    CHECK(expand_dims(v, -1).type() == dcol);
    CHECK_THROWS_AS(expand_dims(v, 3), ValueError);
    Var m = dmatrix("m");
    const Arg M = doubles({1, 2, 3, 4}, {2, 2});
    check_close(run(tile(m, {1, 2}), {m}, {M}), {1, 2, 1, 2, 3, 4, 3, 4});
    CHECK(run(tile(m, {2, 1}), {m}, {M}).shape() == Shape{4, 2});
    check_close(run(repeat(m, 2, 0), {m}, {M}), {1, 2, 1, 2, 3, 4, 3, 4});
    check_close(run(repeat(m, 2, 1), {m}, {M}), {1, 1, 2, 2, 3, 3, 4, 4});
    CHECK_THROWS_AS(tile(m, {2}), ValueError);
    CHECK_THROWS_AS(repeat(m, 0, 0), ValueError);
    verify_grad([](const std::vector<Var>& in) { return repeat(in[0], 3, 1) * tile(in[0], {1, 3}); },
                {doubles({1, 2, 3, 4}, {2, 2})});
}

TEST_CASE("unbroadcast gives an update its shared variable's type") {
    SharedVar w = shared(Array::from_values<double>({1, 2}, {1, 2}), "w");
    Var r = drow("r");
    CHECK_THROWS_WITH_AS(compile({r}, std::vector<Var>{}, {.updates = {{w, r}}}),
                         doctest::Contains("unbroadcast(var, {axis, ...})"), TypeError);
    Var fixed = unbroadcast(r, {0});
    CHECK(fixed.type() == dmatrix);
    CHECK(pp(fixed) == "r");
    compile({r}, std::vector<Var>{}, {.updates = {{w, fixed}}})({{5.0, 6.0}});
    check_close(w.get_value(), {5, 6});
    CHECK(unbroadcast(r, {1}).is(r)); // already not broadcastable
    CHECK_THROWS_AS(unbroadcast(r, {2}), ValueError);
    verify_grad([](const std::vector<Var>& in) { return unbroadcast(in[0], {0}) * 2; }, {doubles({1, 2}, {1, 2})});
}
