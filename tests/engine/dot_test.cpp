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
    CHECK_THROWS_AS(dot(dtensor3(), u), TypeError);
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
