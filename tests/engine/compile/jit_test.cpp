// The JIT path against the reference interpreter: every scalar op in every
// dtype it accepts, with broadcasting, non-contiguous views, size-0 and
// size-1 dimensions; fusion, the kernel cache, and vector code.
#include "jit_helpers.hpp"

#include "../../../jit/cpu/cpu_backend.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

namespace kiln {

using test::check_same;
using test::compile_with;
using test::random_array;
using test::tested_dtypes;
using test::transposed_copy;

TEST_CASE("every scalar op compiles and agrees with the interpreter") {
    std::mt19937 rng(42);
    int compiled_ops = 0;
    for (int code = 0; code < scalar_op_count(); ++code) {
        const auto op = static_cast<ScalarOp>(code);
        const int arity = scalar_op_info(op).arity;
        for (DType dtype : tested_dtypes) {
            CAPTURE(scalar_op_info(op).name);
            CAPTURE(dtype_name(dtype));
            // A matrix, a row and a column: every input broadcasts somewhere.
            const std::vector<std::vector<bool>> patterns = {{false, false}, {true, false}, {false, true}};
            std::vector<Var> inputs;
            for (int k = 0; k < arity; ++k) {
                const DType input_dtype = (op == ScalarOp::where && k == 0) ? DType::bool_ : dtype;
                inputs.push_back(tensor(input_dtype, patterns[k], "in" + std::to_string(k)));
            }
            Var out;
            try {
                out = elemwise(op, inputs);
            } catch (const TypeError&) {
                continue; // the op refuses this dtype
            }
            const Function jit = compile_with(Linker::jit, inputs, out);
            const Function reference = compile_with(Linker::interpreter, inputs, out);
            REQUIRE(jit.kernels().size() == 1);
            ++compiled_ops;
            for (const Shape& rows_cols : {Shape{3, 5}, Shape{0, 4}, Shape{1, 1}, Shape{5, 1}, Shape{4, 37}}) {
                CAPTURE(shape_text(rows_cols));
                std::vector<Arg> arguments;
                for (int k = 0; k < arity; ++k) {
                    Shape shape = rows_cols;
                    if (patterns[k][0]) shape[0] = 1;
                    if (patterns[k][1]) shape[1] = 1;
                    Array value = random_array(inputs[k].dtype(), shape, rng, op, k);
                    // The matrix also arrives as a non-contiguous view.
                    if (k == 0 && rows_cols[0] == 4) value = transposed_copy(value);
                    arguments.push_back(value);
                }
                check_same(reference.call(arguments)[0], jit.call(arguments)[0]);
            }
        }
    }
    CHECK(compiled_ops > 200);
}

TEST_CASE("scalar inputs and outputs run through one compiled loop") {
    const Var x = dscalar("x"), y = dscalar("y");
    const Function f = compile({x, y}, x * y + 1.5);
    CHECK(f.kernels().size() == 1);
    CHECK(f(2.0, 3.0)[0].value_at<double>(0) == 7.5);

    SUBCASE("every scalar op on 0-d values agrees with the interpreter") {
        std::mt19937 rng(7);
        for (int code = 0; code < scalar_op_count(); ++code) {
            const auto op = static_cast<ScalarOp>(code);
            for (DType dtype : tested_dtypes) {
                CAPTURE(scalar_op_info(op).name);
                CAPTURE(dtype_name(dtype));
                std::vector<Var> inputs;
                for (int k = 0; k < scalar_op_info(op).arity; ++k)
                    inputs.push_back(tensor(op == ScalarOp::where && k == 0 ? DType::bool_ : dtype, {}, "s" + std::to_string(k)));
                Var out;
                try {
                    out = elemwise(op, inputs);
                } catch (const TypeError&) {
                    continue;
                }
                const Function jit = compile_with(Linker::jit, inputs, out);
                const Function reference = compile_with(Linker::interpreter, inputs, out);
                for (int trial = 0; trial < 4; ++trial) {
                    std::vector<Arg> arguments;
                    for (std::size_t k = 0; k < inputs.size(); ++k)
                        arguments.push_back(random_array(inputs[k].dtype(), {}, rng, op, static_cast<int>(k)));
                    check_same(reference.call(arguments)[0], jit.call(arguments)[0]);
                }
            }
        }
    }
    SUBCASE("a reduction of a 0-d value reduces one term, in the output's dtype") {
        const Var s = fscalar("s");
        const Function total = compile({s}, sum(exp(s)));
        CHECK(total.kernels().size() == 1);
        const Array result = total(Array::scalar(1.5f))[0];
        CHECK(result.dtype() == DType::float32);
        CHECK(result.value_at<float>(0) == std::exp(1.5f));
        const Function largest = compile({x}, max(x * 2.0));
        CHECK(largest(-3.0)[0].value_at<double>(0) == -6.0);
    }
    SUBCASE("several outputs of one 0-d loop, an output that is an input, and one listed twice") {
        const Var product = x * y;
        const Function g = compile({x, y}, std::vector<Var>{product, exp(product), x, product});
        CHECK(g.kernels().size() == 1);
        const Outputs out = g(2.0, 0.5);
        CHECK(out[0].value_at<double>(0) == 1.0);
        CHECK(out[1].value_at<double>(0) == std::exp(1.0));
        CHECK(out[2].value_at<double>(0) == 2.0);
        CHECK(out[3].value_at<double>(0) == 1.0);
        CHECK_FALSE(out[3].shares_buffer_with(out[0]));
    }
    SUBCASE("an integer division by zero in a 0-d loop raises the interpreter's error") {
        const Var a = lscalar("a"), b = lscalar("b");
        const Function jit = compile_with(Linker::jit, {a, b}, a / b + 1);
        const Function reference = compile_with(Linker::interpreter, {a, b}, a / b + 1);
        test::check_same_call(reference, jit, {std::int64_t{3}, std::int64_t{0}});
        test::check_same_call(reference, jit, {std::int64_t{7}, std::int64_t{2}});
    }
}

TEST_CASE("scalar calls from several threads each get their own result") {
    const Var x = dscalar("x"), y = dscalar("y");
    const Function f = compile({x, y}, x * y + 1.0);
    std::atomic<int> wrong{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t)
        callers.emplace_back([&, t] {
            for (int call = 0; call < 2000; ++call)
                if (f(static_cast<double>(t), static_cast<double>(call))[0].value_at<double>(0) != t * call + 1.0) ++wrong;
        });
    for (auto& caller : callers) caller.join();
    CHECK(wrong == 0);
}

TEST_CASE("an elementwise chain fuses into one loop with no intermediate") {
    const Var a = dvector("a"), b = dvector("b"), c = dvector("c");
    const Var out = 1.0 / (1.0 + exp(-(a * b + c)));
    const Function f = compile({a, b, c}, out);
    CHECK(f.kernels().size() == 1);
    CHECK(f.steps_text().find("loop") != std::string::npos);
    const auto x = test::uniform(1000, -4, 4, 1), y = test::uniform(1000, -4, 4, 2), z = test::uniform(1000, -4, 4, 3);
    const Array result = f(x, y, z)[0];
    for (std::size_t i = 0; i < x.size(); ++i)
        CHECK(result.value_at<double>(i) == doctest::Approx(1.0 / (1.0 + std::exp(-(x[i] * y[i] + z[i])))).epsilon(1e-14));
}

TEST_CASE("a loop with more buffers than the driver keeps inline") {
    std::vector<Var> inputs;
    Var total = dmatrix("m0");
    inputs.push_back(total);
    for (int k = 1; k < 20; ++k) {
        inputs.push_back(dmatrix("m" + std::to_string(k)));
        total = total + inputs.back() * static_cast<double>(k);
    }
    const Function f = compile(inputs, total);
    CHECK(f.kernels().size() == 1);
    std::vector<Arg> arguments;
    std::vector<double> expected(6, 0.0);
    for (int k = 0; k < 20; ++k) {
        const auto values = test::uniform(6, -1, 1, static_cast<unsigned>(k));
        for (int i = 0; i < 6; ++i) expected[i] += values[i] * (k == 0 ? 1.0 : k);
        arguments.push_back(test::doubles(values, {2, 3}));
    }
    test::check_close(f.call(arguments)[0], expected, 1e-13);
}

TEST_CASE("integer division by zero in a loop raises the interpreter's error") {
    const Var a = lvector("a"), b = lvector("b");
    const Function f = compile({a, b}, a / b * 2 + (a % b));
    std::string jit_message, reference_message;
    try {
        f(std::vector<std::int64_t>{1, 2}, std::vector<std::int64_t>{1, 0});
    } catch (const ValueError& e) {
        jit_message = e.what();
    }
    const Function reference = compile({a, b}, a / b * 2 + (a % b), {.linker = Linker::interpreter});
    try {
        reference(std::vector<std::int64_t>{1, 2}, std::vector<std::int64_t>{1, 0});
    } catch (const ValueError& e) {
        reference_message = e.what();
    }
    CHECK(jit_message.find("integer division by zero") != std::string::npos);
    CHECK(jit_message == reference_message);
}

TEST_CASE("mismatched shapes in a fused loop raise the interpreter's error") {
    const Var a = dvector("a"), b = dvector("b");
    const Function f = compile({a, b}, exp(a) + b);
    CHECK_THROWS_WITH_AS(f(std::vector<double>{1, 2, 3}, std::vector<double>{1, 2}),
                         doctest::Contains("Input dimension mis-match"), ValueError);
}

TEST_CASE("kernel cache: the same graph compiles LLVM once; literals become parameters") {
    auto& backend = jit::CpuBackend::instance();
    const Var x = dmatrix("x"), y = dmatrix("y");
    const Var first = x * 0.37 + y * y - 2.5;
    const Function f1 = compile({x, y}, first);
    const auto before = backend.counters();
    // Only the learning-rate-like constants differ: one kernel serves both.
    const Function f3 = compile({x, y}, x * 0.11 + y * y - 7.25);
    const auto after = backend.counters();
    CHECK(after.compiled == before.compiled);
    CHECK(after.memory_hits == before.memory_hits + 1);
    REQUIRE(f1.kernels().size() == 1);
    CHECK(f1.kernels()[0]->key() == f3.kernels()[0]->key());
    const Array r = f3(test::doubles({1, 2}, {1, 2}), test::doubles({3, 4}, {1, 2}))[0];
    test::check_close(r, {0.11 + 9 - 7.25, 0.22 + 16 - 7.25});
    // A zero changes the code (x > 0 needs no load), so it stays in the kernel.
    const Function relu_like = compile({x}, maximum(x, 0.0) * 3.5);
    REQUIRE(relu_like.kernels().size() == 1);
    CHECK(relu_like.kernels()[0]->text().find("literal 0") != std::string::npos);
    CHECK(relu_like.kernels()[0]->params().size() == 1);
}

TEST_CASE("kernel IR text is canonical: names do not matter") {
    const Var a = dvector("alpha"), b = dvector("beta");
    const Var p = dvector("p"), q = dvector("q");
    const Function f = compile({a, b}, tanh(a) * b);
    const Function g = compile({p, q}, tanh(p) * q);
    CHECK(f.kernels()[0]->text() == g.kernels()[0]->text());
    CHECK(f.kernels()[0]->text().find("tanh") != std::string::npos);
}

TEST_CASE("transcendental functions run as vector code") {
    auto& backend = jit::CpuBackend::instance();
    if (backend.target_description().find("x86_64") == std::string::npos) {
        MESSAGE("not an x86-64 host: no libmvec vector variants to check");
        return;
    }
    REQUIRE(backend.target_description().find("libmvec") != std::string::npos);
    const Var x = dvector("x");
    const std::pair<const char*, Var> cases[] = {
        {"exp", exp(x)}, {"log", log(x)}, {"tanh", tanh(x)}, {"sigmoid", sigmoid(x)}, {"softplus", softplus(x)}};
    for (const auto& [name, out] : cases) {
        const std::string function = name;
        CAPTURE(function);
        const Function f = compile({x}, out, {.mode = OptimizerMode::none});
        REQUIRE(f.kernels().size() == 1);
        const std::string assembly = backend.code_texts(*f.kernels()[0], LoopVariant::plain)->machine;
        // A call to one of glibc's vector variants (_ZGVbN2v_exp, _ZGVdN4v_exp, ...).
        CHECK(assembly.find("_ZGV") != std::string::npos);
        // Packed loads and stores (movupd, vmovups, ...), on any x86-64 vector width.
        CHECK((assembly.find("upd\t") != std::string::npos || assembly.find("ups\t") != std::string::npos));
    }
    const Var xf = fvector("xf");
    const Function single = compile({xf}, exp(xf) * 2.0f);
    CHECK(backend.code_texts(*single.kernels()[0], LoopVariant::plain)->machine.find("_ZGV") != std::string::npos);
    CHECK(backend.code_texts(*single.kernels()[0], LoopVariant::plain)->ir_optimized.find("<") != std::string::npos);
}

TEST_CASE("the debug linker checks every loop against the interpreter") {
    const Var x = dmatrix("x"), y = drow("y");
    const Function f = compile({x, y}, sigmoid(x * y) + softplus(x), {.linker = Linker::debug});
    const Array r = f(test::doubles(test::uniform(6, -40, 40), {2, 3}), test::doubles({1, -2, 0.5}, {1, 3}))[0];
    CHECK(r.shape() == Shape{2, 3});
}

} // namespace kiln

