// Row kernels (softmax and log-softmax compiled into passes over each row)
// against the reference interpreter and hand-written loops.
#include "jit_helpers.hpp"

#include "../../../jit/cpu/cpu_backend.hpp"

#include <cmath>
#include <regex>

namespace kiln {

TEST_CASE("softmax and log_softmax compile to one row kernel that agrees with the interpreter") {
    std::mt19937 rng(21);
    for (bool log : {false, true}) {
        for (DType dtype : {DType::float64, DType::float32}) {
            CAPTURE(log);
            CAPTURE(dtype_name(dtype));
            const Var m = tensor(dtype, {false, false}, "m"), v = tensor(dtype, {false}, "v");
            for (const Var& input : {m, v}) {
                const Var out = log ? log_softmax(input) : softmax(input);
                const Function jit = test::compile_with(Linker::jit, {input}, out);
                const Function reference = test::compile_with(Linker::interpreter, {input}, out);
                REQUIRE(jit.kernels().size() == 1);
                CHECK(jit.kernels()[0]->row_kernel());
                const std::vector<Shape> shapes = input.ndim() == 2
                                                      ? std::vector<Shape>{{3, 5}, {1, 1}, {4, 0}, {0, 4}, {5, 1}, {4, 37}}
                                                      : std::vector<Shape>{{7}, {1}, {0}, {300}};
                for (const Shape& shape : shapes) {
                    CAPTURE(shape_text(shape));
                    for (int trial = 0; trial < 4; ++trial) {
                        // NaN, infinities and signed zeros turn up in some rows.
                        Array value = test::random_array(dtype, shape, rng, ScalarOp::add, 0);
                        if (shape.size() == 2 && shape[0] == 4) value = test::transposed_copy(value);
                        test::check_same(reference(value)[0], jit(value)[0], 1e-13);
                    }
                }
            }
        }
    }
}

TEST_CASE("the elementwise chain feeding softmax runs in its row kernel") {
    const Var x = dmatrix("x"), b = drow("b");
    const Function f = compile({x, b}, softmax(x * 2.0 + b));
    REQUIRE(f.kernels().size() == 1);
    CHECK(f.steps_text().find(" op ") == std::string::npos);
    const std::int64_t rows = 6, cols = 11;
    const auto xv = test::uniform(rows * cols, -3, 3, 31), bv = test::uniform(cols, -1, 1, 32);
    const Array r = f(test::doubles(xv, {rows, cols}), test::doubles(bv, {1, cols}))[0];
    for (std::int64_t i = 0; i < rows; ++i) {
        double top = -INFINITY, total = 0;
        for (std::int64_t j = 0; j < cols; ++j) top = std::max(top, xv[i * cols + j] * 2 + bv[j]);
        for (std::int64_t j = 0; j < cols; ++j) total += std::exp(xv[i * cols + j] * 2 + bv[j] - top);
        for (std::int64_t j = 0; j < cols; ++j)
            CHECK(r.value_at<double>(i * cols + j) ==
                  doctest::Approx(std::exp(xv[i * cols + j] * 2 + bv[j] - top) / total).epsilon(1e-14));
    }
}

TEST_CASE("large softmaxes split across threads by whole rows") {
    const Var x = dmatrix("x");
    const Function soft = compile({x}, softmax(x)), log_soft = compile({x}, log_softmax(x));
    for (const Shape& shape : {Shape{3000, 50}, Shape{2, 70000}}) {
        CAPTURE(shape_text(shape));
        const std::int64_t rows = shape[0], cols = shape[1];
        const auto values = test::uniform(static_cast<std::size_t>(rows * cols), -20, 20, 33);
        const Array input = test::doubles(values, shape);
        const Array p = soft(input)[0], lp = log_soft(input)[0];
        for (std::int64_t i = 0; i < rows; i += rows / 7 + 1) {
            double top = -INFINITY, total = 0;
            for (std::int64_t j = 0; j < cols; ++j) top = std::max(top, values[i * cols + j]);
            for (std::int64_t j = 0; j < cols; ++j) total += std::exp(values[i * cols + j] - top);
            for (std::int64_t j = 0; j < cols; j += cols / 13 + 1) {
                const double shifted = values[i * cols + j] - top;
                CHECK(p.value_at<double>(i * cols + j) == doctest::Approx(std::exp(shifted) / total).epsilon(1e-12));
                CHECK(lp.value_at<double>(i * cols + j) == doctest::Approx(shifted - std::log(total)).epsilon(1e-12));
            }
        }
    }
}

TEST_CASE("a softmax row kernel is vector code from one vector's worth of elements and computes each exponential once") {
    auto& backend = jit::CpuBackend::instance();
    if (backend.target_description().find("libmvec") == std::string::npos) {
        MESSAGE("no vector math library on this host");
        return;
    }
    const Var x = dmatrix("x");
    const Function f = compile({x}, softmax(x));
    REQUIRE(f.kernels().size() == 1);
    // The last pass reads the exponentials back instead of calling exp
    // again: one exp per variant (unit-stride and strided) before optimizing.
    const std::string ir = backend.code_texts(*f.kernels()[0], LoopVariant::plain)->ir;
    std::size_t calls = 0;
    for (std::size_t at = ir.find("call double @llvm.exp.f64"); at != std::string::npos;
         at = ir.find("call double @llvm.exp.f64", at + 1))
        ++calls;
    CHECK(calls == 2);

    // Rows of ten classes must not be left to scalar exp calls: the loop
    // calling vector exp runs from one vector's worth of elements.
    const std::string optimized = backend.code_texts(*f.kernels()[0], LoopVariant::plain)->ir_optimized;
    const std::smatch call = [&] {
        std::smatch match;
        std::regex_search(optimized, match, std::regex("call <([0-9]+) x double> @_ZGV[a-z]N[0-9]+v_exp"));
        return match;
    }();
    REQUIRE(!call.empty());
    const std::string width = call[1].str();
    CAPTURE(width);
    // The loop holding that call is entered once the row has `width`
    // elements: the last minimum-iterations check before the call.
    const std::string before = optimized.substr(0, static_cast<std::size_t>(call.position(0)));
    const std::regex check("min\\.iters\\.check[0-9]* = icmp ult i64 %[0-9]+, ([0-9]+)");
    std::string entered_from;
    for (auto it = std::sregex_iterator(before.begin(), before.end(), check); it != std::sregex_iterator(); ++it)
        entered_from = (*it)[1].str();
    CHECK(entered_from == width);
}

} // namespace kiln

