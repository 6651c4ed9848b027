// Gemm: beta * z + alpha * dot(x, y) in one BLAS call (GEMM for matrix
// products, GEMV for matrix-vector ones), the form specialize gives to such
// sums so no temporary product is made.
#pragma once

#include "../api/var.hpp"

namespace kiln {

/// inputs: z, alpha (0-d), x, y, beta (0-d); float32 or float64 throughout.
class Gemm : public Op {
public:
    std::string kind() const override { return "Gemm"; }
    std::string params() const override { return {}; }
    std::string name() const override { return "Gemm{no_inplace}"; }
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    /// z's buffer becomes the result when nothing else holds it (an SGD
    /// step's gradient sum, for one), instead of a copy.
    int overwritable_input() const override { return 0; }
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
};

/// beta * z + alpha * dot(x, y) for float matrices (x, y matrices, z a
/// matrix) or a matrix-vector product (x a matrix, y and z vectors).
Var gemm(const Var& z, const Var& alpha, const Var& x, const Var& y, const Var& beta);

} // namespace kiln