namespace kiln {

TEST_CASE("large loops split across threads give the hand-written loop's result") {
    // With stores streamed (from the peel to a cache line, whole blocks
    // through scratch, the tail) as with ordinary ones.
    for (const char* streaming : {"always", "never", "auto"}) {
        CAPTURE(streaming);
        const ConfigOverride setting{{"streaming_stores", streaming}};
        // 1-D (pieces of one inner run) and a transposed 2-D view (many runs).
        const Var v = dvector("v");
        const auto values = test::uniform(200003, -5, 5, 11);
        const Array r = compile({v}, tanh(v) * 2.0 - v)(values)[0];
        std::vector<double> expected;
        for (double x : values) expected.push_back(std::tanh(x) * 2.0 - x);
        test::check_close(r, expected, 1e-14);

        const Var m = dmatrix("m"), row = drow("row");
        const std::int64_t rows = 301, cols = 499;
        const auto data = test::uniform(rows * cols, -2, 2, 12);
        const Array storage = test::doubles(data, {cols, rows});
        const Array transposed = storage.view({rows, cols}, {1, rows});
        const auto row_values = test::uniform(cols, -1, 1, 13);
        const Array out = compile({m, row}, exp(m) * row)(transposed, test::doubles(row_values, {1, cols}))[0];
        std::vector<double> hand(rows * cols);
        for (std::int64_t i = 0; i < rows; ++i)
            for (std::int64_t j = 0; j < cols; ++j) hand[i * cols + j] = std::exp(data[j * rows + i]) * row_values[j];
        test::check_close(out, hand, 1e-14);

        // A 3-D view into padded storage, small (one thread) and large (split
        // mid-row): no two of its dimensions merge, so the driver steps its runs
        // across two outer dimensions. Runs of 1100 start at two offsets within
        // a cache line of the output.
        const Var t = dtensor3("t"), u = dtensor3("u");
        const Function combined = compile({t, u}, t * 3.0 + u);
        for (const Shape& shape : {Shape{3, 4, 5}, Shape{7, 97, 113}, Shape{5, 7, 1100}}) {
            CAPTURE(shape_text(shape));
            const std::int64_t a = shape[0], b = shape[1], c = shape[2];
            const auto cube = test::uniform(a * (b + 1) * (c + 1), -1, 1, 14);
            const auto plain = test::uniform(a * b * c, -1, 1, 15);
            // Stored as (a, b + 1, c + 1); viewed as the (a, b, c) corner.
            const Array corner =
                test::doubles(cube, {a, b + 1, c + 1}).view({a, b, c}, {(b + 1) * (c + 1), c + 1, 1});
            std::vector<double> expected_cube(a * b * c);
            for (std::int64_t i = 0; i < a; ++i)
                for (std::int64_t j = 0; j < b; ++j)
                    for (std::int64_t k = 0; k < c; ++k) {
                        const std::int64_t at = (i * b + j) * c + k;
                        expected_cube[at] = cube[(i * (b + 1) + j) * (c + 1) + k] * 3.0 + plain[at];
                    }
            test::check_close(combined(corner, test::doubles(plain, shape))[0], expected_cube, 1e-14);
        }
    }
}

} // namespace kiln

