// Reductions compiled into loops against the reference interpreter and
// hand-written sums: every kind and dtype, axis sets, views, empty and
// length-1 axes, NaN, wide integer sums, exact float32 sums, the parallel
// splits and their independence from the thread count.
#include "jit_helpers.hpp"

#include "../../../jit/cpu/cpu_backend.hpp"

#include <tbb/global_control.h>

#include <cmath>
#include <functional>

namespace kiln {

namespace {

using Reducer = std::function<Var(const Var&, const Axes&)>;

const std::pair<const char*, Reducer> reducers[] = {
    {"sum", [](const Var& x, const Axes& a) { return sum(x, a); }},
    {"prod", [](const Var& x, const Axes& a) { return prod(x, a); }},
    {"max", [](const Var& x, const Axes& a) { return max(x, a); }},
    {"min", [](const Var& x, const Axes& a) { return min(x, a); }},
    {"all", [](const Var& x, const Axes& a) { return all(x, a); }},
    {"any", [](const Var& x, const Axes& a) { return any(x, a); }},
};

// What a float64 sum may differ by when summed in another order.
double sum_tolerance(const std::vector<double>& values) {
    double magnitude = 0;
    for (double v : values) magnitude += std::abs(v);
    return 1e-15 * magnitude * std::sqrt(static_cast<double>(values.size())) + 1e-300;
}

} // namespace

TEST_CASE("every reduction compiles for every dtype and axis set and agrees with the interpreter") {
    std::mt19937 rng(5);
    int compiled = 0;
    for (const auto& [name, reduce] : reducers) {
        for (DType dtype : test::tested_dtypes) {
            CAPTURE(name);
            CAPTURE(dtype_name(dtype));
            const Var m = tensor(dtype, {false, false}, "m");
            const Var t = tensor(dtype, {false, false, false}, "t");
            const std::pair<Var, std::vector<Axes>> cases[] = {
                {m, {Axes(), Axes(0), Axes(1), Axes{0, 1}}},
                {t, {Axes(1), Axes{0, 2}, Axes(2), Axes()}},
            };
            for (const auto& [input, axis_sets] : cases) {
                for (const Axes& axes : axis_sets) {
                    const Var out = reduce(input, axes);
                    const Function jit = test::compile_with(Linker::jit, {input}, out);
                    const Function reference = test::compile_with(Linker::interpreter, {input}, out);
                    REQUIRE(jit.kernels().size() == 1);
                    REQUIRE(jit.kernels()[0]->reduction().has_value());
                    ++compiled;
                    const std::vector<Shape> shapes =
                        input.ndim() == 2 ? std::vector<Shape>{{3, 5}, {0, 4}, {4, 0}, {1, 1}, {5, 1}, {4, 37}}
                                          : std::vector<Shape>{{2, 3, 4}, {3, 1, 5}, {2, 0, 3}, {4, 6, 33}};
                    for (const Shape& shape : shapes) {
                        CAPTURE(shape_text(shape));
                        Array value = test::random_array(dtype, shape, rng, ScalarOp::add, 0);
                        // Matrices of 4 rows also arrive transposed (a non-contiguous view).
                        if (shape.size() == 2 && shape[0] == 4) value = test::transposed_copy(value);
                        test::check_same_call(reference, jit, {value}, 1e-12);
                    }
                }
            }
        }
    }
    CHECK(compiled == 6 * 8 * 8);
}

TEST_CASE("an elementwise chain and the reduction it feeds are one loop") {
    const Var x = dmatrix("x"), y = dmatrix("y");
    const Function f = compile({x, y}, sum(pow(exp(x - y), 2), 1));
    REQUIRE(f.kernels().size() == 1);
    CHECK(f.kernels()[0]->reduction() == ReduceKind::sum);
    CHECK(f.steps_text().find(" op ") == std::string::npos);
    const std::int64_t rows = 7, cols = 301;
    const auto xv = test::uniform(rows * cols, -1, 1, 1), yv = test::uniform(rows * cols, -1, 1, 2);
    const Array r = f(test::doubles(xv, {rows, cols}), test::doubles(yv, {rows, cols}))[0];
    for (std::int64_t i = 0; i < rows; ++i) {
        std::vector<double> terms;
        for (std::int64_t j = 0; j < cols; ++j) terms.push_back(std::exp(2 * (xv[i * cols + j] - yv[i * cols + j])));
        double expected = 0;
        for (double v : terms) expected += v;
        CHECK(std::abs(r.value_at<double>(i) - expected) <= sum_tolerance(terms));
    }
}

TEST_CASE("a penalty and its gradient: the elementwise term stays in the reduction's loop") {
    // grad(sum(sqr(w))) fills a tensor shaped like sqr(w); reading w for the
    // shape instead leaves sqr(w) with the sum as its only reader.
    const Var w = dmatrix("w");
    const Var penalty = 0.5 * sum(sqr(w)) + sum(abs(w));
    const Function f = compile({w}, std::vector<Var>{penalty, grad(penalty, w)});
    const std::string steps = f.steps_text();
    CAPTURE(steps);
    CHECK(steps.find("[sqr, Sum") != std::string::npos);
    CHECK(steps.find("[abs, Sum") != std::string::npos);
    const auto values = test::uniform(12, -2, 2, 3);
    const Outputs out = f(test::doubles(values, {3, 4}));
    double expected = 0;
    std::vector<double> gradient;
    for (double v : values) {
        expected += 0.5 * v * v + std::abs(v);
        gradient.push_back(v + (v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0));
    }
    CHECK(out[0].value_at<double>(0) == doctest::Approx(expected).epsilon(1e-14));
    test::check_close(out[1], gradient, 1e-15);
}

TEST_CASE("reduction loops are vector code") {
    auto& backend = jit::CpuBackend::instance();
    if (backend.target_description().find("x86_64") == std::string::npos) {
        MESSAGE("not an x86-64 host");
        return;
    }
    const Var x = dmatrix("x");
    const std::pair<Var, const char*> cases[] = {{sum(exp(x), 1), "vector.reduce.fadd"},
                                                 {max(x, 1), "vector.reduce.fmaximum"},
                                                 {sum(x, 0), "fadd <"}};
    for (const auto& [out, expected] : cases) {
        CAPTURE(expected);
        const Function f = compile({x}, out);
        REQUIRE(f.kernels().size() == 1);
        CHECK(backend.code_texts(*f.kernels()[0], LoopVariant::plain)->ir_optimized.find(expected) != std::string::npos);
    }
}

TEST_CASE("float32 sums accumulate in float64: 2^24 ones sum exactly") {
    const Var v = fvector("v");
    const std::int64_t n = std::int64_t{1} << 24;
    const Array ones = Array::full(DType::float32, {n}, 1.0);
    const Array total = compile({v}, sum(v))(ones)[0];
    CHECK(total.dtype() == DType::float32);
    CHECK(total.value_at<double>(0) == 16777216.0);
    // Plus one more: float32 cannot hold 2^24 + 1, float64 partials can.
    const Array more = Array::full(DType::float32, {n + 2}, 1.0);
    CHECK(compile({v}, sum(v))(more)[0].value_at<double>(0) == 16777218.0);
}

TEST_CASE("integer sums are wide: int8 and uint32 inputs sum in 64 bits") {
    const Var b = tensor(DType::int8, {false}, "b"), u = tensor(DType::uint32, {false}, "u");
    const std::int64_t n = 300000;
    Array bytes = Array::full(DType::int8, {n}, 127.0);
    const Array byte_total = compile({b}, sum(b))(bytes)[0];
    CHECK(byte_total.dtype() == DType::int64);
    CHECK(byte_total.value_at<std::int64_t>(0) == 127 * n);
    Array words = Array::full(DType::uint32, {n}, 4000000000.0);
    const Array word_total = compile({u}, sum(u))(words)[0];
    CHECK(word_total.dtype() == DType::uint64);
    CHECK(word_total.value_at<std::uint64_t>(0) == std::uint64_t{4000000000} * static_cast<std::uint64_t>(n));
}

TEST_CASE("large reductions split across threads: every split against hand-written loops, NaN included") {
    const Var m = dmatrix("m");
    // Many rows or many columns (ranges of output elements), and few outputs
    // over many positions (partial results).
    for (const Shape& shape : {Shape{300, 1000}, Shape{3, 100000}, Shape{100000, 3}, Shape{1, 400000}}) {
        CAPTURE(shape_text(shape));
        const std::int64_t rows = shape[0], cols = shape[1];
        std::vector<double> values = test::uniform(static_cast<std::size_t>(rows * cols), -1, 1, 3);
        values[static_cast<std::size_t>(cols + 1) % values.size()] = NAN;
        const Array input = test::doubles(values, shape);
        for (int axis : {0, 1}) {
            CAPTURE(axis);
            const Array sums = compile({m}, sum(m, axis))(input)[0];
            const Array maxima = compile({m}, max(m, axis))(input)[0];
            const std::int64_t outer = axis == 0 ? cols : rows, inner = axis == 0 ? rows : cols;
            for (std::int64_t o = 0; o < outer; ++o) {
                std::vector<double> terms;
                for (std::int64_t i = 0; i < inner; ++i)
                    terms.push_back(values[static_cast<std::size_t>(axis == 0 ? i * cols + o : o * cols + i)]);
                double total = 0, largest = -INFINITY;
                bool nan = false;
                for (double v : terms) {
                    total += v;
                    nan = nan || std::isnan(v);
                    largest = std::max(largest, v);
                }
                if (nan) {
                    CHECK(std::isnan(sums.value_at<double>(o)));
                    CHECK(std::isnan(maxima.value_at<double>(o)));
                } else {
                    CHECK(std::abs(sums.value_at<double>(o) - total) <= sum_tolerance(terms));
                    CHECK(maxima.value_at<double>(o) == largest);
                }
            }
        }
        const Array everything = compile({m}, sum(m))(input)[0];
        CHECK(std::isnan(everything.value_at<double>(0)));
    }
}

TEST_CASE("a reduction's result does not depend on the number of threads") {
    const Var m = dmatrix("m");
    const std::int64_t rows = 5, cols = 200000;
    const Array input = test::doubles(test::uniform(rows * cols, -1, 1e3, 9), {rows, cols});
    const Function total = compile({m}, sum(m)), rows_sum = compile({m}, sum(exp(m * 1e-3), 1)),
                   columns_sum = compile({m}, sum(m, 0));
    const Array all_threads[] = {total(input)[0], rows_sum(input)[0], columns_sum(input)[0]};
    tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
    const Array single_thread[] = {total(input)[0], rows_sum(input)[0], columns_sum(input)[0]};
    for (int k = 0; k < 3; ++k) {
        CAPTURE(k);
        REQUIRE(all_threads[k].size() == single_thread[k].size());
        for (std::int64_t i = 0; i < all_threads[k].size(); ++i)
            CHECK(all_threads[k].value_at<double>(i) == single_thread[k].value_at<double>(i));
    }
}

} // namespace kiln

namespace kiln {

TEST_CASE("the debug linker accepts a sum whose order changes how its terms cancel") {
    if (jit::CpuBackend::instance().target_description().find("x86_64") == std::string::npos) {
        MESSAGE("not an x86-64 host: the sum may not be vectorized into blocks");
        return;
    }
    // Sequentially, each 1 is lost against 1e16; in blocks, the large terms
    // cancel first and the ones survive. Both are float64 sums of these terms.
    std::vector<double> values;
    for (int i = 0; i < 4096; ++i) values.insert(values.end(), {1e16, 1.0, -1e16, 1.0});
    const Var x = dvector("x");
    const Function checked = compile({x}, sum(x), {.linker = Linker::debug});
    const Function reference = compile({x}, sum(x), {.linker = Linker::interpreter});
    const double compiled = checked(values)[0].value_at<double>(0);
    const double sequential = reference(values)[0].value_at<double>(0);
    CHECK(sequential != compiled); // the case this is about
    double magnitude = 0;
    for (double v : values) magnitude += std::abs(v);
    CHECK(std::abs(compiled - sequential) <= 1e-13 * magnitude);
}

} // namespace kiln
