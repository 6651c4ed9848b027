#include "../test_helpers.hpp"

using namespace kiln;
using kiln::test::check_close;
using kiln::test::doubles;
using kiln::test::run;

TEST_CASE("softmax is row-wise and stable for large inputs") {
    Var x = dmatrix("x");
    Array out = run(softmax(x), {x}, {{{1.0, 2.0, 3.0}, {1000.0, 1001.0, 1002.0}}});
    const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    const std::vector<double> row = {std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z};
    check_close(out, {row[0], row[1], row[2], row[0], row[1], row[2]}, 1e-14);
    Var v = dvector("v");
    Array logs = run(log_softmax(v), {v}, {{1000.0, 1001.0}});
    check_close(logs, {-std::log1p(std::exp(1.0)), 1 - std::log1p(std::exp(1.0))}, 1e-14);
    CHECK(pp(softmax(x)) == "softmax(x)");
    CHECK_THROWS_WITH_AS(softmax(dtensor3()), doctest::Contains("x must be 1-d or 2-d tensor of floats"), ValueError);
    CHECK_THROWS_AS(softmax(imatrix()), ValueError);
}

TEST_CASE("softmax and log_softmax gradients") {
    const Array point = doubles({0.5, -1.0, 2.0, 1.5, 0.25, -0.75}, {2, 3});
    verify_grad([](const std::vector<Var>& in) { return softmax(in[0]); }, {point});
    verify_grad([](const std::vector<Var>& in) { return log_softmax(in[0]); }, {point});
}

TEST_CASE("crossentropies against closed forms") {
    Var p = dmatrix("p");
    Var labels = ivector("labels");
    Array ce = run(categorical_crossentropy(p, labels), {p, labels}, {{{0.2, 0.8}, {0.6, 0.4}}, {1, 0}});
    check_close(ce, {-std::log(0.8), -std::log(0.6)});
    Var onehot = dmatrix("onehot");
    check_close(run(categorical_crossentropy(p, onehot), {p, onehot}, {{{0.2, 0.8}, {0.6, 0.4}}, {{0.0, 1.0}, {1.0, 0.0}}}),
                {-std::log(0.8), -std::log(0.6)});
    Var o = dvector("o"), t = dvector("t");
    check_close(run(binary_crossentropy(o, t), {o, t}, {{0.9, 0.3}, {1.0, 0.0}}), {-std::log(0.9), -std::log(0.7)});
    CHECK_THROWS_AS(categorical_crossentropy(dvector(), labels), TypeError);
}
