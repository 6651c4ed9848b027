// The stabilize rules on the spellings Theano users write, at logits where
// the naive forms overflow: values and gradients against closed forms
// computed here in long double.
#include "../test_helpers.hpp"

#include <cmath>

using namespace kiln;
using kiln::test::check_close;

namespace {

using Rows = std::vector<std::vector<double>>;

Array rows_array(const Rows& rows) {
    std::vector<double> flat;
    for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
    return test::doubles(flat, {static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows[0].size())});
}

// log(sum(exp(row))), shifted by the row's maximum.
long double log_sum_exp(const std::vector<double>& row) {
    long double top = -INFINITY;
    for (double v : row) top = std::max<long double>(top, v);
    long double total = 0;
    for (double v : row) total += std::exp(static_cast<long double>(v) - top);
    return top + std::log(total);
}

std::vector<double> softmax_rows(const Rows& rows) {
    std::vector<double> out;
    for (const auto& row : rows)
        for (double v : row) out.push_back(static_cast<double>(std::exp(v - log_sum_exp(row))));
    return out;
}

// mean over rows of -log softmax(row)[label], and its gradient (softmax - onehot) / n.
std::pair<double, std::vector<double>> mean_nll(const Rows& rows, const std::vector<int>& labels) {
    long double total = 0;
    std::vector<double> gradient = softmax_rows(rows);
    const std::size_t n = rows.size(), cols = rows[0].size();
    for (std::size_t r = 0; r < n; ++r) {
        total += log_sum_exp(rows[r]) - rows[r][static_cast<std::size_t>(labels[r])];
        gradient[r * cols + static_cast<std::size_t>(labels[r])] -= 1;
    }
    for (double& g : gradient) g /= static_cast<double>(n);
    return {static_cast<double>(total / n), gradient};
}

const Rows extreme = {{1000, 0}, {0, 1}, {-1000, 1000}, {1000, -1000}};
const std::vector<int> extreme_labels = {1, 0, 0, 0};

Function compile_cost_and_grad(const Var& cost, const Var& x, const std::vector<Var>& inputs) {
    return compile(inputs, std::vector<Var>{cost, grad(cost, x)});
}

} // namespace

TEST_CASE("mean(categorical_crossentropy(softmax(x), labels)) is the fused crossentropy: finite at logits of +-1000") {
    const Var x = dmatrix("x"), y = ivector("y");
    const Var cost = mean(categorical_crossentropy(softmax(x), y));
    const Function f = compile_cost_and_grad(cost, x, {x, y});
    CHECK(f.rewrites_applied().count("log_softmax_from_indexed") == 1);
    CHECK(f.rewrites_applied().count("crossentropy_from_log_softmax") == 1);
    const Outputs out = f(rows_array(extreme), Array::from_values<std::int32_t>({1, 0, 0, 0}));
    const auto [expected_cost, expected_grad] = mean_nll(extreme, extreme_labels);
    CHECK(out[0].value_at<double>(0) == doctest::Approx(expected_cost).epsilon(1e-14));
    check_close(out[1], expected_grad, 1e-14);
    // The two rows: 500.65663084.
    const Outputs two = f(rows_array({{1000, 0}, {0, 1}}), Array::from_values<std::int32_t>({1, 0}));
    CHECK(two[0].value_at<double>(0) == doctest::Approx(500.65663084).epsilon(1e-10));
}

TEST_CASE("arange(shape(y)[0]) and arange(shape_i(y, 0)) are one graph: shape(y)[0] becomes Shape_i") {
    const Var x = dmatrix("x"), y = ivector("y");
    const Var literal = -mean(log(softmax(x))[{arange(shape(y)[0]), y}]);
    const Var canonical = -mean(log(softmax(x))[{arange(shape_i(y, 0)), y}]);
    const Function f = compile_cost_and_grad(literal, x, {x, y});
    const Function g = compile_cost_and_grad(canonical, x, {x, y});
    CHECK(f.rewrites_applied().count("shape_i_from_shape") >= 1);
    CHECK(f.rewrites_applied().count("crossentropy_from_log_softmax") == 1);
    CHECK(f.steps_text() == g.steps_text());
    const Outputs out = f(rows_array(extreme), Array::from_values<std::int32_t>({1, 0, 0, 0}));
    const auto [expected_cost, expected_grad] = mean_nll(extreme, extreme_labels);
    CHECK(out[0].value_at<double>(0) == doctest::Approx(expected_cost).epsilon(1e-14));
    check_close(out[1], expected_grad, 1e-14);
    // Other axes and negative ones become Shape_i too; an index past the rank stays an error at run time.
    const Var m = dmatrix("m");
    const Function dims = compile({m}, std::vector<Var>{shape(m)[1], shape(m)[-2]});
    CHECK(pp(dims.outputs()[0]) == "m.shape[1]");
    CHECK(pp(dims.outputs()[1]) == "m.shape[0]");
    CHECK(dims(rows_array({{1, 2, 3}, {4, 5, 6}}))[0].value_at<std::int64_t>(0) == 3);
}

