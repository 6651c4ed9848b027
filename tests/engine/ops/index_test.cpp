#include "../test_helpers.hpp"

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
    CHECK_THROWS_AS(arange(dvector()), TypeError); // a bound is a scalar (float bounds: below)
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

namespace {

// x[i, j, k] for a 3-d array of any layout, through its C-order flat position.
double at3(const Array& x, std::int64_t i, std::int64_t j, std::int64_t k) {
    return x.value_at<double>((i * x.shape()[1] + j) * x.shape()[2] + k);
}

// A 6 x 4 x 3 float64 array seen through a transpose of 3 x 4 x 6 storage.
Array transposed_cube() {
    std::vector<double> storage(72);
    for (std::size_t i = 0; i < storage.size(); ++i) storage[i] = static_cast<double>(i) * 1.5 - 7;
    return Array::from_values(storage, {3, 4, 6}).view({6, 4, 3}, {1, 6, 24});
}

template <class I> void check_gather_with(const std::vector<I>& ids) {
    CAPTURE(dtype_name(dtype_of<I>()));
    const Array x = transposed_cube();
    const Array id_array = Array::from_values(ids, {2, static_cast<std::int64_t>(ids.size()) / 2});
    const Var cube = dtensor3("cube");
    const Var index = tensor(dtype_of<I>(), {false, false}, "index");
    const Array got = run(cube[index], {cube, index}, {x, id_array});
    REQUIRE(got.shape() == Shape{2, static_cast<std::int64_t>(ids.size()) / 2, 4, 3});
    std::vector<double> expected;
    for (I id : ids) {
        std::int64_t row = static_cast<std::int64_t>(id);
        if (row < 0) row += 6;
        for (std::int64_t j = 0; j < 4; ++j)
            for (std::int64_t k = 0; k < 3; ++k) expected.push_back(at3(x, row, j, k));
    }
    check_close(got, expected);
}

} // namespace

TEST_CASE("integer-array indexing of a transposed view matches a hand-written loop for every index dtype") {
    check_gather_with<std::int8_t>({0, -1, 5, 2, -6, 3});
    check_gather_with<std::int16_t>({1, 1, -2, 4, 0, 5});
    check_gather_with<std::int32_t>({5, 4, 3, 2, 1, 0});
    check_gather_with<std::int64_t>({-1, -1, -1, 0, 0, 0});
    check_gather_with<std::uint8_t>({0, 5, 2, 2, 3, 1});
    check_gather_with<std::uint16_t>({4, 4, 0, 1, 2, 3});
    check_gather_with<std::uint32_t>({3, 0, 5, 5, 1, 2});
    check_gather_with<std::uint64_t>({2, 2, 2, 0, 5, 4});

    const Var cube = dtensor3("cube");
    const Var ids = tensor(DType::uint64, {false}, "ids");
    CHECK_THROWS_WITH_AS(run(cube[ids], {cube, ids}, {transposed_cube(), Array::from_values<std::uint64_t>({1, std::uint64_t{1} << 63})}),
                         doctest::Contains("index 9223372036854775808 is out of bounds for axis 0 with size 6"), IndexError);
    const Var small = tensor(DType::int8, {false}, "small");
    CHECK_THROWS_WITH_AS(run(cube[small], {cube, small}, {transposed_cube(), Array::from_values<std::int8_t>({0, -7, 9})}),
                         doctest::Contains("index -7 is out of bounds for axis 0 with size 6"), IndexError);
}

