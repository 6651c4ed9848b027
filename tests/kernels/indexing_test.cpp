// The copy, gather and scatter kernels against plain nested loops over the
// same layouts, on shapes that merge, that do not, and that are large enough
// to be spread over cores.
#include "../../kernels/indexing.hpp"
#include "../../kernels/parallel.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <numeric>
#include <random>
#include <vector>

using namespace kiln::kernels;

namespace {

using Dims = std::vector<std::int64_t>;

std::int64_t product(const Dims& shape) { return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>()); }

// Element offsets of every position of `shape` in C order, under `strides`.
std::vector<std::int64_t> offsets_of(const Dims& shape, const Dims& strides) {
    std::vector<std::int64_t> result;
    const std::int64_t total = product(shape);
    for (std::int64_t flat = 0; flat < total; ++flat) {
        std::int64_t rest = flat, offset = 0;
        for (std::size_t d = shape.size(); d-- > 0;) {
            offset += (rest % shape[d]) * strides[d];
            rest /= shape[d];
        }
        result.push_back(offset);
    }
    return result;
}

Dims c_order(const Dims& shape) {
    Dims strides(shape.size(), 1);
    for (std::size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
    return strides;
}

std::vector<double> counting(std::size_t n) {
    std::vector<double> v(n);
    std::iota(v.begin(), v.end(), 1.0);
    return v;
}

const std::byte* bytes(const double* p) { return reinterpret_cast<const std::byte*>(p); }
std::byte* bytes(double* p) { return reinterpret_cast<std::byte*>(p); }

struct Layout {
    Dims shape, dst_strides, src_strides;
    std::int64_t src_start = 0; // element offset of the source's first element
};

} // namespace

TEST_CASE("copy_strided: every layout matches the element-by-element loop") {
    // Source storage of 400 x 400: big enough for transposes, steps and reversals.
    const std::vector<double> storage = counting(400 * 400);
    const Layout layouts[] = {
        {{300, 300}, c_order({300, 300}), {400, 1}},                // rows of a wider matrix (parallel)
        {{300, 300}, c_order({300, 300}), {1, 400}},                // transposed
        {{7, 1, 5}, c_order({7, 1, 5}), {400, 99, 2}},              // size-1 dim, stepped columns
        {{4, 6}, c_order({4, 6}), {0, 1}},                          // broadcast rows
        {{5, 3}, {1, 5}, {400, 1}},                                 // written transposed
        {{20, 20}, c_order({20, 20}), {-400, -1}, 400 * 399 + 399}, // reversed both ways
        {{3, 0, 4}, c_order({3, 0, 4}), {400, 1, 7}},               // empty
        {{}, {}, {}, 12},                                           // one element
        {{2, 3, 4, 5}, c_order({2, 3, 4, 5}), {60, 20, 5, 1}},      // contiguous: one run
        {{70000}, {1}, {2}},                                        // long strided run (parallel)
    };
    for (const Layout& layout : layouts) {
        CAPTURE(layout.shape.size());
        CAPTURE(product(layout.shape));
        const std::int64_t total = product(layout.shape);
        const auto dst_offsets = offsets_of(layout.shape, layout.dst_strides);
        const auto src_offsets = offsets_of(layout.shape, layout.src_strides);
        std::int64_t extent = 1;
        for (std::int64_t o : dst_offsets) extent = std::max(extent, o + 1);
        std::vector<double> got(static_cast<std::size_t>(extent), -1.0), expected = got;
        for (std::int64_t i = 0; i < total; ++i)
            expected[dst_offsets[i]] = storage[layout.src_start + src_offsets[i]];
        copy_strided(sizeof(double), layout.shape, bytes(got.data()), layout.dst_strides,
                     bytes(storage.data() + layout.src_start), layout.src_strides);
        CHECK(got == expected);
    }
}

TEST_CASE("copy_strided moves 1-, 2- and 4-byte elements whole") {
    const std::vector<std::int16_t> source{1, -2, 3, -4, 5, -6};
    std::vector<std::int16_t> out(3);
    copy_strided(2, Dims{3}, reinterpret_cast<std::byte*>(out.data()), Dims{1},
                 reinterpret_cast<const std::byte*>(source.data()), Dims{2});
    CHECK(out == std::vector<std::int16_t>{1, 3, 5});
    const std::vector<float> f{0.5f, 1.5f, 2.5f, 3.5f};
    std::vector<float> g(4);
    copy_strided(4, Dims{2, 2}, reinterpret_cast<std::byte*>(g.data()), Dims{2, 1},
                 reinterpret_cast<const std::byte*>(f.data()), Dims{1, 2});
    CHECK(g == std::vector<float>{0.5f, 2.5f, 1.5f, 3.5f});
    const std::vector<std::uint8_t> b{9, 8, 7};
    std::vector<std::uint8_t> c(6);
    copy_strided(1, Dims{2, 3}, reinterpret_cast<std::byte*>(c.data()), Dims{3, 1},
                 reinterpret_cast<const std::byte*>(b.data()), Dims{0, 1});
    CHECK(c == std::vector<std::uint8_t>{9, 8, 7, 9, 8, 7});
}

