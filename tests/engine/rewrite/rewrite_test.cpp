#include "../test_helpers.hpp"

#include "engine/rewrite/rewriter.hpp"

#include <set>

using namespace kiln;
using kiln::test::check_close;
using kiln::test::run;

namespace {

// The optimized form of one output, as pp prints it, and the rewrites that fired.
std::string optimized(const Var& out, const std::vector<Var>& inputs, const CompileOptions& options = {}) {
    CompileOptions with_ignore = options;
    with_ignore.on_unused_input = OnUnusedInput::ignore;
    return pp(compile(inputs, out, with_ignore).outputs()[0]);
}

} // namespace

TEST_CASE("Derivative in Theano, optimized: grad(x ** 2) is 2.0 * x") {
    Var x = dscalar("x");
    Function f = compile({x}, grad(pow(x, 2), x));
    CHECK(pp(f.outputs()[0]) == "(TensorConstant{2.0} * x)");
    CHECK(f(4)[0].repr() == "array(8.)");
    CHECK(debugprint(f) == "Elemwise{mul,no_inplace} [id A] ''   0\n"
                           " |TensorConstant{2.0} [id B]\n"
                           " |x [id C]\n");
    CHECK(f.rewrites_applied().at("constant_folding") >= 1);
    CHECK(f.rewrites_applied().at("pow_canonicalize") == 1);
}

TEST_CASE("each canonicalize rewrite, before and after") {
    Var x = dvector("x"), y = dvector("y");
    Var i = ivector("i");
    CHECK(optimized(x * 1, {x}) == "x");
    CHECK(optimized(1 * x, {x}) == "x");
    CHECK(optimized(x + 0, {x}) == "x");
    CHECK(optimized(x - 0, {x}) == "x");
    CHECK(optimized(x / 1, {x}) == "x");
    CHECK(optimized(-(-x), {x}) == "x");
    CHECK(optimized(x - (-y), {x, y}) == "(x + y)");
    CHECK(optimized(-(x - y), {x, y}) == "(y - x)");
    CHECK(optimized(pow(x, 1), {x}) == "x");
    CHECK(optimized(x * 3, {x}) == "(TensorConstant{(1,) of 3} * x)");
    CHECK(optimized(2 * (3 * x), {x}) == "(TensorConstant{(1,) of 6} * x)");
    CHECK(optimized(i - i, {i}) == "fill(i, TensorConstant{(1,) of 0})");
    CHECK(optimized(x - x, {x}) == "(x - x)"); // inf - inf is NaN: kept for floats
    CHECK(optimized(cast(cast(i, DType::int64), DType::float32), {i}) == "Elemwise{Cast{float32}}(i)");
    Var m = dmatrix("m");
    CHECK(optimized(transpose(transpose(m)), {m}) == "m");
    CHECK(optimized(shape_i(exp(m) * 2, 1), {m}) == "m.shape[1]");
    CHECK(optimized(shape_i(dot(m, transpose(m)), 1), {m}) == "m.shape[0]");
    CHECK(optimized(m[{slice({}, {}), slice({}, {})}], {m}) == "m");
    CHECK(optimized(i * 0, {i}) == "fill(i, TensorConstant{(1,) of 0})");
    CHECK(optimized(x + 3, {x}) == "(TensorConstant{(1,) of 3} + x)");
    CHECK(optimized(2 + (3 + x), {x}) == "(TensorConstant{(1,) of 5} + x)");
    CHECK(optimized(transpose(exp(m)), {m}) == "exp(m.T)");
    CHECK(optimized(reshape(reshape(m, {3, -1}), {-1}), {m}) == "Reshape{1}(m, TensorConstant{-1})");
    Var e = exp(m);
    Function both = compile({m}, std::vector<Var>{transpose(e), e}); // e has two readers: not lifted
    CHECK(pp(both.outputs()[0]) == "exp(m).T");
    CHECK(optimized(dimshuffle(dimshuffle(m, {1, 0}), {DimShuffle::new_axis, 1, 0}), {m}) == "m");
    CHECK(optimized(fill(x, y), {x, y}) == "y");
}