namespace kiln {

TEST_CASE("the crossentropy of softmax with integer labels is a row kernel that agrees with the interpreter") {
    std::mt19937 rng(41);
    for (DType dtype : {DType::float64, DType::float32}) {
        for (DType label_dtype : {DType::int64, DType::int32, DType::uint8}) {
            CAPTURE(dtype_name(dtype));
            CAPTURE(dtype_name(label_dtype));
            const Var x = tensor(dtype, {false, false}, "x"), y = tensor(label_dtype, {false}, "y");
            const Var out = crossentropy_softmax(x, y);
            const Function jit = test::compile_with(Linker::jit, {x, y}, out);
            const Function reference = test::compile_with(Linker::interpreter, {x, y}, out);
            REQUIRE(jit.kernels().size() == 1);
            CHECK(jit.kernels()[0]->row_kernel());
            // Shapes with as many labels as rows, fewer, more, and none.
            const std::pair<Shape, std::int64_t> cases[] = {{{3, 5}, 3}, {{4, 37}, 4}, {{6, 2}, 6}, {{5, 4}, 3},
                                                            {{2, 3}, 4},  {{0, 4}, 0},  {{3, 1}, 3}};
            for (const auto& [shape, count] : cases) {
                CAPTURE(shape_text(shape));
                CAPTURE(count);
                for (int trial = 0; trial < 4; ++trial) {
                    Array value = test::random_array(dtype, shape, rng, ScalarOp::add, 0);
                    if (shape[0] == 4) value = test::transposed_copy(value);
                    Array labels = Array::zeros(label_dtype, {count});
                    for (std::int64_t i = 0; i < count; ++i) {
                        // In range, negative (from the end) where the dtype allows, and now and then outside.
                        std::int64_t label = static_cast<std::int64_t>(rng() % static_cast<unsigned>(shape[1]));
                        if (is_signed_int(label_dtype) && rng() % 3 == 0) label -= shape[1];
                        if (trial == 2 && i == count - 1) label = shape[1]; // one past the row
                        if (trial == 3 && i == count - 1) label = is_signed_int(label_dtype) ? -shape[1] - 1 : shape[1] + 2;
                        visit_dtype(label_dtype, [&](auto tag) {
                            labels.mutable_data_as<decltype(tag)>()[i] = static_cast<decltype(tag)>(label);
                        });
                    }
                    test::check_same_call(reference, jit, {value, labels}, 1e-13);
                }
            }
        }
    }
}

} // namespace kiln

