// Axes: which axes a reduction takes (all, one, or several), as Theano's
// axis=None | int | tuple.
#pragma once

#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

namespace kiln {

/// Which axes to reduce: all of them (the default), one, or several;
/// negative axes count from the end.
class Axes {
public:
    Axes() = default;
    Axes(int axis) : axes_(std::vector<int>{axis}) {}
    Axes(std::initializer_list<int> axes) : axes_(std::vector<int>(axes)) {}
    Axes(std::vector<int> axes) : axes_(std::move(axes)) {}

    /// Sorted, non-negative axes of a tensor of rank ndim; throws ValueError
    /// for an axis out of range or given twice, naming the API `who`.
    std::vector<int> resolve(int ndim, const char* who) const;
    bool all() const { return !axes_.has_value(); }

private:
    std::optional<std::vector<int>> axes_;
};

} // namespace kiln
