#include "test_helpers.hpp"

using namespace kiln;
using kiln::test::check_close;
using kiln::test::doubles;
using kiln::test::run;

TEST_CASE("dot for every vector/matrix pairing against hand-written loops") {
    Var a = dmatrix("a"), b = dmatrix("b"), u = dvector("u"), v = dvector("v");
    const Arg A = doubles({1, 2, 3, 4, 5, 6}, {2, 3});     // 2 x 3
    const Arg B = doubles({1, 0, -1, 2, 0.5, 1}, {3, 2});  // 3 x 2
    const Arg U3 = doubles({1, -1, 2}, {3}), U2 = doubles({3, 0.5}, {2});
    // [1 2 3; 4 5 6] x [1 0; -1 2; 0.5 1] = [0.5 7; 2 16]
    check_close(run(dot(a, b), {a, b}, {A, B}), {0.5, 7, 2, 16});
    check_close(run(dot(a, u), {a, u}, {A, U3}), {5, 11});
    check_close(run(dot(v, a), {v, a}, {U2, A}), {5, 8.5, 12});
    check_close(run(dot(u, v), {u, v}, {U3, U3}), {6});
    check_close(run(outer(u, v), {u, v}, {U2, U3}), {3, -3, 6, 0.5, -0.5, 1});
    check_close(run(dot(transpose(a), v), {a, v}, {A, U2}), {5, 8.5, 12});
    CHECK(pp(dot(a, u)) == "(a \\dot u)");
    CHECK(dot(a, u).type() == dvector);
    CHECK(dot(u, v).type() == dscalar);
    CHECK(dot(fmatrix(), fvector()).dtype() == DType::float32);
    CHECK(dot(imatrix(), fvector()).dtype() == DType::float64);
}

TEST_CASE("integer dot uses exact loops") {
    Var a = lmatrix("a"), v = lvector("v");
    CHECK(run(dot(a, v), {a, v}, {{{1, 2}, {3, 4}}, {5, 6}}).to_vector<long>() == std::vector<long>{17, 39});
}

TEST_CASE("dot refuses misaligned shapes and unsupported ranks") {
    Var a = dmatrix("a"), u = dvector("u");
    CHECK_THROWS_WITH_AS(run(dot(a, u), {a, u}, {{{1.0, 2.0}}, {1.0, 2.0, 3.0}}),
                         doctest::Contains("shapes (1, 2) and (3,) not aligned: 2 (dim 1) != 3 (dim 0)"), ValueError);
    CHECK_THROWS_AS(dot(dscalar(), u), TypeError);
    CHECK(dot(dtensor3(), u).ndim() == 2); // N-d goes through tensordot
}

TEST_CASE("dot gradients for every pairing") {
    const Array m23 = doubles({0.3, -1.2, 0.7, 2.0, 0.1, 1.5}, {2, 3});
    const Array m32 = doubles({1.1, -0.4, 0.2, 0.9, -1.3, 0.6}, {3, 2});
    const Array v3 = doubles({0.5, -2.0, 1.0}, {3}), v2 = doubles({1.5, -0.5}, {2});
    auto d = [](const std::vector<Var>& in) { return dot(in[0], in[1]); };
    verify_grad(d, {m23, m32});
    verify_grad(d, {m23, v3});
    verify_grad(d, {v2, m23});
    verify_grad(d, {v3, v3});
}

TEST_CASE("tensordot and N-d dot against hand-written sums") {
    // a[i][j][k] = i + 2j + 3k (2 x 3 x 4), b[k][l] = k - l (4 x 2).
    std::vector<double> av, bv;
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k) av.push_back(i + 2 * j + 3 * k);
    for (int k = 0; k < 4; ++k)
        for (int l = 0; l < 2; ++l) bv.push_back(k - l);
    std::vector<double> expected;
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int l = 0; l < 2; ++l) {
                double s = 0;
                for (int k = 0; k < 4; ++k) s += av[(i * 3 + j) * 4 + k] * bv[k * 2 + l];
                expected.push_back(s);
            }
    Var a = dtensor3("a"), b = dmatrix("b");
    const Arg A = doubles(av, {2, 3, 4}), B = doubles(bv, {4, 2});
    Array viaDot = run(dot(a, b), {a, b}, {A, B});
    CHECK(viaDot.shape() == Shape{2, 3, 2});
    check_close(viaDot, expected);
    check_close(run(tensordot(a, b, 1), {a, b}, {A, B}), expected);
    check_close(run(tensordot(a, b, {2}, {0}), {a, b}, {A, B}), expected);
    // Summing over two axes: sum_jk a[i][j][k] * a[i'][j][k].
    Array gram = run(tensordot(a, a, {1, 2}, {1, 2}), {a}, {A});
    double g01 = 0;
    for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 4; ++k) g01 += av[(0 * 3 + j) * 4 + k] * av[(1 * 3 + j) * 4 + k];
    CHECK(gram.value_at<double>(1) == doctest::Approx(g01));
    CHECK_THROWS_AS(tensordot(a, b, {0}, {0, 1}), ValueError);
    CHECK_THROWS_AS(tensordot(a, b, {3}, {0}), ValueError);
    verify_grad([](const std::vector<Var>& in) { return tensordot(in[0], in[1], 1); },
                {doubles(test::uniform(24, -1, 1), {2, 3, 4}), doubles(test::uniform(8, -1, 1, 9), {4, 2})});
}

TEST_CASE("batched_dot multiplies matching batches") {
    Var a = dtensor3("a"), b = dtensor3("b"), u = dmatrix("u");
    const std::vector<double> av = test::uniform(2 * 2 * 3, -1, 1), bv = test::uniform(2 * 3 * 2, -1, 1, 11);
    Array out = run(batched_dot(a, b), {a, b}, {Arg(doubles(av, {2, 2, 3})), Arg(doubles(bv, {2, 3, 2}))});
    CHECK(out.shape() == Shape{2, 2, 2});
    for (int n = 0; n < 2; ++n)
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j) {
                double s = 0;
                for (int k = 0; k < 3; ++k) s += av[(n * 2 + i) * 3 + k] * bv[(n * 3 + k) * 2 + j];
                CHECK(out.value_at<double>((n * 2 + i) * 2 + j) == doctest::Approx(s));
            }
    Array vec = run(batched_dot(u, u), {u}, {{{1.0, 2.0}, {3.0, 4.0}}});
    check_close(vec, {5, 25});
    CHECK(run(batched_dot(a, u), {a, u}, {Arg(doubles(av, {2, 2, 3})), {{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}}}).shape() ==
          Shape{2, 2});
    CHECK_THROWS_AS(batched_dot(dvector(), u), TypeError);
}
