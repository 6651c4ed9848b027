#include "../test_helpers.hpp"

#include <array>

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

namespace {

// `values` (rows x cols, row-major) stored in one of the layouts BLAS may
// be handed: contiguous, transposed storage, every other column of a wider
// array, or reversed rows (a negative stride, which BLAS cannot read).
Array in_layout(const std::vector<double>& values, std::int64_t rows, std::int64_t cols, int layout, DType dtype) {
    switch (layout) {
    case 0: return Array::from_values(values, {rows, cols}).astype(dtype);
    case 1: {
        std::vector<double> transposed(values.size());
        for (std::int64_t i = 0; i < rows; ++i)
            for (std::int64_t j = 0; j < cols; ++j) transposed[j * rows + i] = values[i * cols + j];
        return Array::from_values(transposed, {cols, rows}).astype(dtype).view({rows, cols}, {1, rows});
    }
    case 2: {
        std::vector<double> wide(values.size() * 2, -99);
        for (std::int64_t i = 0; i < rows; ++i)
            for (std::int64_t j = 0; j < cols; ++j) wide[i * cols * 2 + j * 2] = values[i * cols + j];
        return Array::from_values(wide, {rows, cols * 2}).astype(dtype).view({rows, cols}, {cols * 2, 2});
    }
    default: {
        std::vector<double> reversed(values.size());
        for (std::int64_t i = 0; i < rows; ++i)
            for (std::int64_t j = 0; j < cols; ++j) reversed[(rows - 1 - i) * cols + j] = values[i * cols + j];
        return Array::from_values(reversed, {rows, cols}).astype(dtype).view({rows, cols}, {-cols, 1}, (rows - 1) * cols);
    }
    }
}

std::vector<double> matmul_by_hand(const std::vector<double>& a, const std::vector<double>& b, std::int64_t m,
                                   std::int64_t k, std::int64_t n) {
    std::vector<double> c(static_cast<std::size_t>(m * n), 0.0);
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j)
            for (std::int64_t p = 0; p < k; ++p) c[i * n + j] += a[i * k + p] * b[p * n + j];
    return c;
}

} // namespace

TEST_CASE("dot and gemm read every operand layout: transposed, strided and reversed views, vectors included") {
    for (DType dtype : {DType::float64, DType::float32}) {
        const double tolerance = dtype == DType::float64 ? 1e-12 : 1e-5;
        const TensorType matrix(dtype, {false, false}), vector(dtype, {false});
        Var a = make_variable(matrix, "a"), b = make_variable(matrix, "b"), z = make_variable(matrix, "z");
        Var u = make_variable(vector, "u");
        const Function product = compile({a, b}, dot(a, b));
        const Function matrix_vector = compile({a, u}, dot(a, u));
        const Function vector_matrix = compile({u, b}, dot(u, b));
        const Function gemm_of = compile({z, a, b}, gemm(z, constant_of(0.5, dtype), a, b, constant_of(-2, dtype)));
        for (auto [m, k, n] : {std::array<std::int64_t, 3>{5, 7, 3}, {1, 4, 6}, {6, 4, 1}, {3, 1, 2}}) {
            const auto av = test::uniform(static_cast<std::size_t>(m * k), -1, 1, 11);
            const auto bv = test::uniform(static_cast<std::size_t>(k * n), -1, 1, 12);
            const auto zv = test::uniform(static_cast<std::size_t>(m * n), -1, 1, 13);
            const std::vector<double> expected = matmul_by_hand(av, bv, m, k, n);
            std::vector<double> expected_gemm(expected.size());
            for (std::size_t i = 0; i < expected.size(); ++i) expected_gemm[i] = 0.5 * expected[i] - 2 * zv[i];
            for (int la = 0; la < 4; ++la)
                for (int lb = 0; lb < 4; ++lb) {
                    CAPTURE(dtype_name(dtype));
                    CAPTURE(m);
                    CAPTURE(k);
                    CAPTURE(n);
                    CAPTURE(la);
                    CAPTURE(lb);
                    const Array A = in_layout(av, m, k, la, dtype), B = in_layout(bv, k, n, lb, dtype);
                    test::check_close(product(A, B)[0], expected, tolerance);
                    test::check_close(gemm_of(Array::from_values(zv, {m, n}).astype(dtype), A, B)[0], expected_gemm,
                                      tolerance);
                    // A column of B and a row of A as strided vectors.
                    const Array column = B.view({k}, {B.strides()[0]}, 0);
                    std::vector<double> bcol(static_cast<std::size_t>(k));
                    for (std::int64_t p = 0; p < k; ++p) bcol[p] = bv[p * n];
                    test::check_close(matrix_vector(A, column)[0], matmul_by_hand(av, bcol, m, k, 1), tolerance);
                    const Array row = A.view({k}, {A.strides()[1]}, 0);
                    const std::vector<double> arow(av.begin(), av.begin() + k);
                    test::check_close(vector_matrix(row, B)[0], matmul_by_hand(arow, bv, 1, k, n), tolerance);
                }
        }
    }
}
