// The reference computation of scalar operations over strided arrays.
#pragma once

#include "../../ir/array.hpp"
#include "../../ir/scalar_op.hpp"

#include <vector>

namespace kiln {

/// Computes `op` over `out`'s positions: inputs are already converted to the
/// compute dtype (where(): the condition to bool) and strides[k] gives input
/// k's element strides in the output's index space (0 where it broadcasts).
void compute_scalar_op(ScalarOp op, const std::vector<Array>& inputs, const std::vector<Shape>& strides, Array& out);

} // namespace kiln