TEST_CASE("each stabilize rewrite, before and after") {
    Var x = dvector("x");
    Var m = dmatrix("m");
    CHECK(optimized(log(1 + x), {x}) == "log1p(x)");
    CHECK(optimized(log(1 + exp(x)), {x}) == "softplus(x)");
    CHECK(optimized(log(sigmoid(x)), {x}) == "(-softplus((-x)))");
    CHECK(optimized(log(1 - sigmoid(x)), {x}) == "(-softplus(x))");
    CHECK(optimized(exp(x) - 1, {x}) == "expm1(x)");
    CHECK(optimized(1 / (1 + exp(-x)), {x}) == "sigmoid(x)");
    CHECK(optimized(3.0 / (1 + exp(x)), {x}) == "(TensorConstant{(1,) of 3.0} * sigmoid((-x)))");
    CHECK(optimized(log(softmax(m)), {m}) == "log_softmax(m)");
    Var labels = ivector("labels");
    CHECK(optimized(log(softmax(m))[{arange(shape_i(labels, 0)), labels}], {m, labels}) ==
          "(-CrossentropySoftmax1Hot(m, labels))");
    CHECK(optimized(log(softmax(m)[{arange(shape(labels)[0]), labels}]), {m, labels}) ==
          "(-CrossentropySoftmax1Hot(m, labels))");
    CHECK(optimized(exp(m) / sum(exp(m), -1, true), {m}) == "softmax(m)");
    CHECK(optimized(exp(m - max(m, 1, true)) / sum(exp(m - max(m, 1, true)), 1, true), {m}) == "softmax(m)");
    Var y = dvector("y");
    CHECK(optimized(log(exp(x) + exp(y)), {x, y}) == "logaddexp(x, y)");
    CHECK(optimized(log(sum(exp(m), 1)), {m}) ==
          "(switch(isinf(max(m, axis=[1])), TensorConstant{(1,) of 0.0}, max(m, axis=[1])) + "
          "log(sum(exp((m - switch(DimShuffle{0, x}(isinf(max(m, axis=[1]))), TensorConstant{(1, 1) of 0.0}, "
          "DimShuffle{0, x}(max(m, axis=[1]))))), axis=[1])))");
}

TEST_CASE("the fused crossentropy: values and gradient softmax - onehot, against closed forms") {
    Var x = dmatrix("x");
    Var y = ivector("y");
    Var nll = -mean(log(softmax(x))[{arange(shape_i(y, 0)), y}]);
    Function f = compile({x, y}, std::vector<Var>{nll, grad(nll, x)});
    CHECK(f.rewrites_applied().count("crossentropy_from_log_softmax") == 1);
    const std::vector<double> xv = {1000, 1001, 999, -3, 0.5, 2};
    Outputs out = f(test::doubles(xv, {2, 3}), {1, 2});
    auto softmax_row = [&](int r, int c) {
        double z = 0;
        for (int k = 0; k < 3; ++k) z += std::exp(xv[r * 3 + k] - xv[r * 3 + c]);
        return 1 / z;
    };
    const double expected_nll = (-std::log(softmax_row(0, 1)) - std::log(softmax_row(1, 2))) / 2;
    CHECK(out[0].value_at<double>(0) == doctest::Approx(expected_nll).epsilon(1e-12));
    std::vector<double> expected_grad;
    const int labels[2] = {1, 2};
    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 3; ++c) expected_grad.push_back((softmax_row(r, c) - (c == labels[r] ? 1.0 : 0.0)) / 2);
    check_close(out[1], expected_grad, 1e-12);
    CHECK_THROWS_WITH_AS(f(test::doubles(xv, {2, 3}), {1, 3}), doctest::Contains("index 3 is out of bounds"), IndexError);
    CHECK_THROWS_AS(crossentropy_softmax(dvector(), y), TypeError);
}

