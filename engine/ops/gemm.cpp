#include "gemm.hpp"

#include "blas_operand.hpp"
#include "dimshuffle.hpp"
#include "dot.hpp"
#include "math.hpp"
#include "reduce.hpp"

#include "../../ir/errors.hpp"

namespace kiln {

std::string Gemm::pp(const Apply&, const std::vector<std::string>& in) const {
    return "gemm(" + in[0] + ", " + in[1] + ", " + in[2] + ", " + in[3] + ", " + in[4] + ")";
}

std::vector<Array> Gemm::perform(const Apply& node, const std::vector<Array>& inputs) const {
    const DType dtype = node.output(0)->type().dtype();
    const Array& x = inputs[2];
    const Array& y = inputs[3];
    if (x.shape()[1] != y.shape()[0])
        throw ValueError("gemm(): shapes " + shape_text(x.shape()) + " and " + shape_text(y.shape()) +
                         " not aligned: " + std::to_string(x.shape()[1]) + " (dim 1) != " + std::to_string(y.shape()[0]) +
                         " (dim 0)");
    Shape shape{x.shape()[0]};
    if (y.ndim() == 2) shape.push_back(y.shape()[1]);
    // BLAS writes the result into z: z itself where the executor handed over
    // the only reference to a C-ordered buffer of the result's shape and
    // dtype, otherwise a copy of z broadcast to that shape.
    const Array& z = inputs[0];
    for (int d = 0; d < z.ndim(); ++d)
        if (z.shape()[d] != shape[d] && !node.inputs()[0]->type().broadcastable()[d])
            throw ValueError("gemm(): z of shape " + shape_text(z.shape()) + " does not match the product's shape " +
                             shape_text(shape));
    Shape strides = z.strides();
    for (int d = 0; d < z.ndim(); ++d)
        if (node.inputs()[0]->type().broadcastable()[d]) strides[d] = 0;
    const bool reusable = z.writable_in_place() && z.shape() == shape && z.dtype() == dtype;
    Array out = reusable ? z : z.view(shape, strides).astype(dtype);
    // The product as matrices: a vector y is a k x 1 column, written into out seen as m x 1.
    const Array y2 = y.ndim() == 2 ? y : y.view({y.shape()[0], 1}, {y.strides()[0], 0});
    Array out2 = out.ndim() == 2 ? out : out.view({out.shape()[0], 1}, {1, 1});
    if (dtype == DType::float64)
        blas_matmul<double>(x, y2, inputs[1].value_at<double>(0), inputs[4].value_at<double>(0), out2);
    else
        blas_matmul<float>(x, y2, inputs[1].value_at<float>(0), inputs[4].value_at<float>(0), out2);
    return {out};
}

std::vector<VariablePtr> Gemm::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    // The gradient of the same sum written out: beta * z + alpha * dot(x, y).
    const Var z(node.inputs()[0]), alpha(node.inputs()[1]), x(node.inputs()[2]), y(node.inputs()[3]),
        beta(node.inputs()[4]);
    const Var g(output_grads[0]);
    const Var gp = g * alpha;
    const Var gz = sum_to_broadcast_of(g * beta, z);
    const Var g_alpha = sum(g * dot(x, y));
    const Var g_beta = sum(g * z);
    return {cast(gz, z.dtype()).node(), cast(g_alpha, alpha.dtype()).node(),
            cast(y.ndim() == 2 ? dot(gp, transpose(y)) : outer(gp, y), x.dtype()).node(),
            cast(dot(transpose(x), gp), y.dtype()).node(), cast(g_beta, beta.dtype()).node()};
}

std::vector<SymbolicShape> Gemm::infer_shape(const Apply& node, const std::vector<SymbolicShape>& in) const {
    SymbolicShape out{in[2][0]};
    if (node.inputs()[3]->type().ndim() == 2) out.push_back(in[3][1]);
    return {out};
}

Var gemm(const Var& z, const Var& alpha, const Var& x, const Var& y, const Var& beta) {
    const DType dtype = z.dtype();
    if (!is_float(dtype) || x.dtype() != dtype || y.dtype() != dtype || x.ndim() != 2 || y.ndim() < 1 || y.ndim() > 2 ||
        z.ndim() != y.ndim() || alpha.ndim() != 0 || beta.ndim() != 0)
        throw TypeError("gemm(): needs float z, x, y of one dtype with x a matrix and z shaped like dot(x, y), and 0-d "
                        "alpha and beta; got " + z.type().str() + ", " + x.type().str() + ", " + y.type().str());
    std::vector<bool> broadcastable{false};
    if (y.ndim() == 2) broadcastable.push_back(false);
    return Var(Apply::make(std::make_shared<Gemm>(),
                           {z.node(), cast(alpha, dtype).node(), x.node(), y.node(), cast(beta, dtype).node()},
                           {TensorType(dtype, broadcastable)})
                   ->output(0));
}

} // namespace kiln
