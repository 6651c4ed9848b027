// Loops compiled to stream their stores: every offset of the outputs within
// a cache line and every run length around the peel and the blocks give the
// hand-written loop's values, and nothing outside [0, n) changes.
#include "ir/errors.hpp"
#include "ir/kernel_analysis.hpp"
#include "jit/cpu/cpu_backend.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using namespace kiln;

namespace {

constexpr std::int64_t guard = 64; // elements before and after each run
constexpr double untouched = -12345.5;

// out0 = in0 * in1 + in2; out1 = in0 - in1 (float64).
Kernel two_output_kernel() {
    Kernel kernel;
    const int a = kernel.load(kernel.add_input(DType::float64, false));
    const int b = kernel.load(kernel.add_input(DType::float64, false));
    const int c = kernel.load(kernel.add_input(DType::float64, false));
    kernel.add_output(kernel.apply(ScalarOp::add, {kernel.apply(ScalarOp::mul, {a, b}, DType::float64), c},
                                   DType::float64));
    kernel.add_output(kernel.apply(ScalarOp::sub, {a, b}, DType::float64));
    return kernel;
}

// Runs the kernel over n elements with output j starting `shifts[j]`
// elements past a cache-line boundary; checks the values and the guards.
void check_run(LoopFunction loop, std::int64_t n, const std::int64_t shifts[2]) {
    std::vector<double> a(n), b(n), c(n);
    for (std::int64_t i = 0; i < n; ++i) {
        a[i] = 0.25 * static_cast<double>(i % 97) - 3;
        b[i] = 1.5 + static_cast<double>(i % 13);
        c[i] = static_cast<double>(i);
    }
    // 64-byte aligned storage, so a shift of s elements is s * 8 bytes into a line.
    struct alignas(64) Line { double values[8]; };
    std::vector<std::vector<Line>> storage(2, std::vector<Line>(static_cast<std::size_t>((n + 3 * guard) / 8 + 2)));
    double* outputs[2];
    for (int j = 0; j < 2; ++j) {
        double* base = storage[j][0].values;
        for (std::int64_t i = 0; i < static_cast<std::int64_t>(storage[j].size()) * 8; ++i) base[i] = untouched;
        outputs[j] = base + guard + shifts[j];
    }
    void* data[] = {a.data(), b.data(), c.data(), outputs[0], outputs[1]};
    const std::int64_t strides[] = {1, 1, 1, 1, 1};
    std::int32_t status = 0;
    call_loop(loop, n, data, strides, nullptr, &status);
    CHECK(status == 0);
    for (std::int64_t i = 0; i < n; ++i) {
        CAPTURE(i);
        REQUIRE(outputs[0][i] == a[i] * b[i] + c[i]);
        REQUIRE(outputs[1][i] == a[i] - b[i]);
    }
    for (int j = 0; j < 2; ++j)
        for (std::int64_t i = 1; i <= guard; ++i) {
            CAPTURE(j);
            CAPTURE(i);
            REQUIRE(outputs[j][-i] == untouched);
            REQUIRE(outputs[j][n - 1 + i] == untouched);
        }
}

} // namespace

TEST_CASE("streamed stores write exactly the run, from any offset in a cache line") {
    auto& backend = jit::CpuBackend::instance();
    const LoopFunction streaming = backend.compile(two_output_kernel(), LoopVariant::streaming_stores, nullptr, jit::KeepTexts::no).function;
    const LoopFunction plain = backend.compile(two_output_kernel(), LoopVariant::plain, nullptr, jit::KeepTexts::no).function;
    REQUIRE(reinterpret_cast<void*>(streaming) != reinterpret_cast<void*>(plain));
    // A block is 512 float64 elements: lengths around one and two blocks
    // after peels of 0 to 7 elements.
    for (std::int64_t n : {1, 7, 8, 511, 512, 513, 519, 520, 1024, 1031, 1536, 4099}) {
        for (std::int64_t shift = 0; shift < 8; ++shift) {
            CAPTURE(n);
            CAPTURE(shift);
            const std::int64_t same[2] = {shift, shift};
            check_run(streaming, n, same);
            check_run(plain, n, same);
            // Outputs at different offsets cannot share a peel: stored directly.
            const std::int64_t different[2] = {shift, (shift + 3) % 8};
            check_run(streaming, n, different);
        }
    }
}

