// Gradients of the elementwise ops (Elemwise, DimShuffle, Cast): the
// calculus of each scalar op, then a sum over the dimensions an input was
// broadcast along.
#include "cast.hpp"
#include "dimshuffle.hpp"
#include "elemwise.hpp"
#include "math.hpp"
#include "reduce.hpp"

#include "../grad/grad.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/scalar_op_definitions.hpp"
#include "../../ir/walk.hpp"

#include <numbers>

namespace kiln {

namespace {

// Scalar-op definitions written as a graph of Elemwise nodes, computing in `dtype`.
struct GraphAlgebra {
    using Value = Var;
    DType dtype;
    Var apply(ScalarOp op, std::initializer_list<Var> operands) { return elemwise(op, std::vector<Var>(operands)); }
    Var constant(double value) { return constant_of(value, dtype); }
};

// The gradients of an op defined by other scalar ops: those of its
// expansion, taken by grad() over stand-ins for the inputs, which are then
// put back.
std::vector<Var> composite_grads(ScalarOp op, const std::vector<Var>& in, const Var& z, const Var& g) {
    std::vector<Var> stand_ins;
    Replacements put_back;
    for (const Var& input : in) {
        stand_ins.emplace_back(Variable::make_input(input.type()));
        put_back.emplace(stand_ins.back().node().get(), input.node());
    }
    GraphAlgebra algebra{z.dtype()};
    const Var expanded = *expand_scalar_op(op, algebra, std::span<const Var>(stand_ins));
    const std::vector<Var> grads =
        grad(sum(g * expanded), stand_ins, {.disconnected_inputs = DisconnectedInputs::ignore});
    std::vector<VariablePtr> roots;
    for (const Var& one : grads) roots.push_back(one.node());
    const std::vector<VariablePtr> bound = clone_replace(roots, put_back);
    return std::vector<Var>(bound.begin(), bound.end());
}

// Gradient of each input, shaped like the output; a null Var where none flows.
std::vector<Var> scalar_grads(ScalarOp op, const std::vector<Var>& in, const Var& z, const Var& g) {
    if (is_composite_scalar_op(op)) return composite_grads(op, in, z, g);
    auto c = [&](double value) { return constant_of(value, g.dtype()); };
    const Var& a = in[0];
    const Var b = in.size() > 1 ? in[1] : Var();
    switch (op) {
    case ScalarOp::add: return {g, g};
    case ScalarOp::sub: return {g, -g};
    case ScalarOp::mul: return {g * b, g * a};
    case ScalarOp::true_div: return {g / b, -(g * a) / (b * b)};
    case ScalarOp::int_div: return {zeros_like(g), zeros_like(g)};
    case ScalarOp::mod: return {g, -(int_div(a, b)) * g};
    case ScalarOp::pow: return {(g * b) * pow(a, b - 1), (g * log(a)) * pow(a, b)};
    case ScalarOp::neg: return {-g};
    case ScalarOp::abs: return {g * sign(a)};
    case ScalarOp::sqr: return {(g * a) * 2};
    case ScalarOp::inv: return {-g / (a * a)};
    case ScalarOp::maximum:
    case ScalarOp::minimum: return {g * eq(z, a), g * eq(z, b)};
    case ScalarOp::exp: return {g * exp(a)};
    case ScalarOp::exp2: return {(g * exp2(a)) * c(std::numbers::ln2)};
    case ScalarOp::expm1: return {g * exp(a)};
    case ScalarOp::log: return {g / a};
    case ScalarOp::log2: return {g / (a * c(std::numbers::ln2))};
    case ScalarOp::log10: return {g / (a * c(std::numbers::ln10))};
    case ScalarOp::log1p: return {g / (c(1) + a)};
    case ScalarOp::sqrt: return {(g * c(0.5)) / sqrt(a)};
    case ScalarOp::sin: return {g * cos(a)};
    case ScalarOp::cos: return {-g * sin(a)};
    case ScalarOp::tan: return {g / sqr(cos(a))};
    case ScalarOp::arcsin: return {g / sqrt(c(1) - sqr(a))};
    case ScalarOp::arccos: return {-g / sqrt(c(1) - sqr(a))};
    case ScalarOp::arctan: return {g / (c(1) + sqr(a))};
    case ScalarOp::arctan2: {
        const Var denominator = sqr(a) + sqr(b);
        return {(g * b) / denominator, -(g * a) / denominator};
    }
    case ScalarOp::sinh: return {g * cosh(a)};
    case ScalarOp::cosh: return {g * sinh(a)};
    case ScalarOp::tanh: return {g * (c(1) - sqr(z))};
    case ScalarOp::sigmoid: return {(g * z) * (c(1) - z)};
    case ScalarOp::softplus: return {g * sigmoid(a)};
    case ScalarOp::erf: return {(g * c(2 * std::numbers::inv_sqrtpi)) * exp(-sqr(a))};
    case ScalarOp::erfc: return {(-g * c(2 * std::numbers::inv_sqrtpi)) * exp(-sqr(a))};
    case ScalarOp::second: return {Var(), g};
    case ScalarOp::where: return {Var(), where(a, g, c(0)), where(a, c(0), g)};
    case ScalarOp::clip: {
        const Var& low = in[1];
        const Var& high = in[2];
        return {g * ((a >= low) & (a <= high)), g * (a < low), g * (a > high)};
    }
    default: {
        // Piecewise-constant ops (sign, rounding) and every op with a
        // discrete result: the gradient is zero.
        std::vector<Var> zeros;
        for (std::size_t i = 0; i < in.size(); ++i) zeros.push_back(zeros_like(g));
        return zeros;
    }
    }
}

} // namespace

std::vector<VariablePtr> Elemwise::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    std::vector<Var> inputs(node.inputs().begin(), node.inputs().end());
    const Var z(node.output(0));
    const Var g(output_grads[0]);
    const std::vector<Var> grads = scalar_grads(scalar_op_, inputs, z, g);
    std::vector<VariablePtr> result;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!grads[i]) {
            result.push_back(nullptr);
            continue;
        }
        // Same dtype as the input; integer inputs get float gradients.
        const DType dtype = is_float(inputs[i].dtype()) ? inputs[i].dtype() : g.dtype();
        result.push_back(cast(sum_to_broadcast_of(grads[i], inputs[i]), dtype).node());
    }
    return result;
}

std::vector<VariablePtr> DimShuffle::grad(const Apply&, const std::vector<VariablePtr>& output_grads) const {
    Var g(output_grads[0]);
    // Inserted axes go away: sum over any that the gradient did not keep at length 1.
    std::vector<int> inserted;
    for (std::size_t i = 0; i < new_order_.size(); ++i)
        if (new_order_[i] == new_axis && !g.broadcastable()[i]) inserted.push_back(static_cast<int>(i));
    if (!inserted.empty()) g = sum(g, inserted, true);
    // Invert the permutation; dropped (broadcastable) input axes come back as 'x'.
    std::vector<Entry> order(input_broadcastable_.size(), new_axis);
    for (std::size_t i = 0; i < new_order_.size(); ++i)
        if (new_order_[i] != new_axis) order[new_order_[i]] = static_cast<int>(i);
    return {dimshuffle(g, order).node()};
}

} // namespace kiln