namespace kiln {

TEST_CASE("the crossentropy gradient is a row kernel that agrees with the interpreter") {
    std::mt19937 rng(43);
    for (DType dtype : {DType::float64, DType::float32}) {
        CAPTURE(dtype_name(dtype));
        const Var x = tensor(dtype, {false, false}, "x"), y = lvector("y"), w = tensor(dtype, {false}, "w");
        const Var dx = grad(sum(crossentropy_softmax(x, y) * w), x);
        const Function jit = test::compile_with(Linker::jit, {x, y, w}, dx);
        const Function reference = test::compile_with(Linker::interpreter, {x, y, w}, dx);
        const auto kernels = jit.kernels();
        CHECK(std::any_of(kernels.begin(), kernels.end(), [](const Kernel* k) {
            return k->row_kernel() && k->text().find("position") != std::string::npos;
        }));
        for (const Shape& shape : {Shape{3, 5}, Shape{4, 37}, Shape{1, 1}, Shape{0, 3}, Shape{200, 400}}) {
            CAPTURE(shape_text(shape));
            for (int trial = 0; trial < 3; ++trial) {
                Array value = test::random_array(dtype, shape, rng, ScalarOp::add, 0);
                if (shape[0] == 4) value = test::transposed_copy(value);
                std::vector<std::int64_t> labels(static_cast<std::size_t>(shape[0]));
                for (auto& label : labels)
                    label = static_cast<std::int64_t>(rng() % static_cast<unsigned>(shape[1])) - (rng() % 2 ? shape[1] : 0);
                if (trial == 2 && !labels.empty()) labels.back() = shape[1]; // outside the row
                const Array weights = Array::from_values(test::uniform(labels.size(), -2, 2, 44)).astype(dtype);
                test::check_same_call(reference, jit, {value, labels, weights}, 1e-12);
            }
        }
    }
}

} // namespace kiln

namespace kiln {

TEST_CASE("argmax and argmin along any axis are row kernels that agree with the interpreter") {
    std::mt19937 rng(47);
    for (bool is_max : {true, false}) {
        for (DType dtype : test::tested_dtypes) {
            CAPTURE(is_max);
            CAPTURE(dtype_name(dtype));
            const Var m = tensor(dtype, {false, false}, "m"), v = tensor(dtype, {false}, "v");
            const Var t = tensor(dtype, {false, false, false}, "t");
            const auto reduce = is_max ? argmax : argmin;
            // Other axes than the last are moved last through a view.
            const std::pair<Var, Var> cases[] = {{m, reduce(m, 1, false)}, {m, reduce(m, -1, true)},
                                                 {v, reduce(v, std::nullopt, false)}, {m, reduce(m, 0, false)},
                                                 {m, reduce(m, std::nullopt, false)}, {t, reduce(t, 0, false)},
                                                 {t, reduce(t, 1, true)}, {t, reduce(t, std::nullopt, false)}};
            for (const auto& [input, out] : cases) {
                const Function jit = test::compile_with(Linker::jit, {input}, out);
                const Function reference = test::compile_with(Linker::interpreter, {input}, out);
                const auto kernels = jit.kernels();
                REQUIRE(!kernels.empty());
                CHECK(kernels[0]->row_kernel());
                const std::vector<Shape> shapes =
                    input.ndim() == 1   ? std::vector<Shape>{{9}, {1}, {0}, {1000}}
                    : input.ndim() == 2 ? std::vector<Shape>{{3, 5}, {4, 37}, {1, 1}, {0, 3}, {3, 0}, {5, 1}}
                                        : std::vector<Shape>{{2, 3, 4}, {4, 1, 5}, {1, 1, 1}, {0, 2, 3}, {2, 0, 3}};
                for (const Shape& shape : shapes) {
                    CAPTURE(shape_text(shape));
                    for (int trial = 0; trial < 3; ++trial) {
                        // Small integers tie often; floats bring NaN and signed zeros.
                        Array value = test::random_array(dtype, shape, rng, ScalarOp::add, 0);
                        if (shape.size() == 2 && shape[0] == 4) value = test::transposed_copy(value);
                        test::check_same_call(reference, jit, {value});
                    }
                }
            }
        }
    }
}

} // namespace kiln