TEST_CASE("the crossentropy rewrite sees len(y) of labels sliced by givens, and only of those labels") {
    // The tutorial's minibatch: x and y are slices of shared data chosen by an index.
    const std::vector<double> xv = {0.5, -1, 2, 3, 0, 1, -2, 4, 1, 1, 0.25, -0.5};
    SharedVar data = shared(test::doubles(xv, {4, 3}), "data");
    SharedVar labels = shared(Array::from_values<std::int32_t>({2, 0, 1, 1}), "labels");
    SharedVar others = shared(Array::from_values<std::int32_t>({0, 0, 0, 0}), "others");
    const Var x = dmatrix("x"), y = ivector("y"), index = lscalar("index");
    const Var nll = -mean(log(softmax(x))[{arange(shape_i(y, 0)), y}]);
    const Function f = compile({index}, nll, {.givens = {{x, data[slice(index * 2, (index + 1) * 2)]},
                                                         {y, labels[slice(index * 2, (index + 1) * 2)]}}});
    CHECK(f.rewrites_applied().count("crossentropy_from_log_softmax") == 1);
    CHECK(f.steps_text().find("LogSoftmax") == std::string::npos);
    CHECK(f.steps_text().find("AdvancedSubtensor") == std::string::npos);
    auto expected = [&](int batch, const std::vector<int>& picked) {
        double total = 0;
        for (int r = 0; r < 2; ++r) {
            const double* row = &xv[static_cast<std::size_t>((batch * 2 + r) * 3)];
            const double z = std::exp(row[0]) + std::exp(row[1]) + std::exp(row[2]);
            total -= row[picked[static_cast<std::size_t>(r)]] - std::log(z);
        }
        return total / 2;
    };
    CHECK(f(1)[0].value_at<double>(0) == doctest::Approx(expected(1, {1, 1})).epsilon(1e-12));
    CHECK(f(0)[0].value_at<double>(0) == doctest::Approx(expected(0, {2, 0})).epsilon(1e-12));

    // The rows counted from other labels (same type, same slice): not len(y), so no rewrite.
    const Var rows_of_others = shape_i(others[slice(index * 2, (index + 1) * 2)], 0);
    const Var mixed = -mean(log(softmax(x))[{arange(rows_of_others), y}]);
    const Function g = compile({index}, mixed, {.givens = {{x, data[slice(index * 2, (index + 1) * 2)]},
                                                           {y, labels[slice(index * 2, (index + 1) * 2)]}}});
    CHECK(g.rewrites_applied().count("crossentropy_from_log_softmax") == 0);
    CHECK(g(1)[0].value_at<double>(0) == doctest::Approx(expected(1, {1, 1})).epsilon(1e-12));
}

TEST_CASE("each specialize rewrite, before and after") {
    Var x = dvector("x");
    CHECK(optimized(pow(x, 2), {x}) == "sqr(x)");
    CHECK(optimized(pow(x, 3), {x}) == "(sqr(x) * x)");
    CHECK(optimized(pow(x, 0.5), {x}) == "sqrt(x)");
    CHECK(optimized(pow(x, -1), {x}) == "inv(x)");
    CHECK(optimized(x * x, {x}) == "sqr(x)");
    CHECK(optimized(x * -1, {x}) == "(-x)");
    CHECK(optimized(1 / x, {x}) == "inv(x)");
    Var a = dmatrix("a"), b = dmatrix("b"), c = dmatrix("c");
    CHECK(optimized(dot(a, b) + c, {a, b, c}) == "gemm(c, TensorConstant{1.0}, a, b, TensorConstant{1.0})");
    CHECK(optimized(0.5 * dot(a, b) - (-(2 * c)), {a, b, c}) ==
          "gemm(c, TensorConstant{0.5}, a, b, TensorConstant{2.0})");
    CHECK(optimized(c + dot(a, x), {a, x, c}) == "(c + (a \\dot x))"); // c is a matrix: not a GEMV shape
    // Subtraction: an SGD step W - lr * dot(x, g) is one gemm, and either side may be subtracted.
    CHECK(optimized(c - 0.5 * dot(a, b), {a, b, c}) == "gemm(c, TensorConstant{-0.5}, a, b, TensorConstant{1.0})");
    CHECK(optimized(0.5 * dot(a, b) - 2 * c, {a, b, c}) ==
          "gemm(c, TensorConstant{0.5}, a, b, TensorConstant{-2.0})");
    CHECK(optimized(3 * c - dot(a, b), {a, b, c}) == "gemm(c, TensorConstant{-1.0}, a, b, TensorConstant{3.0})");
    {
        // The rewritten forms compute what a loop does.
        const Array A = Array::from_values<double>({1, 2, 3, 4, 5, 6}, {2, 3});
        const Array B = Array::from_values<double>({1, 0, -1, 2, 0.5, 1}, {3, 2});
        const Array C = Array::from_values<double>({10, 20, 30, 40}, {2, 2});
        std::vector<double> ab(4, 0.0);
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j)
                for (int k = 0; k < 3; ++k) ab[i * 2 + j] += A.value_at<double>(i * 3 + k) * B.value_at<double>(k * 2 + j);
        std::vector<double> sgd(4), flipped(4);
        for (int i = 0; i < 4; ++i) {
            sgd[i] = C.value_at<double>(i) - 0.5 * ab[i];
            flipped[i] = 0.5 * ab[i] - 2 * C.value_at<double>(i);
        }
        check_close(run(c - 0.5 * dot(a, b), {a, b, c}, {A, B, C}), sgd);
        check_close(run(0.5 * dot(a, b) - 2 * c, {a, b, c}, {A, B, C}), flipped);
    }
    Var v = dvector("v");
    CHECK(optimized(dot(a, x) + v, {a, x, v}) == "gemm(v, TensorConstant{1.0}, a, x, TensorConstant{1.0})");
    // A product read elsewhere as well stays one dot: gemm would compute it twice.
    const Function shared_product = compile({a, x, v}, std::vector<Var>{dot(a, x) + v, exp(dot(a, x))});
    CHECK(pp(shared_product.outputs()[0]) == "((a \\dot x) + v)");
    CHECK(shared_product.steps_text().find("Gemm") == std::string::npos);
}

