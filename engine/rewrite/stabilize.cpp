// Stabilize: replace expressions that overflow or lose precision in floating
// point by equivalent forms that do not.
#include "rewriter.hpp"
#include "rules.hpp"

#include "../ops/math.hpp"
#include "../ops/nnet.hpp"
#include "../ops/shape.hpp"
#include "../ops/subtensor.hpp"

#include "../../ir/hash.hpp"
#include "../../ir/walk.hpp"

namespace kiln::rewrites {

namespace {

using S = ScalarOp;

// The other operand when `node` is a binary op with the constant `value` on one side.
std::optional<Var> other_than_constant(const Apply& node, double value) {
    if (is_constant_equal(node.inputs()[0], value)) return Var(node.inputs()[1]);
    if (is_constant_equal(node.inputs()[1], value)) return Var(node.inputs()[0]);
    return std::nullopt;
}

// log(1 + x) -> log1p(x)
std::optional<Var> log1p_from_log(const Apply& node) {
    if (scalar_op_of(node) != S::log) return std::nullopt;
    const ApplyPtr sum = elemwise_owner(node.inputs()[0], S::add);
    if (!sum) return std::nullopt;
    const std::optional<Var> x = other_than_constant(*sum, 1);
    if (!x) return std::nullopt;
    return log1p(*x);
}

// log1p(exp(x)) -> softplus(x)
std::optional<Var> softplus_from_log1p_exp(const Apply& node) {
    if (scalar_op_of(node) != S::log1p) return std::nullopt;
    const ApplyPtr e = elemwise_owner(node.inputs()[0], S::exp);
    if (!e) return std::nullopt;
    return softplus(Var(e->inputs()[0]));
}

// log(sigmoid(x)) -> -softplus(-x)
std::optional<Var> log_sigmoid(const Apply& node) {
    if (scalar_op_of(node) != S::log) return std::nullopt;
    const ApplyPtr s = elemwise_owner(node.inputs()[0], S::sigmoid);
    if (!s) return std::nullopt;
    return -softplus(-Var(s->inputs()[0]));
}

// log(1 - sigmoid(x)) -> -softplus(x); log1p(-sigmoid(x)) -> -softplus(x)
std::optional<Var> log_one_minus_sigmoid(const Apply& node) {
    const auto op = scalar_op_of(node);
    if (op == S::log) {
        const ApplyPtr difference = elemwise_owner(node.inputs()[0], S::sub);
        if (!difference || !is_constant_equal(difference->inputs()[0], 1)) return std::nullopt;
        if (const ApplyPtr s = elemwise_owner(difference->inputs()[1], S::sigmoid)) return -softplus(Var(s->inputs()[0]));
    }
    if (op == S::log1p)
        if (const ApplyPtr negated = elemwise_owner(node.inputs()[0], S::neg))
            if (const ApplyPtr s = elemwise_owner(negated->inputs()[0], S::sigmoid)) return -softplus(Var(s->inputs()[0]));
    return std::nullopt;
}

// exp(x) - 1 -> expm1(x)
std::optional<Var> expm1_from_exp(const Apply& node) {
    if (scalar_op_of(node) != S::sub || !is_constant_equal(node.inputs()[1], 1)) return std::nullopt;
    const ApplyPtr e = elemwise_owner(node.inputs()[0], S::exp);
    if (!e) return std::nullopt;
    return expm1(Var(e->inputs()[0]));
}

// c / (1 + exp(y)) -> c * sigmoid(-y)  (1 / (1 + exp(-x)) is sigmoid(x))
std::optional<Var> sigmoid_from_exp(const Apply& node) {
    if (scalar_op_of(node) != S::true_div) return std::nullopt;
    const ApplyPtr sum = elemwise_owner(node.inputs()[1], S::add);
    if (!sum) return std::nullopt;
    const std::optional<Var> e = other_than_constant(*sum, 1);
    if (!e) return std::nullopt;
    const ApplyPtr exponential = elemwise_owner(e->node(), S::exp);
    if (!exponential) return std::nullopt;
    const Var s = sigmoid(-Var(exponential->inputs()[0]));
    if (is_constant_equal(node.inputs()[0], 1)) return s;
    return Var(node.inputs()[0]) * s;
}

// -(-x) inside sigmoid: sigmoid(-(-x)) is left to neg_neg; log(softmax(x)) -> log_softmax(x)
std::optional<Var> log_softmax_from_log(const Apply& node) {
    if (scalar_op_of(node) != S::log) return std::nullopt;
    const Softmax* softmax = op_of<Softmax>(node.inputs()[0]);
    if (!softmax || softmax->log()) return std::nullopt;
    return log_softmax(Var(node.inputs()[0]->owner()->inputs()[0]));
}

// Whether n is len(y). Canonicalize rewrites len(y) of a computed y into
// what y's op infers (for y = labels[a:b], arithmetic on a, b and
// len(labels)), so n is compared with len(y) canonicalized the same way:
// same structure over the same inputs and shared variables.
bool is_length_of(const VariablePtr& n, const VariablePtr& y) {
    if (const ShapeI* length = op_of<ShapeI>(n); length && length->axis() == 0 && n->owner()->inputs()[0] == y)
        return true;
    if (!y->owner()) return false;
    FunctionGraph expected({}, {shape_i(Var(y), 0).node()});
    rewrite_graph(expected, {.mode = OptimizerMode::fast_run, .excluding = {"stabilize", "specialize"}});
    // Inputs and shared variables must be the same ones; constants compare by value.
    std::vector<VariablePtr> leaves = graph_inputs(expected.outputs());
    std::erase_if(leaves, [](const VariablePtr& leaf) { return leaf->is_constant(); });
    return canonical_graph_text(expected.outputs(), leaves) == canonical_graph_text({n}, leaves);
}

// log_softmax(x)[arange(len(y)), y] -> -crossentropy_softmax(x, y)
std::optional<Var> crossentropy_from_log_softmax(const Apply& node) {
    if (!op_of<AdvancedSubtensor>(node) || node.inputs().size() != 3) return std::nullopt;
    const Softmax* softmax = op_of<Softmax>(node.inputs()[0]);
    if (!softmax || !softmax->log()) return std::nullopt;
    const ApplyPtr log_probabilities = node.inputs()[0]->owner();
    const VariablePtr& labels = node.inputs()[2];
    if (labels->type().ndim() != 1 || labels->type().dtype() == DType::bool_) return std::nullopt;
    const ApplyPtr rows = node.inputs()[1]->owner();
    if (!op_of<ARange>(node.inputs()[1]) || !is_constant_equal(rows->inputs()[0], 0) ||
        !is_constant_equal(rows->inputs()[2], 1))
        return std::nullopt;
    if (!is_length_of(rows->inputs()[1], labels)) return std::nullopt;
    const Var x(log_probabilities->inputs()[0]);
    if (x.ndim() != 2) return std::nullopt;
    return -crossentropy_softmax(x, Var(labels));
}

} // namespace

std::vector<Rewrite> stabilize() {
    using P = RewritePhase;
    return {
        {"log1p_from_log", P::stabilize, "log(1 + x) -> log1p(x)", node_only(log1p_from_log)},
        {"softplus_from_log1p_exp", P::stabilize, "log1p(exp(x)) -> softplus(x)", node_only(softplus_from_log1p_exp)},
        {"log_sigmoid", P::stabilize, "log(sigmoid(x)) -> -softplus(-x)", node_only(log_sigmoid)},
        {"log_one_minus_sigmoid", P::stabilize, "log(1 - sigmoid(x)) -> -softplus(x)", node_only(log_one_minus_sigmoid)},
        {"expm1_from_exp", P::stabilize, "exp(x) - 1 -> expm1(x)", node_only(expm1_from_exp)},
        {"sigmoid_from_exp", P::stabilize, "c / (1 + exp(y)) -> c * sigmoid(-y)", node_only(sigmoid_from_exp)},
        {"log_softmax_from_log", P::stabilize, "log(softmax(x)) -> log_softmax(x)", node_only(log_softmax_from_log)},
        {"crossentropy_from_log_softmax", P::stabilize,
         "log_softmax(x)[arange(len(y)), y] -> -crossentropy_softmax(x, y)", node_only(crossentropy_from_log_softmax)},
    };
}

} // namespace kiln::rewrites