TEST_CASE("categorical_crossentropy(softmax(x), one_hot) is finite at logits of +-1000, value and gradient") {
    const Var x = dmatrix("x"), t = dmatrix("t");
    const Var cost = mean(categorical_crossentropy(softmax(x), t));
    const Function f = compile_cost_and_grad(cost, x, {x, t});
    CHECK(f.rewrites_applied().count("log_softmax_from_log") == 1);
    Rows one_hot(extreme.size(), std::vector<double>(2, 0.0));
    for (std::size_t r = 0; r < extreme.size(); ++r) one_hot[r][static_cast<std::size_t>(extreme_labels[r])] = 1;
    const Outputs out = f(rows_array(extreme), rows_array(one_hot));
    const auto [expected_cost, expected_grad] = mean_nll(extreme, extreme_labels);
    CHECK(out[0].value_at<double>(0) == doctest::Approx(expected_cost).epsilon(1e-14));
    check_close(out[1], expected_grad, 1e-14);
}

TEST_CASE("a hand-written softmax is the softmax op, with or without its maximum taken off, and its log is log_softmax") {
    const Var x = dmatrix("x");
    const Rows rows = {{1000, 999, 0}, {-1000, -1001, -1002}, {1, 2, 3}};
    const std::vector<double> expected = softmax_rows(rows);
    const Var plain = exp(x) / sum(exp(x), -1, true);
    const Var shifted_logits = x - max(x, -1, true);
    const Var shifted = exp(shifted_logits) / sum(exp(shifted_logits), -1, true);
    for (const Var& spelling : {plain, shifted}) {
        const Function f = compile({x}, spelling);
        CHECK(f.rewrites_applied().count("softmax_from_exp_ratio") == 1);
        CHECK(pp(f.outputs()[0]) == "softmax(x)");
        check_close(f(rows_array(rows))[0], expected, 1e-14);
        const Function logged = compile({x}, log(spelling));
        CHECK(pp(logged.outputs()[0]) == "log_softmax(x)");
        std::vector<double> expected_log;
        for (const auto& row : rows)
            for (double v : row) expected_log.push_back(static_cast<double>(v - log_sum_exp(row)));
        check_close(logged(rows_array(rows))[0], expected_log, 1e-14);
    }
    // The gradient of a cost through the hand-written softmax: that of softmax.
    const Var w = dmatrix("w");
    const Function g = compile({x, w}, grad(sum(w * plain), x));
    const Function reference = compile({x, w}, grad(sum(w * softmax(x)), x));
    const Array weights = rows_array({{1, -2, 0.5}, {3, 0, -1}, {0.25, 1, 2}});
    const Array got = g(rows_array(rows), weights)[0];
    check_close(got, reference(rows_array(rows), weights)[0].to_vector<double>(), 1e-14);
    for (double v : got.to_vector<double>()) CHECK(std::isfinite(v));
    // A softmax over another axis is left as written.
    const Function columns = compile({x}, exp(x) / sum(exp(x), 0, true));
    CHECK(columns.rewrites_applied().count("softmax_from_exp_ratio") == 0);
}

