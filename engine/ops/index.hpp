// Indexing symbolic tensors like NumPy: x[i], x[slice(a, b)], x[{i, slice({}, {}, -1)}]
// (basic indexing, a view), x[{arange(n), y}] with integer tensors
// (advanced indexing, a gather), and x[mask] with a boolean tensor. set_subtensor and inc_subtensor write
// through such an index into a copy.
#pragma once

#include "../api/operators.hpp"

#include <optional>
#include <variant>

namespace kiln {

/// One bound of a slice: absent ({}), a C++ integer or a symbolic integer scalar.
using Bound = std::optional<Operand>;

struct Slice {
    std::optional<Var> start, stop, step;
};

/// Python's slice(start, stop, step); slice({}, {}, -1) reverses.
Slice slice(const Bound& start, const Bound& stop, const Bound& step = {});

/// An entry of an index: an integer (C++ or a symbolic scalar), a slice, or
/// an integer tensor (advanced indexing).
class Index {
public:
    Index(const Slice& s) : entry_(s) {}
    Index(const Var& v) : entry_(v) {}
    template <class T>
        requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
    Index(T value) : entry_(as_tensor(static_cast<std::int64_t>(value))) {}

    bool is_slice() const { return std::holds_alternative<Slice>(entry_); }
    const Slice& as_slice() const { return std::get<Slice>(entry_); }
    const Var& as_var() const { return std::get<Var>(entry_); }

private:
    std::variant<Var, Slice> entry_;
};

/// x[index...]: Var::operator[] calls this.
Var subtensor(const Var& x, const std::vector<Index>& index);

/// A copy of the indexed tensor with view's elements replaced by (set) or
/// increased by (inc) y; `view` must be an indexing of a tensor, as in
/// set_subtensor(x[slice(0, 2)], y). Repeated advanced indices accumulate in inc.
Var set_subtensor(const Var& view, const Operand& y);
Var inc_subtensor(const Var& view, const Operand& y);

/// The positions of x's nonzero elements: one int64 vector per axis.
std::vector<Var> nonzero(const Var& x);

/// [start, stop) by step as int64 (Theano's arange); one argument is the stop.
Var arange(const Operand& stop);
Var arange(const Operand& start, const Operand& stop, const Operand& step = 1);

} // namespace kiln
