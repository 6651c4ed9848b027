// Walking a strided layout run by run: the C-order positions [begin, end)
// of a shape, as pieces of its innermost rows, with every operand's offset
// stepped by an odometer over the outer dimensions (no division per run).
// The loop driver and the indexing kernels both walk this way.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::kernels {

/// Calls run(offsets, count) for each piece of an innermost row that covers
/// the C-order positions [begin, end) of `shape`; offsets[k] is then operand
/// k's element offset of the piece's first position, operand k stepping
/// strides[k][d] along dimension d. `shape` and `strides` are anything
/// indexable that way (shape also has size(); an empty shape is one
/// position). `offsets` is the caller's scratch with one entry per operand.
template <class ShapeLike, class Strides, class Offsets, class Run>
void walk_runs(const ShapeLike& shape, const Strides& strides, std::size_t operands, std::int64_t begin,
               std::int64_t end, Offsets& offsets, Run&& run) {
    if (begin >= end) return;
    const std::size_t rank = shape.size();
    const std::int64_t inner = rank > 0 ? shape[rank - 1] : 1;
    const auto inner_stride = [&](std::size_t k) -> std::int64_t { return rank > 0 ? strides[k][rank - 1] : 0; };
    // The outer multi-index, inline for the usual ranks.
    std::array<std::int64_t, 8> inline_index{};
    std::vector<std::int64_t> heap_index(rank > inline_index.size() ? rank : 0);
    std::int64_t* index = heap_index.empty() ? inline_index.data() : heap_index.data();

    std::int64_t column = begin % inner;
    std::int64_t row = begin / inner;
    for (std::size_t k = 0; k < operands; ++k) offsets[k] = column * inner_stride(k);
    for (std::size_t d = rank > 0 ? rank - 1 : 0; d-- > 0;) {
        index[d] = row % shape[d];
        row /= shape[d];
        for (std::size_t k = 0; k < operands; ++k) offsets[k] += index[d] * strides[k][d];
    }
    while (true) {
        const std::int64_t count = std::min(inner - column, end - begin);
        run(static_cast<const Offsets&>(offsets), count);
        begin += count;
        if (begin >= end) return;
        // Back to the start of the row, then one step along the outer dimensions.
        for (std::size_t k = 0; k < operands; ++k) offsets[k] -= column * inner_stride(k);
        column = 0;
        for (std::size_t d = rank - 1; d-- > 0;) {
            if (++index[d] < shape[d]) {
                for (std::size_t k = 0; k < operands; ++k) offsets[k] += strides[k][d];
                break;
            }
            index[d] = 0;
            for (std::size_t k = 0; k < operands; ++k) offsets[k] -= (shape[d] - 1) * strides[k][d];
        }
    }
}

} // namespace kiln::kernels