TEST_CASE("index arrays that broadcast together, that are strided, or that select nothing") {
    const Array x = transposed_cube();
    const Var cube = dtensor3("cube");
    const Var a = lmatrix("a"), b = lmatrix("b");
    // cube[a, b] with a of shape (3, 1) and b of shape (1, 2): out[i, j, k] = x[a[i], b[j], k].
    const std::vector<std::int64_t> av{4, -1, 0}, bv{3, -4};
    const Array got = run(cube[{a, b}], {cube, a, b},
                          {x, Array::from_values(av, {3, 1}), Array::from_values(bv, {1, 2})});
    REQUIRE(got.shape() == Shape{3, 2, 3});
    std::vector<double> expected;
    for (std::int64_t i : av)
        for (std::int64_t j : bv)
            for (std::int64_t k = 0; k < 3; ++k) expected.push_back(at3(x, (i + 6) % 6, (j + 4) % 4, k));
    check_close(got, expected);
    CHECK_THROWS_WITH_AS(run(cube[{a, b}], {cube, a, b},
                             {x, Array::from_values(av, {3, 1}), Array::from_values<std::int64_t>({0, 4}, {1, 2})}),
                         doctest::Contains("index 4 is out of bounds for axis 1 with size 4"), IndexError);

    // Every other id of a longer vector: the ids themselves are a strided view.
    const Var ids = lvector("ids");
    const Array every_other = Array::from_values<std::int64_t>({5, 99, 0, 99, -2, 99}).view({3}, {2});
    const Array picked = run(cube[ids], {cube, ids}, {x, every_other});
    std::vector<double> rows;
    for (std::int64_t r : {5, 0, 4})
        for (std::int64_t j = 0; j < 4; ++j)
            for (std::int64_t k = 0; k < 3; ++k) rows.push_back(at3(x, r, j, k));
    check_close(picked, rows);

    CHECK(run(cube[ids], {cube, ids}, {x, Array::from_values<std::int64_t>({})}).shape() == Shape{0, 4, 3});
    const Var m = dmatrix("m");
    CHECK(run(m[ids], {m, ids}, {Array::zeros(DType::float64, {3, 0}), Array::from_values<std::int64_t>({2, 0})}).shape() ==
          Shape{2, 0});
    CHECK_THROWS_WITH_AS(run(m[ids], {m, ids}, {Array::zeros(DType::float64, {3, 0}), Array::from_values<std::int64_t>({3})}),
                         doctest::Contains("index 3 is out of bounds for axis 0 with size 3"), IndexError);
}

TEST_CASE("inc_subtensor and set_subtensor through integer arrays match a hand-written loop") {
    std::vector<double> base(6 * 4);
    for (std::size_t i = 0; i < base.size(); ++i) base[i] = static_cast<double>(i);
    const Array x = Array::from_values(base, {6, 4});
    const Var m = dmatrix("m"), row = dvector("row");
    const Var ids = ivector("ids");
    const std::vector<std::int32_t> id_values{2, -1, 2, 0, 2};
    const std::vector<double> r{0.5, -1, 2, 8};
    std::vector<double> added = base, assigned = base;
    for (std::int32_t id : id_values) {
        const std::size_t at = static_cast<std::size_t>((id + 6) % 6) * 4;
        for (std::size_t j = 0; j < 4; ++j) {
            added[at + j] += r[j];
            assigned[at + j] = r[j];
        }
    }
    const Array id_array = Array::from_values(id_values);
    check_close(run(inc_subtensor(m[ids], row), {m, ids, row}, {x, id_array, Array::from_values(r)}), added);
    check_close(run(set_subtensor(m[ids], row), {m, ids, row}, {x, id_array, Array::from_values(r)}), assigned);
    // The caller's matrix is left as it was.
    check_close(x, base);
    CHECK_THROWS_WITH_AS(run(inc_subtensor(m[ids], row), {m, ids, row},
                             {x, id_array, Array::from_values<double>({1, 2, 3})}),
                         doctest::Contains("inc_subtensor(): shape mismatch: value of shape (3,)"), ValueError);
}

TEST_CASE("an inc_subtensor that writes into its input's buffer leaves every other reader's value alone") {
    const Var v = dvector("v"), ids = lvector("ids");
    const Var doubled = v * 2;
    const Var bumped = inc_subtensor(doubled[ids], 1.0);
    const Array values = Array::from_values<double>({1, 2, 3});
    const Array id_array = Array::from_values<std::int64_t>({0, 2, 2});
    // doubled is also an output, and read again after the increment.
    const Function f = compile({v, ids}, {bumped, doubled, bumped + doubled});
    const Outputs out = f(values, id_array);
    check_close(out[0], {3, 4, 8});
    check_close(out[1], {2, 4, 6});
    check_close(out[2], {5, 8, 14});
    // Only the increment reads doubled: it may be written in place, and the result is the same.
    const Function g = compile({v, ids}, set_subtensor(inc_subtensor(doubled[ids], 1.0)[ids], 0.5));
    check_close(g(values, id_array)[0], {0.5, 4, 0.5});
    check_close(g(values, id_array)[0], {0.5, 4, 0.5});
    check_close(values, {1, 2, 3});
    // A caller's array is never written, even when nothing else reads it.
    const Function h = compile({v, ids}, inc_subtensor(v[ids], 1.0));
    check_close(h(values, id_array)[0], {2, 2, 5});
    check_close(values, {1, 2, 3});
}