TEST_CASE("a one-byte output streams in blocks of its own size") {
    // out = in0 > in1, a bool output (one byte per element) from float64 inputs.
    Kernel kernel;
    const int a = kernel.load(kernel.add_input(DType::float64, false));
    const int b = kernel.load(kernel.add_input(DType::float64, false));
    kernel.add_output(kernel.apply(ScalarOp::gt, {a, b}, DType::bool_));
    REQUIRE(can_stream_stores(kernel));
    const LoopFunction loop = jit::CpuBackend::instance().compile(kernel, LoopVariant::streaming_stores, nullptr, jit::KeepTexts::no).function;
    for (std::int64_t n : {4095, 4096, 4160, 9000}) {
        for (std::int64_t shift : {0, 1, 33, 63}) {
            CAPTURE(n);
            CAPTURE(shift);
            std::vector<double> x(n), y(n);
            for (std::int64_t i = 0; i < n; ++i) {
                x[i] = static_cast<double>(i % 7);
                y[i] = static_cast<double>(i % 5);
            }
            struct alignas(64) Line { std::uint8_t bytes[64]; };
            std::vector<Line> storage(static_cast<std::size_t>(n / 64 + 4));
            std::uint8_t* base = storage[0].bytes;
            for (std::size_t i = 0; i < storage.size() * 64; ++i) base[i] = 0xAB;
            std::uint8_t* out = base + 64 + shift;
            void* data[] = {x.data(), y.data(), out};
            const std::int64_t strides[] = {1, 1, 1};
            std::int32_t status = 0;
            call_loop(loop, n, data, strides, nullptr, &status);
            CHECK(status == 0);
            for (std::int64_t i = 0; i < n; ++i) REQUIRE(out[i] == (x[i] > y[i] ? 1 : 0));
            for (std::int64_t i = 1; i <= 64 + shift; ++i) REQUIRE(out[-i] == 0xAB);
            REQUIRE(out[n] == 0xAB);
        }
    }
}

TEST_CASE("the streaming variant holds aligned non-temporal stores and a fence; the plain loop none") {
    auto& backend = jit::CpuBackend::instance();
    const std::string ir = backend.code_texts(two_output_kernel(), LoopVariant::streaming_stores)->ir_optimized;
    CHECK(ir.find("store <8 x i64>") != std::string::npos);
    CHECK(ir.find("align 64, !nontemporal") != std::string::npos);
    CHECK(ir.find("fence seq_cst") != std::string::npos);
    CHECK(backend.code_texts(two_output_kernel(), LoopVariant::plain)->ir_optimized.find("!nontemporal") == std::string::npos);
}

TEST_CASE("only kernels that store each element once, in one element size, can stream") {
    Kernel sum; // a reduction combines into its outputs
    sum.add_reduction(sum.load(sum.add_input(DType::float64, false)), ReduceKind::sum);
    CHECK_FALSE(can_stream_stores(sum));
    Kernel mixed; // float64 and float32 outputs need different peels
    const int x = mixed.load(mixed.add_input(DType::float64, false));
    mixed.add_output(x);
    mixed.add_output(mixed.cast(x, DType::float32));
    CHECK_FALSE(can_stream_stores(mixed));
    Kernel same;
    const int y = same.load(same.add_input(DType::float32, false));
    same.add_output(same.cast(y, DType::float64));
    same.add_output(same.cast(y, DType::int64));
    CHECK(can_stream_stores(same));
    CHECK_FALSE(can_stream_stores(Kernel{}));
    CHECK_THROWS_AS(jit::CpuBackend::instance().compile(sum, LoopVariant::streaming_stores, nullptr, jit::KeepTexts::no), InternalError);
}
