// What ops' infer_shape methods share (internal to engine/ops/): shapes as
// int64 scalar graphs, one per dimension.
#pragma once

#include "math.hpp"

#include <vector>

namespace kiln::shape_inference {

using Shapes = std::vector<SymbolicShape>;

/// The int64 constant 1: the extent of a broadcastable dimension.
inline VariablePtr one() { return constant_of(1, DType::int64).node(); }
/// A dimension (or any integer scalar) as int64.
inline Var i64(const VariablePtr& v) { return cast(Var(v), DType::int64); }
/// The dimensions of input `k`.
inline SymbolicShape same_as(const Shapes& shapes, std::size_t k = 0) { return shapes.at(k); }

} // namespace kiln::shape_inference