TEST_CASE("log(exp(a) + exp(b)) is logaddexp: exact where the naive form overflows or loses everything") {
    const Var a = dvector("a"), b = dvector("b");
    const Function f = compile({a, b}, std::vector<Var>{log(exp(a) + exp(b)), grad(sum(log(exp(a) + exp(b))), a),
                                                        grad(sum(log(exp(a) + exp(b))), b)});
    CHECK(f.rewrites_applied().count("logaddexp_from_log") >= 1);
    const std::vector<double> av = {1000, -1000, 3, 2, INFINITY, -INFINITY, INFINITY, -INFINITY, 1e300, 0.5};
    const std::vector<double> bv = {999, -1001, 3, -745, INFINITY, -INFINITY, -INFINITY, 7, 1e300, 1e-20};
    const Outputs out = f(test::doubles(av, {10}), test::doubles(bv, {10}));
    std::vector<double> value, da, db;
    for (std::size_t i = 0; i < av.size(); ++i) {
        const long double x = av[i], y = bv[i];
        const long double top = std::max(x, y), low = std::min(x, y);
        value.push_back(std::isinf(top) && top == low ? static_cast<double>(top)
                                                       : static_cast<double>(top + std::log1p(std::exp(low - top))));
        // d/da = sigmoid(a - b); a half each at a tie; NaN where a - b is (equal infinities).
        const long double s = (x == y) ? (std::isinf(x) ? NAN : 0.5L) : 1 / (1 + std::exp(y - x));
        da.push_back(static_cast<double>(s));
        db.push_back(static_cast<double>(1 - s));
    }
    check_close(out[0], value, 1e-15);
    check_close(out[1], da, 1e-15);
    check_close(out[2], db, 1e-15);
    // The op by its name, in float32 too.
    const Var fa = fvector("fa"), fb = fvector("fb");
    const Array single = compile({fa, fb}, logaddexp(fa, fb))(Array::from_values<float>({100.0f, -100.0f}),
                                                              Array::from_values<float>({99.0f, -100.0f}))[0];
    CHECK(single.dtype() == DType::float32);
    CHECK(single.value_at<float>(0) == doctest::Approx(100.0 + std::log1p(std::exp(-1.0))).epsilon(1e-6));
    CHECK(single.value_at<float>(1) == doctest::Approx(-100.0 + std::log(2.0)).epsilon(1e-6));
    verify_grad([](const std::vector<Var>& in) { return logaddexp(in[0], in[1]); },
                {test::doubles({0.5, -2, 3}, {3}), test::doubles({1.5, -2.5, -4}, {3})});
}

TEST_CASE("log(sum(exp(x), axis)) is shifted by the maximum: finite rows at +-1000, -inf for rows of -inf") {
    const Var x = dmatrix("x");
    const Rows rows = {{1000, 999, 998}, {-1000, -1000, -1001}, {-INFINITY, -INFINITY, -INFINITY}, {0.5, 1, 2}};
    std::vector<double> expected;
    for (const auto& row : rows) expected.push_back(static_cast<double>(log_sum_exp(row)));
    expected[2] = -INFINITY;
    const Function f = compile({x}, log(sum(exp(x), 1)));
    CHECK(f.rewrites_applied().count("logsumexp_from_log") == 1);
    const Array got = f(rows_array(rows))[0];
    check_close(got, expected, 1e-15);
    CHECK(got.value_at<double>(2) == -INFINITY);
    // keepdims: the same values, shape (4, 1).
    const Array kept = compile({x}, log(sum(exp(x), 1, true)))(rows_array(rows))[0];
    CHECK(kept.shape() == Shape{4, 1});
    check_close(kept, expected, 1e-15);
    // Its gradient is the softmax of each row; the shift takes none.
    const Rows finite(rows.begin(), rows.begin() + 2);
    const Array g = compile({x}, grad(sum(log(sum(exp(x), 1))), x))(rows_array(finite))[0];
    check_close(g, softmax_rows(finite), 1e-14);
    CHECK(compile({x}, grad(sum(log(sum(exp(x), 1))), x)).steps_text().find("stop_gradient") == std::string::npos);
    // A sum already shifted by its maximum is left alone: the rule does not loop.
    const Var shifted = x - max(x, 1, true);
    const Function written = compile({x}, log(sum(exp(shifted), 1)) + max(x, 1));
    CHECK(written.rewrites_applied().count("logsumexp_from_log") == 0);
    check_close(written(rows_array(finite))[0], {expected[0], expected[1]}, 1e-15);
}