namespace kiln {

TEST_CASE("outputs too large for the cache switch to streaming stores once that variant is compiled") {
    auto& backend = jit::CpuBackend::instance();
    const Var v = dvector("v"), w = dvector("w");
    const std::int64_t n = streaming_store_min_bytes() / 8 + 1001;
    const auto a = test::uniform(n, -3, 3, 21), b = test::uniform(n, -3, 3, 22);
    std::vector<double> products(n), cosines(n);
    for (std::int64_t i = 0; i < n; ++i) {
        products[i] = (a[i] + 1.5) * b[i];
        cosines[i] = std::cosh(a[i]) * b[i];
    }
    const Function f = compile({v, w}, (v + 1.5) * w);
    REQUIRE(f.kernels().size() == 1);
    const Array A = test::doubles(a, {n}), B = test::doubles(b, {n});
    const auto before = backend.counters();
    // The first calls run the plain loop while the variant compiles.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int calls = 0;
    do {
        test::check_close(f(A, B)[0], products, 1e-15);
        ++calls;
    } while (backend.counters().streaming_variants_compiled == before.streaming_variants_compiled &&
             std::chrono::steady_clock::now() < deadline);
    CHECK(backend.counters().streaming_variants_compiled == before.streaming_variants_compiled + 1);
    CHECK(backend.counters().compiled == before.compiled);
    test::check_close(f(A, B)[0], products, 1e-15);
    CHECK(calls >= 1);
    // Smaller outputs never ask for it, nor do loops that compute math
    // functions (bound by computing, not by memory).
    const Var x = dvector("x");
    const Function g = compile({x}, x * 3.5 + 1.0);
    const auto small = test::uniform(1000, -1, 1, 23);
    std::vector<double> expected;
    for (double value : small) expected.push_back(value * 3.5 + 1.0);
    const Function h = compile({v, w}, cosh(v) * w);
    const auto ahead = backend.counters();
    test::check_close(g(test::doubles(small, {1000}))[0], expected, 1e-15);
    test::check_close(h(A, B)[0], cosines, 1e-14);
    CHECK(backend.counters().streaming_variants_compiled == ahead.streaming_variants_compiled);
}

TEST_CASE("a value read by later steps becomes another output of its loop, never computed twice") {
    const Var x = dvector("x"), y = dvector("y");
    const Var shared_term = exp(x) * y;
    // Read by three later steps: the loop computing it also writes it.
    const Function f = compile({x, y}, std::vector<Var>{shared_term + 1.0, tanh(shared_term), sum(shared_term)});
    int computing_exp = 0;
    for (const Kernel* kernel : f.kernels()) computing_exp += kernel->text().find(" exp ") != std::string::npos;
    CHECK(computing_exp == 1);
    CHECK(f.kernels()[0]->outputs().size() == 2);
    const auto xv = test::uniform(9, -2, 2, 4), yv = test::uniform(9, -2, 2, 5);
    const Outputs out = f(xv, yv);
    double total = 0;
    for (std::size_t i = 0; i < xv.size(); ++i) {
        const double t = std::exp(xv[i]) * yv[i];
        total += t;
        CHECK(out[0].value_at<double>(i) == doctest::Approx(t + 1.0).epsilon(1e-15));
        CHECK(out[1].value_at<double>(i) == doctest::Approx(std::tanh(t)).epsilon(1e-15));
    }
    CHECK(out[2].value_at<double>(0) == doctest::Approx(total).epsilon(1e-14));
}

TEST_CASE("a value a library call reads before the loop ends stays in its own loop") {
    // exp(v) feeds dot(m, exp(v)), which the chain reads again: fusing
    // exp into the final loop would need its result before the loop runs.
    const Var m = dmatrix("m"), v = dvector("v");
    const Var e = exp(v);
    const Function f = compile({m, v}, e * dot(m, e) + e);
    const auto mv = test::uniform(9, -1, 1, 6), vv = test::uniform(3, -1, 1, 7);
    const Array r = f(test::doubles(mv, {3, 3}), vv)[0];
    for (int i = 0; i < 3; ++i) {
        double d = 0;
        for (int k = 0; k < 3; ++k) d += mv[i * 3 + k] * std::exp(vv[k]);
        CHECK(r.value_at<double>(i) == doctest::Approx(std::exp(vv[i]) * d + std::exp(vv[i])).epsilon(1e-14));
    }
}

} // namespace kiln

