#include "../test_helpers.hpp"

using namespace kiln;
using kiln::test::check_close;
using kiln::test::run;

TEST_CASE("jacobian of an elementwise and a linear map") {
    Var x = dvector("x");
    // d(x^2)_i / dx_j = 2 x_i delta_ij
    check_close(run(jacobian(sqr(x), x), {x}, {{1.0, 2.0, 3.0}}), {2, 0, 0, 0, 4, 0, 0, 0, 6});
    Var A = dmatrix("A");
    Array J = run(jacobian(dot(A, x), x), {A, x}, {{{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, {0.5, -1.0}});
    CHECK(J.shape() == Shape{3, 2});
    check_close(J, {1, 2, 3, 4, 5, 6});
    // With respect to a matrix: d(A x)_i / dA_jk = delta_ij x_k.
    Array JA = run(jacobian(dot(A, x), A), {A, x}, {{{1.0, 2.0}, {3.0, 4.0}}, {0.5, -1.0}});
    CHECK(JA.shape() == Shape{2, 2, 2});
    check_close(JA, {0.5, -1, 0, 0, 0, 0, 0.5, -1});
    CHECK_THROWS_AS(jacobian(dscalar(), x), TypeError);
}

TEST_CASE("hessian of a quadratic form and of a non-quadratic cost") {
    Var x = dvector("x");
    Var A = dmatrix("A");
    // cost = x' A x: H = A + A'.
    Array H = run(hessian(dot(x, dot(A, x)), x), {A, x}, {{{1.0, 2.0}, {0.5, 3.0}}, {0.3, -0.7}});
    check_close(H, {2, 2.5, 2.5, 6});
    // cost = sum(exp(x)): H = diag(exp(x)).
    Array He = run(hessian(sum(exp(x)), x), {x}, {{0.0, 1.0}});
    check_close(He, {1, 0, 0, std::exp(1.0)});
    const std::vector<Var> dims = infer_shape(hessian(sum(exp(x)), x));
    REQUIRE(dims.size() == 2);
    CHECK(run(dims[1], {x}, {{0.0, 1.0, 2.0}}).value_at<long>(0) == 3);
}