TEST_CASE("a gemm whose z no later step reads writes into z's buffer, and never into another reader's value") {
    const Var a = dmatrix("a"), b = dmatrix("b"), c = dmatrix("c");
    const Array A = Array::from_values<double>({1, 2, 3, 4}, {2, 2});
    const Array B = Array::from_values<double>({0.5, -1, 2, 0}, {2, 2});
    const Array C = Array::from_values<double>({0, 1, 2, 3}, {2, 2});
    // exp(c) is computed, read by the gemm alone in the first function, and
    // also returned (and read after the gemm) in the second.
    std::vector<double> expected(4), exp_c(4);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) {
            exp_c[i * 2 + j] = std::exp(C.value_at<double>(i * 2 + j));
            double product = 0;
            for (int k = 0; k < 2; ++k) product += A.value_at<double>(i * 2 + k) * B.value_at<double>(k * 2 + j);
            expected[i * 2 + j] = exp_c[i * 2 + j] - 0.5 * product;
        }
    const Var z = exp(c);
    const Function alone = compile({a, b, c}, z - 0.5 * dot(a, b));
    REQUIRE(alone.steps_text().find("Gemm") != std::string::npos);
    check_close(alone(A, B, C)[0], expected);
    check_close(alone(A, B, C)[0], expected); // a second call computes afresh
    const Function shared_z = compile({a, b, c}, {z - 0.5 * dot(a, b), z, z * 1.0 + 0.0});
    const Outputs out = shared_z(A, B, C);
    check_close(out[0], expected);
    check_close(out[1], exp_c);
    check_close(out[2], exp_c);
    // A caller's array and a shared value are never written.
    SharedVar s = shared(C, "s");
    const Function from_shared = compile({a, b}, s - 0.5 * dot(a, b));
    from_shared(A, B);
    check_close(s.get_value(), {0, 1, 2, 3});
    const Function from_input = compile({a, b, c}, c - 0.5 * dot(a, b));
    from_input(A, B, C);
    check_close(C, {0, 1, 2, 3});
}

TEST_CASE("gemm computes beta * z + alpha * dot(x, y) and has gradients") {
    Var z = dmatrix("z"), x = dmatrix("x"), y = dmatrix("y");
    const std::vector<double> zv = {1, 2, 3, 4}, xv = {1, 2, 3, 4, 5, 6}, yv = {1, 0, 0, 1, 1, 1};
    // [1 2 3; 4 5 6] . [1 0; 0 1; 1 1] = [4 5; 10 11]
    Array out = run(gemm(z, constant_of(2, DType::float64), x, y, constant_of(-1, DType::float64)), {z, x, y},
                    {Arg(test::doubles(zv, {2, 2})), Arg(test::doubles(xv, {2, 3})), Arg(test::doubles(yv, {3, 2}))});
    check_close(out, {2 * 4 - 1, 2 * 5 - 2, 2 * 10 - 3, 2 * 11 - 4});
    Var v = dvector("v"), w = dvector("w");
    check_close(run(gemm(w, constant_of(1, DType::float64), x, v, constant_of(0.5, DType::float64)), {w, x, v},
                    {{1.0, 2.0}, Arg(test::doubles(xv, {2, 3})), {1.0, 1.0, 1.0}}),
                {6.5, 16});
    verify_grad([](const std::vector<Var>& in) { return gemm(in[0], in[1], in[2], in[3], in[4]); },
                {test::doubles(zv, {2, 2}), test::doubles({0.7}, {}), test::doubles(xv, {2, 3}), test::doubles(yv, {3, 2}),
                 test::doubles({-0.3}, {})});
    CHECK_THROWS_AS(gemm(ivector(), constant_of(1, DType::int32), imatrix(), ivector(), constant_of(1, DType::int32)),
                    TypeError);
    CHECK_THROWS_WITH_AS(run(gemm(z, constant_of(1, DType::float64), x, y, constant_of(1, DType::float64)), {z, x, y},
                             {Arg(test::doubles(zv, {2, 2})), Arg(test::doubles(xv, {2, 3})), Arg(test::doubles(xv, {2, 3}))}),
                         doctest::Contains("not aligned"), ValueError);
}