namespace kiln {

namespace {

// Steps that run an op (not a fused loop).
std::size_t op_steps(const Function& f) {
    std::size_t count = 0;
    for (const FunctionStep& step : f.steps()) count += step.kernel == nullptr;
    return count;
}

// Random float64 values of `shape`, stored transposed when `strided` (a
// non-contiguous view with the same values).
Array source(Shape shape, unsigned seed, bool strided) {
    std::int64_t size = 1;
    for (std::int64_t extent : shape) size *= extent;
    const Array plain = test::doubles(test::uniform(static_cast<std::size_t>(size), -2, 2, seed), shape);
    return strided && shape.size() == 2 ? test::transposed_copy(plain) : plain;
}

} // namespace

TEST_CASE("views fold into the loops that read them: no view steps, the interpreter's values") {
    const Var x = dmatrix("x"), y = dvector("y"), c = dcol("c"), w = dmatrix("w");
    struct Case {
        std::string what;
        std::vector<Var> inputs;
        Var out;
        std::size_t op_steps;
    };
    const Case cases[] = {
        {"transpose and a new axis", {x, y}, exp(transpose(x)) * y, 0},
        {"a dropped broadcastable axis", {c, y}, dimshuffle(c, {0}) * y + 1.0, 0},
        {"a transposed row broadcast down columns", {x, c}, transpose(x) - transpose(c), 0},
        {"a reduction of a transposed product", {x, w}, sum(transpose(x) * w, 1), 0},
        {"a row softmax of a transpose", {x}, softmax(transpose(x)), 0},
    };
    for (const Case& test_case : cases) {
        CAPTURE(test_case.what);
        const Function jit = test::compile_with(Linker::jit, test_case.inputs, test_case.out);
        const Function reference = test::compile_with(Linker::interpreter, test_case.inputs, test_case.out);
        CHECK(op_steps(jit) == test_case.op_steps);
        for (const Shape& shape : {Shape{3, 5}, Shape{1, 4}, Shape{4, 1}, Shape{0, 3}, Shape{64, 37}}) {
            for (bool strided : {false, true}) {
                CAPTURE(shape_text(shape));
                CAPTURE(strided);
                // x is (rows, cols), w fits x's transpose, y and c have x's row count.
                const std::int64_t rows = shape[0], cols = shape[1];
                std::vector<Arg> args;
                for (const Var& input : test_case.inputs) {
                    if (input.name() == "x") args.push_back(source({rows, cols}, 31, strided));
                    else if (input.name() == "w") args.push_back(source({cols, rows}, 32, strided));
                    else if (input.name() == "y") args.push_back(source({rows}, 33, false));
                    else args.push_back(source({rows, 1}, 34, strided));
                }
                test::check_same(reference.call(args)[0], jit.call(args)[0]);
            }
        }
    }
}

TEST_CASE("a view read outside its loop stays a step of its own") {
    const Var x = dmatrix("x");
    const Var view = transpose(x);
    const Function f = compile({x}, {view, exp(view)});
    CHECK(op_steps(f) == 1);
    const Array value = source({3, 4}, 35, true);
    const auto out = f(value);
    const Function reference =
        compile({x}, std::vector<Var>{view, exp(view)}, {.linker = Linker::interpreter});
    const auto expected = reference(value);
    test::check_same(expected[0], out[0]);
    test::check_same(expected[1], out[1]);
}

} // namespace kiln
