// Shared-variable updates computed into the shared value's own buffer: only
// where nothing else can see that buffer, and never by a call that fails.
#include <kiln/kiln.hpp>

#include <doctest/doctest.h>

#include <random>
#include <vector>

using namespace kiln;

namespace {

std::vector<double> random_values(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> d(-1, 1);
    std::vector<double> v(n);
    for (double& x : v) x = d(rng);
    return v;
}

// Where the shared value's elements live now (no reference is kept).
const std::byte* buffer_of(const SharedVar& v) { return v.get_value(true).data(); }

// Explicit, so that the suite's debug-linker run (which compares every loop
// with the interpreter, and so never overwrites a loop's input) tests it too.
constexpr Linker jit_linker = Linker::jit;

} // namespace

TEST_CASE("an elementwise update is computed into its shared variable's buffer") {
    const std::vector<double> w0 = random_values(64 * 33, 1), g = random_values(64 * 33, 2);
    SharedVar w = shared(Array::from_values(w0, {64, 33}), "w");
    const Var grad = dmatrix("grad");
    const Function step = compile({grad}, std::vector<Var>{}, {.updates = {{w, w - 0.1 * grad}}, .linker = jit_linker});
    CHECK(step.steps_text().find("where nothing else holds it") != std::string::npos);
    const std::byte* before = buffer_of(w);
    const Array G = Array::from_values(g, {64, 33});
    // Two buffers taking turns would also end where they began after two calls.
    step(G);
    CHECK(buffer_of(w) == before);
    step(G);
    CHECK(buffer_of(w) == before);
    const std::vector<double> after = w.get_value().to_vector<double>();
    for (std::size_t i = 0; i < w0.size(); ++i) CHECK(after[i] == (w0[i] - 0.1 * g[i]) - 0.1 * g[i]);
}

TEST_CASE("a value someone still holds is never overwritten") {
    const std::vector<double> w0 = random_values(100, 3);
    SharedVar w = shared(Array::from_values(w0), "w");
    const Function grow = compile({}, std::vector<Var>{}, {.updates = {{w, w * 2.0}}, .linker = jit_linker});
    // The caller's borrowed value.
    const Array held = w.get_value(true);
    grow();
    CHECK(held.to_vector<double>() == w0);
    CHECK_FALSE(w.get_value(true).shares_buffer_with(held));
    // A result of the same call that views the old value (a transpose is a view).
    const Var m = dmatrix("m");
    SharedVar s = shared(Array::from_values(w0, {10, 10}), "s");
    const Function f = compile({m}, std::vector<Var>{transpose(s), s * m}, {.updates = {{s, s + m}}, .linker = jit_linker});
    const Outputs out = f(Array::full(DType::float64, {10, 10}, 1.0));
    for (std::int64_t i = 0; i < 10; ++i)
        for (std::int64_t j = 0; j < 10; ++j) {
            CHECK(out[0].value_at<double>(i * 10 + j) == w0[static_cast<std::size_t>(j * 10 + i)]);
            CHECK(out[1].value_at<double>(i * 10 + j) == w0[static_cast<std::size_t>(i * 10 + j)]);
            CHECK(s.get_value().value_at<double>(i * 10 + j) == w0[static_cast<std::size_t>(i * 10 + j)] + 1.0);
        }
}

TEST_CASE("updates that read each other's old values see them unchanged") {
    const std::vector<double> a0 = random_values(50, 4), b0 = random_values(50, 5);
    SharedVar a = shared(Array::from_values(a0), "a");
    SharedVar b = shared(Array::from_values(b0), "b");
    const Function f = compile({}, std::vector<Var>{}, {.updates = {{a, a + b}, {b, b * a}}, .linker = jit_linker});
    f();
    const std::vector<double> a1 = a.get_value().to_vector<double>(), b1 = b.get_value().to_vector<double>();
    for (std::size_t i = 0; i < a0.size(); ++i) {
        CHECK(a1[i] == a0[i] + b0[i]);
        CHECK(b1[i] == b0[i] * a0[i]);
    }
}

TEST_CASE("a call that fails after an in-place update could run leaves every shared variable as it was") {
    const std::vector<double> w0 = random_values(40, 6), v0 = random_values(40, 7);
    SharedVar w = shared(Array::from_values(w0), "w");
    SharedVar v = shared(Array::from_values(v0), "v");
    const Var g = dvector("g"), h = dvector("h");
    const Function f = compile({g, h}, std::vector<Var>{}, {.updates = {{w, w - g}, {v, v + h}}, .linker = jit_linker});
    const Array G = Array::full(DType::float64, {40}, 1.0);
    // v's update fails on shapes; w's could already have been written.
    CHECK_THROWS_AS(f(G, Array::full(DType::float64, {41}, 1.0)), ValueError);
    CHECK(w.get_value().to_vector<double>() == w0);
    CHECK(v.get_value().to_vector<double>() == v0);
    f(G, G);
    CHECK(w.get_value().value_at<double>(3) == w0[3] - 1.0);
    CHECK(v.get_value().value_at<double>(3) == v0[3] + 1.0);
}

TEST_CASE("graphs alike but for the updates' targets do not share an executable") {
    const std::vector<double> a0 = random_values(30, 8), b0 = random_values(30, 9);
    SharedVar a = shared(Array::from_values(a0), "x");
    SharedVar b = shared(Array::from_values(b0), "x");
    // b + 1 into b may run in place; the same graph into a must leave b alone.
    const Function into_b = compile({}, std::vector<Var>{}, {.updates = {{b, b + 1.0}}, .linker = jit_linker});
    const Function into_a = compile({}, std::vector<Var>{}, {.updates = {{a, b + 1.0}}, .linker = jit_linker});
    into_a();
    CHECK(b.get_value().to_vector<double>() == b0);
    CHECK(a.get_value().value_at<double>(7) == b0[7] + 1.0);
    into_b();
    CHECK(b.get_value().value_at<double>(7) == b0[7] + 1.0);
}