TEST_CASE("merge makes equal nodes and constants one") {
    Var x = dvector("x");
    Var a = exp(x) + 2;
    Var b = exp(x) + 2;
    Function f = compile({x}, a * b);
    CHECK(pp(f.outputs()[0]) == "sqr((TensorConstant{(1,) of 2} + exp(x)))");
    CHECK(f.rewrites_applied().at("merge") >= 1);
    check_close(f({0.0, 1.0})[0], {9, std::pow(std::exp(1.0) + 2, 2)});
}

TEST_CASE("stability: the forms the rewrites produce stay finite and correct") {
    Var v = dvector("v");
    Array logs = run(log(softmax(v)), {v}, {{1000.0, 1001.0}});
    check_close(logs, {-std::log1p(std::exp(1.0)), 1 - std::log1p(std::exp(1.0))}, 1e-14);
    Array ls = run(log(sigmoid(v)), {v}, {{-800.0, 0.0}});
    check_close(ls, {-800.0, -std::log(2.0)});
    Array l1p = run(log(1 + exp(v)), {v}, {{800.0, -800.0}});
    check_close(l1p, {800.0, 0.0});
    // The tutorial's cross-entropy and its gradient at logits of +-800.
    Var z = dvector("z"), y = dvector("y");
    Var p = 1 / (1 + exp(-z));
    Var xent = -y * log(p) - (1 - y) * log(1 - p);
    Outputs out = compile({z, y}, std::vector<Var>{xent, grad(sum(xent), z)})({-800.0, 800.0, -800.0, 800.0},
                                                                              {1.0, 0.0, 0.0, 1.0});
    // Closed forms: xent = softplus(-z) for y = 1, softplus(z) for y = 0;
    // d xent / dz = sigmoid(z) - y.
    check_close(out[0], {800, 800, 0, 0});
    check_close(out[1], {-1, 1, 0, 0});
}

TEST_CASE("rewriting is idempotent: a second run changes nothing") {
    Var x = dvector("x"), y = dvector("y");
    Var p = 1 / (1 + exp(-(x * 2 - y)));
    Var cost = mean(-y * log(p) - (1 - y) * log(1 - p)) + 0.01 * sum(pow(x, 2));
    FunctionGraph fgraph({x.node(), y.node()}, {cost.node(), grad(cost, x).node()});
    rewrite_graph(fgraph, {});
    const std::string once = canonical_graph_text(fgraph.outputs(), fgraph.inputs());
    const RewriteCounts again = rewrite_graph(fgraph, {});
    CHECK(again.empty());
    CHECK(canonical_graph_text(fgraph.outputs(), fgraph.inputs()) == once);
}

