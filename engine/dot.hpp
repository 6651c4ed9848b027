// Dot products of vectors and matrices (Theano's dot), computed with BLAS
// for float32 and float64 and with plain loops for other dtypes.
#pragma once

#include "var.hpp"

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
/// matrix.matrix a matrix; the dtype is the promotion of both.
Var dot(const Var& a, const Var& b);
/// outer(a, b)[i, j] = a[i] * b[j].
Var outer(const Var& a, const Var& b);

} // namespace kiln
