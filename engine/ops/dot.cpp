#include "dot.hpp"

#include "blas_operand.hpp"
#include "dimshuffle.hpp"
#include "index.hpp"
#include "layout.hpp"
#include "math.hpp"
#include "reduce.hpp"
#include "shape.hpp"
#include "shape_inference.hpp"

#include "../../ir/errors.hpp"

namespace kiln {

namespace {

[[noreturn]] void not_aligned(const Array& a, const Array& b, int a_dim, int b_dim) {
    throw ValueError("dot(): shapes " + shape_text(a.shape()) + " and " + shape_text(b.shape()) + " not aligned: " +
                     std::to_string(a.shape()[a_dim]) + " (dim " + std::to_string(a_dim) + ") != " +
                     std::to_string(b.shape()[b_dim]) + " (dim " + std::to_string(b_dim) + ")");
}

template <class T> void matmul_loop(const Array& a, const Array& b, Array& out) {
    // a: m x k, b: k x n, both seen as 2-d (vectors as 1 x k or k x 1).
    const std::int64_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
    T* c = out.mutable_data_as<T>();
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            T total{};
            for (std::int64_t p = 0; p < k; ++p)
                total = static_cast<T>(total + a.value_at<T>(i * k + p) * b.value_at<T>(p * n + j));
            c[i * n + j] = total;
        }
}

} // namespace

std::string Dot::pp(const Apply&, const std::vector<std::string>& inputs) const {
    return "(" + inputs[0] + " \\dot " + inputs[1] + ")";
}

std::vector<Array> Dot::perform(const Apply& node, const std::vector<Array>& inputs) const {
    const DType dtype = node.output(0)->type().dtype();
    Array a = inputs[0].dtype() == dtype ? inputs[0] : inputs[0].astype(dtype);
    Array b = inputs[1].dtype() == dtype ? inputs[1] : inputs[1].astype(dtype);
    const int a_dim = a.ndim() - 1;
    const int b_dim = b.ndim() == 2 ? 0 : 0;
    if (a.shape()[a_dim] != b.shape()[b_dim]) not_aligned(a, b, a_dim, b_dim);
    // Everything as matrix products: a vector on the left is 1 x k, on the right k x 1.
    const Array a2 = a.ndim() == 2 ? a : a.view({1, a.shape()[0]}, {0, a.strides()[0]});
    const Array b2 = b.ndim() == 2 ? b : b.view({b.shape()[0], 1}, {b.strides()[0], 0});
    Array out = Array::zeros(dtype, {a2.shape()[0], b2.shape()[1]});
    if (dtype == DType::float64) blas_matmul<double>(a2, b2, 1, 0, out);
    else if (dtype == DType::float32) blas_matmul<float>(a2, b2, 1, 0, out);
    else visit_dtype(dtype, [&](auto tag) { matmul_loop<decltype(tag)>(a2, b2, out); });
    Shape shape;
    if (a.ndim() == 2) shape.push_back(out.shape()[0]);
    if (b.ndim() == 2) shape.push_back(out.shape()[1]);
    return {out.reshaped(shape)};
}

std::vector<VariablePtr> Dot::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    const Var x(node.inputs()[0]), y(node.inputs()[1]), gz(output_grads[0]);
    Var gx, gy;
    if (x.ndim() == 1 && y.ndim() == 1) {
        gx = gz * y;
        gy = gz * x;
    } else if (x.ndim() == 2 && y.ndim() == 1) {
        gx = outer(gz, y);
        gy = dot(transpose(x), gz);
    } else if (x.ndim() == 1 && y.ndim() == 2) {
        gx = dot(y, gz);
        gy = outer(x, gz);
    } else {
        gx = dot(gz, transpose(y));
        gy = dot(transpose(x), gz);
    }
    return {cast(gx, x.dtype()).node(), cast(gy, y.dtype()).node()};
}

Var dot(const Var& a, const Var& b) {
    if (a.ndim() < 1 || b.ndim() < 1)
        throw TypeError("dot(): takes tensors of rank 1 or more, got " + a.type().describe() + " (" + a.str() + ") and " +
                        b.type().describe() + " (" + b.str() + "); use * for scalars");
    if (a.ndim() > 2 || b.ndim() > 2) return tensordot(a, b, {a.ndim() - 1}, {b.ndim() >= 2 ? b.ndim() - 2 : 0});
    std::vector<bool> broadcastable;
    if (a.ndim() == 2) broadcastable.push_back(a.broadcastable()[0]);
    if (b.ndim() == 2) broadcastable.push_back(b.broadcastable()[1]);
    TensorType type(promote(a.dtype(), b.dtype()), broadcastable);
    return Var(Apply::make(std::make_shared<Dot>(), {a.node(), b.node()}, {type})->output(0));
}