TEST_CASE("nonzero of a transposed 3-d view, of floats with NaN and of integers, in C order") {
    const Array x = transposed_cube();
    const Var cube = dtensor3("cube");
    std::vector<Var> where = nonzero(cube > 11);
    REQUIRE(where.size() == 3);
    std::vector<std::vector<long>> expected(3);
    for (std::int64_t i = 0; i < 6; ++i)
        for (std::int64_t j = 0; j < 4; ++j)
            for (std::int64_t k = 0; k < 3; ++k)
                if (at3(x, i, j, k) > 11) {
                    expected[0].push_back(i);
                    expected[1].push_back(j);
                    expected[2].push_back(k);
                }
    REQUIRE(!expected[0].empty());
    for (int d = 0; d < 3; ++d) CHECK(run(where[d], {cube}, {x}).to_vector<long>() == expected[d]);

    const Var v = dvector("v");
    CHECK(run(nonzero(v)[0], {v}, {{0.0, std::nan(""), -0.0, 2.0}}).to_vector<long>() == std::vector<long>{1, 3});
    const Var n = ivector("n");
    CHECK(run(nonzero(n)[0], {n}, {Array::from_values<std::int32_t>({0, -3, 0, 0, 7})}).to_vector<long>() ==
          std::vector<long>{1, 4});
    CHECK(run(nonzero(n)[0], {n}, {Array::from_values<std::int32_t>({})}).size() == 0);
}

TEST_CASE("arange with floating bounds: NumPy's length ceil((stop - start) / step), values start + i * step") {
    struct Case {
        double start, stop, step;
    };
    const std::vector<Case> cases = {{0, 1, 0.1}, {1, 0, -0.25}, {0.5, 0.5, 1}, {0, 1, 0.3}, {0, -1, 0.5}, {-2.5, 2, 1.5}};
    const Var start = dscalar("start"), stop = dscalar("stop"), step = dscalar("step");
    const Var values = arange(start, stop, step);
    CHECK(values.dtype() == DType::float64);
    // The length as shape inference computes it, and as the op does.
    const Function f = compile({start, stop, step}, std::vector<Var>{values, shape_i(values, 0)});
    for (const Case& c : cases) {
        CAPTURE(c.start);
        CAPTURE(c.stop);
        CAPTURE(c.step);
        const double count = std::ceil((c.stop - c.start) / c.step);
        std::vector<double> expected;
        for (std::int64_t i = 0; i < static_cast<std::int64_t>(std::max(0.0, count)); ++i)
            expected.push_back(c.start + static_cast<double>(i) * c.step);
        const Outputs out = f(c.start, c.stop, c.step);
        CHECK(out[0].to_vector<double>() == expected);
        CHECK(out[1].item<std::int64_t>() == static_cast<std::int64_t>(expected.size()));
    }
    CHECK(pp(f.outputs()[1]).find("ARange") == std::string::npos); // the length comes from the bounds
    // Literals, and float32 bounds giving float32 values.
    CHECK(arange(0, 1, 0.25).eval().to_vector<double>() == std::vector<double>{0, 0.25, 0.5, 0.75});
    const Var single = fscalar("single");
    const Array f32 = compile({single}, arange(single))(2.5f)[0];
    CHECK(f32.dtype() == DType::float32);
    CHECK(f32.to_vector<float>() == std::vector<float>{0, 1, 2});
    CHECK(arange(5).dtype() == DType::int64);
    CHECK_THROWS_WITH_AS(f(0.0, 1.0, 0.0), doctest::Contains("step cannot be zero"), ValueError);
    CHECK_THROWS_WITH_AS(f(0.0, NAN, 1.0), doctest::Contains("not a number"), ValueError);
    CHECK_THROWS_AS(arange(bscalar("flag") > 0), TypeError);
}