TEST_CASE("gather copies the block at each offset, in position order") {
    const std::vector<double> table = counting(50 * 40);
    std::mt19937 rng(3);
    struct Case {
        Dims block, strides;
        std::int64_t positions;
    };
    const Case cases[] = {
        {{40}, {1}, 5000},        // rows (parallel: 200000 elements)
        {{}, {}, 100000},         // single elements (parallel)
        {{8, 5}, {40, 1}, 300},   // 2-d sub-blocks
        {{5, 8}, {1, 40}, 300},   // transposed sub-blocks
        {{20}, {2}, 70},          // every other element
        {{0}, {1}, 10},           // empty blocks
    };
    for (const Case& c : cases) {
        CAPTURE(c.positions);
        const std::int64_t block = product(c.block);
        std::vector<std::int64_t> offsets(static_cast<std::size_t>(c.positions));
        for (auto& o : offsets) o = static_cast<std::int64_t>(rng() % 10) * 40 + static_cast<std::int64_t>(rng() % 2);
        const auto inside = offsets_of(c.block, c.strides);
        std::vector<double> expected;
        for (std::int64_t o : offsets)
            for (std::int64_t i : inside) expected.push_back(table[o + i]);
        std::vector<double> got(static_cast<std::size_t>(c.positions * block));
        gather(sizeof(double), bytes(table.data()), offsets, c.block, c.strides, bytes(got.data()));
        CHECK(got == expected);
    }
}

TEST_CASE("gather_along wraps negative ids and reports the first id out of range") {
    const std::vector<double> table = counting(10 * 3);
    const std::vector<std::int32_t> ids{0, -1, 9, -10, 4};
    std::vector<double> out(ids.size() * 3);
    CHECK(gather_along(sizeof(double), bytes(table.data()), 10, 3, ids.data(), 1, 5, Dims{3}, Dims{1},
                       bytes(out.data())) == -1);
    CHECK(out == std::vector<double>{1, 2, 3, 28, 29, 30, 28, 29, 30, 1, 2, 3, 13, 14, 15});

    // Every other id, read with a stride.
    std::vector<double> picked(3 * 3);
    CHECK(gather_along(sizeof(double), bytes(table.data()), 10, 3, ids.data(), 2, 3, Dims{3}, Dims{1},
                       bytes(picked.data())) == -1);
    CHECK(picked == std::vector<double>{1, 2, 3, 28, 29, 30, 13, 14, 15});

    // Many positions across cores, bad ids at two places: the earlier one is reported.
    const std::int64_t n = 4 * parallel_threshold;
    std::vector<std::int64_t> many(static_cast<std::size_t>(n), 1);
    many[static_cast<std::size_t>(n - 5)] = 10;
    many[static_cast<std::size_t>(n / 2 + 1)] = -11;
    std::vector<double> big(static_cast<std::size_t>(n));
    CHECK(gather_along(sizeof(double), bytes(table.data()), 10, 3, many.data(), 1, n, Dims{}, Dims{},
                       bytes(big.data())) == n / 2 + 1);

    const std::vector<std::uint64_t> huge{2, std::uint64_t{1} << 63};
    std::vector<double> two(2);
    CHECK(gather_along(sizeof(double), bytes(table.data()), 10, 3, huge.data(), 1, 2, Dims{}, Dims{},
                       bytes(two.data())) == 1);
    const std::vector<std::uint8_t> small{9, 3};
    CHECK(gather_along(sizeof(double), bytes(table.data()), 10, 3, small.data(), 1, 2, Dims{}, Dims{},
                       bytes(two.data())) == -1);
    CHECK(two == std::vector<double>{28, 10});
}

TEST_CASE("scatter adds repeated targets in order, and set keeps the last") {
    std::vector<double> table(4 * 3, 0.0);
    const std::vector<double> rows = counting(4 * 3);
    const std::vector<std::int64_t> to{3, 0, 3, 6}, from{0, 3, 6, 9};
    scatter<double>(false, table.data(), to, Dims{1}, rows.data(), from, Dims{1}, Dims{3});
    CHECK(table == std::vector<double>{4, 5, 6, 1 + 7, 2 + 8, 3 + 9, 10, 11, 12, 0, 0, 0});
    scatter<double>(true, table.data(), to, Dims{1}, rows.data(), from, Dims{1}, Dims{3});
    CHECK(table == std::vector<double>{4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0});

    // Broadcast values (stride 0) into a 2-d strided block.
    std::vector<double> grid(5 * 5, 0.0);
    const std::vector<double> one{2.5};
    scatter<double>(false, grid.data(), std::vector<std::int64_t>{0, 6, 0}, Dims{10, 2}, one.data(),
                    std::vector<std::int64_t>{0, 0, 0}, Dims{0, 0}, Dims{2, 2});
    std::vector<double> expected(25, 0.0);
    for (std::int64_t start : {0, 6, 0})
        for (std::int64_t i : offsets_of({2, 2}, {10, 2})) expected[start + i] += 2.5;
    CHECK(grid == expected);

    // Single elements, integers that wrap, bool as logical or.
    std::vector<std::int8_t> small{120, 0};
    const std::vector<std::int8_t> add{10, 10};
    scatter<std::int8_t>(false, small.data(), std::vector<std::int64_t>{0, 0}, Dims{}, add.data(),
                         std::vector<std::int64_t>{0, 1}, Dims{}, Dims{});
    CHECK(small[0] == static_cast<std::int8_t>(-116));
    bool flags[3] = {false, true, false};
    const bool values[2] = {true, false};
    scatter<bool>(false, flags, std::vector<std::int64_t>{0, 1, 2}, Dims{}, values,
                  std::vector<std::int64_t>{1, 1, 0}, Dims{}, Dims{});
    CHECK(flags[0] == false);
    CHECK(flags[1] == true);
    CHECK(flags[2] == true);
}
