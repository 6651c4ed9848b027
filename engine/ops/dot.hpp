// Dot products of vectors and matrices (Theano's dot), computed with BLAS
// for float32 and float64 and with plain loops for other dtypes.
#pragma once

#include "../api/var.hpp"

namespace kiln {

class Dot : public Op {
public:
    std::string kind() const override { return "Dot"; }
    std::string params() const override { return {}; }
    std::string name() const override { return "dot"; }
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;
};

/// vector.vector gives a scalar, matrix.vector and vector.matrix a vector,
/// matrix.matrix a matrix; the dtype is the promotion of both. Higher ranks
/// follow NumPy: the last axis of a against the second-to-last of b.
Var dot(const Var& a, const Var& b);
/// Sums products over a_axes of a and b_axes of b (paired in order); the
/// result has a's other axes, then b's.
Var tensordot(const Var& a, const Var& b, const std::vector<int>& a_axes, const std::vector<int>& b_axes);
/// tensordot over the last n axes of a and the first n of b.
Var tensordot(const Var& a, const Var& b, int n);
/// One product per leading (batch) index: (B, n, k) x (B, k, m) gives
/// (B, n, m); (B, k) operands act as (B, 1, k) or (B, k, 1), and their
/// length-1 axis is dropped from the result.
Var batched_dot(const Var& a, const Var& b);
/// outer(a, b)[i, j] = a[i] * b[j].
Var outer(const Var& a, const Var& b);

} // namespace kiln
