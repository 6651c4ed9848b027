// Specialize: cheaper special cases of general operations.
#include "rules.hpp"

#include "../grad/grad.hpp"
#include "../grad/gradient_ops.hpp"
#include "../ops/dimshuffle.hpp"
#include "../ops/dot.hpp"
#include "../ops/gemm.hpp"
#include "../ops/layout.hpp"
#include "../ops/math.hpp"
#include "../ops/reduce.hpp"

namespace kiln::rewrites {

namespace {

using S = ScalarOp;

// x ** 2 -> sqr(x), x ** 0.5 -> sqrt(x), x ** -1 -> inv(x), x ** -0.5 -> inv(sqrt(x)),
// x ** 3 / x ** 4 -> products of squares
std::optional<Var> pow_specialize(const Apply& node) {
    if (scalar_op_of(node) != S::pow) return std::nullopt;
    const std::optional<double> exponent = constant_scalar(node.inputs()[1]);
    if (!exponent) return std::nullopt;
    const Var x(node.inputs()[0]);
    const DType dtype = node.output(0)->type().dtype();
    if (*exponent == 2) return cast(sqr(x), dtype);
    if (*exponent == 3) return cast(sqr(x) * x, dtype);
    if (*exponent == 4) return cast(sqr(sqr(x)), dtype);
    if (!is_float(dtype)) return std::nullopt;
    if (*exponent == 0.5) return cast(sqrt(x), dtype);
    if (*exponent == -1) return cast(inv(x), dtype);
    if (*exponent == -0.5) return cast(inv(sqrt(x)), dtype);
    if (*exponent == -2) return cast(inv(sqr(x)), dtype);
    return std::nullopt;
}

// x * x -> sqr(x)
std::optional<Var> mul_to_sqr(const Apply& node) {
    if (scalar_op_of(node) != S::mul || node.inputs()[0] != node.inputs()[1]) return std::nullopt;
    return sqr(Var(node.inputs()[0]));
}

// 1 / x -> inv(x)
std::optional<Var> div_to_inv(const Apply& node) {
    if (scalar_op_of(node) != S::true_div || !is_constant_equal(node.inputs()[0], 1)) return std::nullopt;
    return inv(Var(node.inputs()[1]));
}

// x * -1 -> -x
std::optional<Var> mul_minus_one(const Apply& node) {
    if (scalar_op_of(node) != S::mul) return std::nullopt;
    if (is_constant_equal(node.inputs()[0], -1)) return -Var(node.inputs()[1]);
    if (is_constant_equal(node.inputs()[1], -1)) return -Var(node.inputs()[0]);
    return std::nullopt;
}

// A term c * dot(x, y) (c a constant, 1 when absent) with x a matrix, read
// only by the sum being rewritten: a product read elsewhere too would be
// computed twice, once inside gemm and once on its own.
struct Product {
    Var scale, x, y;
};

std::optional<Product> as_scaled_dot(const VariablePtr& v, const RewriteContext& context) {
    if (context.clients(v) != 1) return std::nullopt;
    auto dot_of = [&](const VariablePtr& d) -> std::optional<std::pair<Var, Var>> {
        const ApplyPtr owner = d->owner();
        if (!op_of<Dot>(d) || context.clients(d) != 1) return std::nullopt;
        if (owner->inputs()[0]->type().ndim() != 2) return std::nullopt;
        return std::pair{Var(owner->inputs()[0]), Var(owner->inputs()[1])};
    };
    if (auto d = dot_of(v)) return Product{constant_of(1, v->type().dtype()), d->first, d->second};
    if (const ApplyPtr m = elemwise_owner(v, S::mul))
        for (int side : {0, 1})
            if (const std::optional<double> c = constant_scalar(m->inputs()[side]))
                if (auto d = dot_of(m->inputs()[1 - side]))
                    return Product{constant_of(*c, v->type().dtype()), d->first, d->second};
    return std::nullopt;
}

// c1 * dot(x, y) + c2 * z -> gemm(z, c1, x, y, c2), for float matrices and
// matrix-vector products; with sub, the subtracted side's constant changes
// sign (an SGD step W - lr * dot(x, y) is one gemm).
std::optional<Var> gemm_from_dot(const Apply& node, const RewriteContext& context) {
    const std::optional<S> op = scalar_op_of(node);
    if (op != S::add && op != S::sub) return std::nullopt;
    const DType dtype = node.output(0)->type().dtype();
    if (!is_float(dtype)) return std::nullopt;
    for (int side : {0, 1}) {
        const std::optional<Product> product = as_scaled_dot(node.inputs()[side], context);
        if (!product || product->x.dtype() != dtype || product->y.dtype() != dtype) continue;
        Var z(node.inputs()[1 - side]);
        double beta = 1;
        if (const ApplyPtr m = elemwise_owner(z.node(), S::mul))
            for (int k : {0, 1})
                if (const std::optional<double> c = constant_scalar(m->inputs()[k])) {
                    beta = *c;
                    z = Var(m->inputs()[1 - k]);
                    break;
                }
        if (z.dtype() != dtype || z.ndim() != node.output(0)->type().ndim()) continue;
        Var alpha = product->scale;
        if (op == S::sub && side == 1) alpha = constant_of(-*constant_scalar(alpha.node()), dtype);
        if (op == S::sub && side == 0) beta = -beta;
        return gemm(z, alpha, product->x, product->y, constant_of(beta, dtype));
    }
    return std::nullopt;
}

// argmax(x, axis=k) -> argmax(x with axis k moved last, axis=-1), and of the
// flattened tensor for no axis: along the last axis it runs as a compiled
// row kernel, and the move is a view.
std::optional<Var> arg_reduce_along_last_axis(const Apply& node) {
    const auto* arg = dynamic_cast<const ArgReduce*>(&node.op());
    if (!arg) return std::nullopt;
    const Var x(node.inputs()[0]);
    const int ndim = x.ndim();
    if (ndim < 2 || (arg->axis() && *arg->axis() == ndim - 1)) return std::nullopt;
    const auto reduce = arg->is_max() ? argmax : argmin;
    if (!arg->axis()) return reduce(flatten(x, 1), 0, false);
    std::vector<DimShuffle::Entry> order;
    for (int d = 0; d < ndim; ++d)
        if (d != *arg->axis()) order.push_back(d);
    order.push_back(*arg->axis());
    return reduce(dimshuffle(x, order), ndim - 1, false);
}

// stop_gradient(x) -> x, and zero_grad, grad_scale, grad_clip and
// undefined_grad too: they only matter to grad(), and gradients are built
// before compiling (the stabilize rules put stop_gradient around shifts
// that cancel).
std::optional<Var> remove_gradient_ops(const Apply& node) {
    if (!op_of<StopGradient>(node) && !op_of<GradientModifier>(node)) return std::nullopt;
    return Var(node.inputs()[0]);
}

} // namespace

std::vector<Rewrite> specialize() {
    using P = RewritePhase;
    return {
        {"pow_specialize", P::specialize, "x ** 2 -> sqr(x), x ** 0.5 -> sqrt(x), x ** -1 -> inv(x), ...", node_only(pow_specialize)},
        {"mul_to_sqr", P::specialize, "x * x -> sqr(x)", node_only(mul_to_sqr)},
        {"div_to_inv", P::specialize, "1 / x -> inv(x)", node_only(div_to_inv)},
        {"mul_minus_one", P::specialize, "x * -1 -> -x", node_only(mul_minus_one)},
        {"gemm_from_dot", P::specialize, "a * dot(x, y) +- b * z -> gemm(z, +-a, x, y, +-b)", gemm_from_dot},
        {"arg_reduce_along_last_axis", P::specialize, "argmax(x, axis=k) -> argmax(x with k moved last, axis=-1)",
         node_only(arg_reduce_along_last_axis)},
        {"remove_gradient_ops", P::specialize, "stop_gradient(x) -> x, zero_grad(x) -> x, grad_scale(x, k) -> x, ...",
         node_only(remove_gradient_ops)},
    };
}

} // namespace kiln::rewrites