TEST_CASE("every registered rewrite keeps the interpreter's results, and each fires in this corpus") {
    Var x = dvector("x"), y = dvector("y");
    Var m = dmatrix("m");
    Var i = ivector("i");
    Var labels = ivector("labels");
    const std::vector<Var> inputs = {x, y, m, i, labels};
    const std::vector<Arg> args = {Arg(test::doubles(test::uniform(4, 0.2, 2.0), {4})),
                                   Arg(test::doubles(test::uniform(4, -1, 1, 5), {4})),
                                   Arg(test::doubles(test::uniform(6, -3, 3, 8), {2, 3})),
                                   Arg(Array::from_values<std::int32_t>({3, -1, 4, 1})),
                                   Arg(Array::from_values<std::int32_t>({2, 0}))};
    const std::vector<Var> corpus = {
        x * 1, 1 * x + 0, x - 0, x / 1, -(-x), x - (-y), -(x - y), pow(x, 1), pow(x, 0), x * 3, 2 * (3 * x),
        cast(i - i, DType::float64), cast(cast(i, DType::int64), DType::float64), sum(transpose(transpose(m))),
        sum(dimshuffle(dimshuffle(m, {1, 0}), {1, 0})), fill(x, y), log(1 + x), log(1 + exp(y)), log(sigmoid(y)),
        log(1 - sigmoid(y)), log1p(-sigmoid(y)), exp(y) - 1, 1 / (1 + exp(-y)), 2.5 / (1 + exp(y)),
        sum(log(softmax(m))), pow(x, 2), pow(x, 3), pow(x, 4), pow(x, 0.5), pow(x, -1), pow(x, -0.5), pow(x, -2),
        x * x, y * -1, 1 / x, exp(x) + exp(x), cast(shape_i(exp(m) + 1, 1), DType::float64),
        m[{slice({}, {}), slice({}, {})}] * 2, cast(i * 0, DType::float64),
        2 * dot(m, transpose(m)) + sqr(dot(m, transpose(m))), 2 * dot(m, m[0]) + 0.5 * y[slice(0, 2)],
        sum(transpose(exp(m) * 2)) + y, 3 + (x + 4),
        -mean(log(softmax(m))[{arange(shape_i(labels, 0)), labels}]), reshape(reshape(m, {3, 2}), {6}),
        argmax(m, 0), argmin(m), fill(sqr(x), 2.0) + sum(abs(m)), cast(shape(m)[1], DType::float64),
        -mean(log(softmax(m)[{arange(shape_i(labels, 0)), labels}])), exp(m) / sum(exp(m), -1, true),
        log(exp(x) + exp(y)), log(sum(exp(m), 1)), stop_gradient(x) * 2,
    };
    std::set<std::string> fired;
    for (std::size_t k = 0; k < corpus.size(); ++k) {
        CAPTURE(k);
        const Array reference = compile(inputs, corpus[k], {.on_unused_input = OnUnusedInput::ignore,
                                                            .mode = OptimizerMode::none}).call(args)[0];
        Function optimized = compile(inputs, corpus[k], {.on_unused_input = OnUnusedInput::ignore});
        for (const auto& [name, count] : optimized.rewrites_applied()) fired.insert(name);
        const Array result = optimized.call(args)[0];
        REQUIRE(result.shape() == reference.shape());
        check_close(result, reference.to_vector<double>(), 1e-12);
    }
    for (const Rewrite& rule : rewrite_registry()) {
        CAPTURE(rule.name);
        CHECK(fired.count(rule.name) == 1);
    }
    CHECK(fired.count("type_mismatch_skipped") == 0);
}

TEST_CASE("rewrites can be switched off by name, by phase, by mode and through config") {
    Var x = dvector("x");
    CHECK(optimized(pow(x, 2), {x}, {.excluding = {"pow_specialize"}}) == "(x ** TensorConstant{(1,) of 2})");
    CHECK(optimized(log(1 + x), {x}, {.excluding = {"stabilize"}}) == "log((TensorConstant{(1,) of 1} + x))");
    CHECK(optimized(x * 1, {x}, {.mode = OptimizerMode::fast_compile}) == "(x * TensorConstant{(1,) of 1})");
    CHECK(optimized(x * 1, {x}, {.mode = OptimizerMode::none}) == "(x * TensorConstant{1})");
    {
        ConfigOverride no_sqr({{"optimizer_excluding", "pow_specialize:mul_to_sqr"}});
        CHECK(optimized(pow(x, 2), {x}) == "(x ** TensorConstant{(1,) of 2})");
    }
    {
        ConfigOverride none({{"mode", "none"}});
        CHECK(optimized(x * 1, {x}) == "(x * TensorConstant{1})");
    }
    CHECK_THROWS_AS(config().set("mode", "fastest"), ValueError);
}

TEST_CASE("FunctionGraph: replace checks types, tells listeners, leaves the user's graph alone") {
    Var x = dvector("x"), y = dvector("y");
    Var out = exp(x) + y;
    FunctionGraph fgraph({x.node(), y.node()}, {out.node()});
    std::vector<std::string> heard;
    fgraph.add_listener([&](const FunctionGraph::Replacement& r) { heard.push_back(r.reason); });
    Var replacement = sqrt(x);
    fgraph.replace(out.owner()->inputs()[0], replacement.node(), "test");
    CHECK(pp(fgraph.outputs()[0]) == "(sqrt(x) + y)");
    CHECK(heard == std::vector<std::string>{"test"});
    CHECK(pp(out) == "(exp(x) + y)");
    CHECK_THROWS_WITH_AS(fgraph.replace(x.node(), dscalar("s").node(), "bad"),
                         doctest::Contains("The type of the replacement must be the same"), TypeError);
    auto clients = fgraph.clients();
    CHECK(clients.at(y.node().get()).size() == 1);
    CHECK(clients.at(fgraph.outputs()[0].get()).front().first == nullptr);
    CHECK(fgraph.toposort().size() == 2);
}
