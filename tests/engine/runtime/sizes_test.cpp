// Sizes from user values: overflow is a ValueError naming the op and the
// shape, an allocation the machine cannot satisfy a MemoryError naming the
// shape and the bytes; neither reaches the host as std::bad_alloc, nor
// changes a shared variable.
#include "../test_helpers.hpp"

#include "engine/io/npy.hpp"

#include <limits>
#include <thread>

using namespace kiln;

namespace {

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

// 2^48 bytes of float64: more than a 47-bit user address space holds, so
// the allocation fails whatever the machine's overcommit setting.
constexpr std::int64_t beyond_address_space_rows = std::int64_t{1} << 23;
constexpr std::int64_t beyond_address_space_cols = std::int64_t{1} << 22;

} // namespace

TEST_CASE("zeros((n, n)) whose element count overflows int64 is a ValueError naming the op and the shape") {
    const Var n = lscalar("n");
    const Function f = compile({n}, zeros({n, n}, DType::float64));
    for (const std::int64_t size : {std::int64_t{4000000000}, std::int64_t{1} << 33}) {
        CAPTURE(size);
        const std::string shape = "(" + std::to_string(size) + ", " + std::to_string(size) + ")";
        CHECK_THROWS_WITH_AS(f(size), doctest::Contains(shape.c_str()), ValueError);
        CHECK_THROWS_WITH_AS(f(size), doctest::Contains("more bytes than int64 counts"), ValueError);
        CHECK_THROWS_WITH_AS(f(size), doctest::Contains("Alloc"), ValueError);
    }
    // Still usable afterwards.
    CHECK(f(3)[0].shape() == Shape{3, 3});
}

TEST_CASE("an allocation the machine cannot satisfy is a MemoryError naming the shape and the bytes") {
    const Var rows = lscalar("rows"), cols = lscalar("cols");
    const Function f = compile({rows, cols}, zeros({rows, cols}, DType::float64) + 1.0);
    const std::string shape =
        "(" + std::to_string(beyond_address_space_rows) + ", " + std::to_string(beyond_address_space_cols) + ")";
    CHECK_THROWS_WITH_AS(f(beyond_address_space_rows, beyond_address_space_cols), doctest::Contains(shape.c_str()), MemoryError);
    CHECK_THROWS_WITH_AS(f(beyond_address_space_rows, beyond_address_space_cols),
                         doctest::Contains("cannot allocate 281474976710656 bytes (256.0 TiB)"), MemoryError);
    CHECK(f(2, 3)[0].shape() == Shape{2, 3});

    SUBCASE("from another thread too") {
        std::string caught;
        std::thread([&] {
            try {
                f(beyond_address_space_rows, beyond_address_space_cols);
            } catch (const MemoryError& error) {
                caught = error.what();
            }
        }).join();
        CHECK(caught.find("cannot allocate") != std::string::npos);
    }
    SUBCASE("directly") {
        CHECK_THROWS_AS(Array::zeros(DType::float64, {beyond_address_space_rows, beyond_address_space_cols}), MemoryError);
    }
}

TEST_CASE("a fused loop whose output cannot be allocated names its nodes and input shapes") {
    // The outer product of 2^23 and 2^22 elements: inputs of 96 MiB, an output of 256 TiB.
    const Var a = dvector("a"), b = dvector("b");
    const Function outer = compile({a, b}, dimshuffle(a, {0, DimShuffle::new_axis}) * dimshuffle(b, {DimShuffle::new_axis, 0}));
    REQUIRE(outer.kernels().size() == 1);
    const std::vector<double> column(static_cast<std::size_t>(beyond_address_space_rows), 1.0);
    const std::vector<double> row(static_cast<std::size_t>(beyond_address_space_cols), 2.0);
    CHECK_THROWS_WITH_AS(outer(column, row), doctest::Contains("Fused loop that caused the error"), MemoryError);
    CHECK_THROWS_WITH_AS(outer(column, row), doctest::Contains("Inputs shapes: [(8388608,), (4194304,)]"), MemoryError);
    CHECK(outer(std::vector<double>{1, 2}, std::vector<double>{3})[0].to_vector<double>() == std::vector<double>{3, 6});
}

TEST_CASE("a call that runs out of memory leaves every shared variable as it was") {
    const SharedVar counter = shared(std::int64_t{5}, "counter");
    const Var rows = lscalar("rows");
    const Function f = compile({rows}, sum(zeros({rows, beyond_address_space_cols}, DType::float64)),
                               {.updates = {{counter, counter + 1}}});
    CHECK_THROWS_AS(f(beyond_address_space_rows), MemoryError);
    CHECK(counter.get_value().value_at<std::int64_t>(0) == 5);
    CHECK(f(2)[0].value_at<double>(0) == 0);
    CHECK(counter.get_value().value_at<std::int64_t>(0) == 6);
}