namespace {

std::vector<int> resolve_axes(const Var& x, const std::vector<int>& axes) {
    std::vector<int> resolved;
    for (int axis : axes) {
        const int r = axis < 0 ? axis + x.ndim() : axis;
        if (r < 0 || r >= x.ndim())
            throw ValueError("tensordot(): axis " + std::to_string(axis) + " is out of bounds for " + x.str() + " of " +
                             x.type().str());
        if (std::find(resolved.begin(), resolved.end(), r) != resolved.end())
            throw ValueError("tensordot(): axis " + std::to_string(axis) + " of " + x.str() + " is given twice");
        resolved.push_back(r);
    }
    return resolved;
}

std::vector<int> other_axes(int ndim, const std::vector<int>& axes) {
    std::vector<int> rest;
    for (int d = 0; d < ndim; ++d)
        if (std::find(axes.begin(), axes.end(), d) == axes.end()) rest.push_back(d);
    return rest;
}

} // namespace

Var tensordot(const Var& a, const Var& b, const std::vector<int>& a_axes_in, const std::vector<int>& b_axes_in) {
    if (a_axes_in.size() != b_axes_in.size())
        throw ValueError("tensordot(): " + std::to_string(a_axes_in.size()) + " axes of " + a.str() + " paired with " +
                         std::to_string(b_axes_in.size()) + " axes of " + b.str());
    const std::vector<int> a_axes = resolve_axes(a, a_axes_in), b_axes = resolve_axes(b, b_axes_in);
    const std::vector<int> a_free = other_axes(a.ndim(), a_axes), b_free = other_axes(b.ndim(), b_axes);
    // Move the summed axes together, flatten both sides to matrices, multiply, unflatten.
    std::vector<DimShuffle::Entry> a_order(a_free.begin(), a_free.end()), b_order(b_axes.begin(), b_axes.end());
    a_order.insert(a_order.end(), a_axes.begin(), a_axes.end());
    b_order.insert(b_order.end(), b_free.begin(), b_free.end());
    const Var a2 = reshape(dimshuffle(a, a_order), {shape_product(a, a_free), shape_product(a, a_axes)});
    const Var b2 = reshape(dimshuffle(b, b_order), {shape_product(b, b_axes), shape_product(b, b_free)});
    std::vector<Operand> shape;
    for (int d : a_free) shape.emplace_back(shape_i(a, d));
    for (int d : b_free) shape.emplace_back(shape_i(b, d));
    return reshape(dot(a2, b2), shape);
}

Var tensordot(const Var& a, const Var& b, int n) {
    if (n < 0 || n > a.ndim() || n > b.ndim())
        throw ValueError("tensordot(): cannot sum over " + std::to_string(n) + " axes of " + a.type().describe() + " and " +
                         b.type().describe());
    std::vector<int> a_axes, b_axes;
    for (int i = 0; i < n; ++i) {
        a_axes.push_back(a.ndim() - n + i);
        b_axes.push_back(i);
    }
    return tensordot(a, b, a_axes, b_axes);
}

Var batched_dot(const Var& a, const Var& b) {
    if (a.ndim() < 2 || a.ndim() > 3 || b.ndim() < 2 || b.ndim() > 3)
        throw TypeError("batched_dot(): takes batches of vectors or matrices (2-d or 3-d), got " + a.type().describe() +
                        " and " + b.type().describe());
    const Var a3 = a.ndim() == 3 ? a : expand_dims(a, 1);
    const Var b3 = b.ndim() == 3 ? b : expand_dims(b, 2);
    // (B, n, k, 1) * (B, 1, k, m), summed over k.
    Var product = sum(expand_dims(a3, 3) * expand_dims(b3, 1), 2);
    // Drop the length-1 axes a 2-d operand brought in: a's is axis 1, b's the last.
    if (a.ndim() == 2) product = product[{slice({}, {}), 0}];
    if (b.ndim() == 2) {
        std::vector<Index> index(product.ndim() - 1, slice({}, {}));
        index.emplace_back(0);
        product = subtensor(product, index);
    }
    return product;
}

Var outer(const Var& a, const Var& b) {
    if (a.ndim() != 1 || b.ndim() != 1)
        throw TypeError("outer(): takes two vectors, got " + a.type().describe() + " and " + b.type().describe());
    return dot(dimshuffle(a, {0, DimShuffle::new_axis}), dimshuffle(b, {DimShuffle::new_axis, 0}));
}

// Shape inference: output shapes as graphs of the input shapes.

using shape_inference::Shapes;

Shapes Dot::infer_shape(const Apply&, const Shapes& in) const {
    SymbolicShape out;
    if (in[0].size() == 2) out.push_back(in[0][0]);
    if (in[1].size() == 2) out.push_back(in[1][1]);
    return {out};
}

} // namespace kiln