TEST_CASE("reshape to a shape whose element count overflows is a ValueError, even for an empty array") {
    // 2^32 * 2^32 wraps to 0, the size of an empty array.
    const Var x = dvector("x"), a = lscalar("a"), b = lscalar("b");
    const Function f = compile({x, a, b}, reshape(x, {a, b}));
    const std::int64_t big = std::int64_t{1} << 32;
    CHECK_THROWS_WITH_AS(f(std::vector<double>{}, big, big), doctest::Contains("reshape(): the number of elements"),
                         ValueError);
    CHECK_THROWS_WITH_AS(f(std::vector<double>{}, big, big), doctest::Contains("overflows int64"), ValueError);
    CHECK(f(std::vector<double>{1, 2, 3, 4, 5, 6}, 2, 3)[0].shape() == Shape{2, 3});
}

TEST_CASE("joining empty arrays whose joined axis overflows is a ValueError naming the op") {
    const Array empty = Array::zeros(DType::float64, {0, std::int64_t{1} << 62});
    const Var x = dmatrix("x");
    const Function f = compile({x}, concatenate({x, x, x}, 1));
    CHECK_THROWS_WITH_AS(f(empty), doctest::Contains("join(): the size of the joined axis"), ValueError);
    CHECK_THROWS_WITH_AS(f(empty), doctest::Contains("Apply node that caused the error"), ValueError);
    const Array small = Array::zeros(DType::float64, {0, 2});
    CHECK(f(small)[0].shape() == Shape{0, 6});
}

TEST_CASE("arange with far bounds: too many elements is a ValueError, too many bytes a MemoryError") {
    const Var start = lscalar("start"), stop = lscalar("stop"), step = lscalar("step");
    const Function f = compile({start, stop, step}, arange(start, stop, step));
    // (stop - start) overflows int64 here: the length is computed in 128 bits.
    CHECK_THROWS_WITH_AS(f(-int64_max, int64_max, 1), doctest::Contains("more elements than int64 counts"), ValueError);
    CHECK_THROWS_WITH_AS(f(0, std::int64_t{1} << 62, 1), doctest::Contains("more bytes than int64 counts"), ValueError);
    CHECK_THROWS_AS(f(0, std::int64_t{1} << 45, 1), MemoryError);
    // A negative step far from zero, and the closed forms NumPy gives.
    CHECK(f(int64_max, int64_max - 7, -3)[0].to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{int64_max, int64_max - 3, int64_max - 6});
    CHECK(f(5, 0, -2)[0].to_vector<std::int64_t>() == std::vector<std::int64_t>{5, 3, 1});
    CHECK(f(0, 10, 3)[0].to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 3, 6, 9});
    CHECK(f(3, 3, 1)[0].size() == 0);
    CHECK(f(3, 0, 1)[0].size() == 0);
}

TEST_CASE("a .npy header claiming more data than its file holds is refused before anything is allocated") {
    test::TempDir dir;
    const auto write_npy = [&](const std::string& name, const std::string& shape) {
        std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
        header.resize(118, ' ');
        header += '\n';
        std::string file = std::string("\x93NUMPY\x01\x00", 8);
        file += static_cast<char>(header.size() & 0xff);
        file += static_cast<char>(header.size() >> 8);
        test::write_bytes(dir.path / name, file + header + std::string(16, '\0'));
        return dir.file(name);
    };
    // 2^48 bytes claimed, 16 held: a MemoryError would mean it tried.
    CHECK_THROWS_WITH_AS(load_npy(write_npy("huge.npy", "(8388608, 4194304)")),
                         doctest::Contains("expected 281474976710656 bytes"), ValueError);
    CHECK_THROWS_WITH_AS(load_npy(write_npy("overflow.npy", "(4294967296, 4294967296)")),
                         doctest::Contains("more bytes than int64 counts"), ValueError);
    CHECK(load_npy(write_npy("fits.npy", "(2,)")).shape() == Shape{2});
}

TEST_CASE("repeat whose repeated axis overflows int64 is a ValueError naming the op and the size") {
    // 2^62 rows of nothing, each repeated 4 times: 2^64 rows.
    const Array empty = Array::zeros(DType::float64, {std::int64_t{1} << 62, 0});
    const Var x = dmatrix("x");
    const Function f = compile({x}, repeat(x, 4, 0));
    CHECK_THROWS_WITH_AS(f(empty), doctest::Contains("repeat(): the size of the repeated axis: 4611686018427387904 * 4"),
                         ValueError);
    CHECK_THROWS_WITH_AS(f(empty), doctest::Contains("Repeat{repeats=4, axis=0}"), ValueError);
    CHECK(f(Array::zeros(DType::float64, {3, 0}))[0].shape() == Shape{12, 0});
    CHECK(f(test::doubles({1, 2, 3, 4}, {2, 2}))[0].to_vector<double>() ==
          std::vector<double>{1, 2, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 3, 4});
}
