// Stabilize: replace expressions that overflow or lose precision in floating
// point by equivalent forms that do not.
#include "rewriter.hpp"
#include "rules.hpp"

#include "../grad/grad.hpp"
#include "../ops/dimshuffle.hpp"
#include "../ops/math.hpp"
#include "../ops/nnet.hpp"
#include "../ops/reduce.hpp"
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

// Graph text of `v` after canonicalize, over `leaves` (see is_length_of).
std::string canonical_text(const VariablePtr& v, const std::vector<VariablePtr>& leaves) {
    FunctionGraph fgraph({}, {v});
    rewrite_graph(fgraph, {.mode = OptimizerMode::fast_run, .excluding = {"stabilize", "specialize"}});
    return canonical_graph_text(fgraph.outputs(), leaves);
}

// Whether n is len(y). Canonicalize rewrites every spelling of it
// (shape(y)[0], and for y = labels[a:b] arithmetic on a, b and
// len(labels)) into one form, so n and len(y) are compared canonicalized
// (n may come from grad(), which differentiates a graph that was not):
// same structure over the same inputs and shared variables.
bool is_length_of(const VariablePtr& n, const VariablePtr& y) {
    if (const ShapeI* length = op_of<ShapeI>(n); length && length->axis() == 0 && n->owner()->inputs()[0] == y)
        return true;
    // Inputs and shared variables must be the same ones; constants compare by value.
    std::vector<VariablePtr> leaves = graph_inputs({n, y});
    std::erase_if(leaves, [](const VariablePtr& leaf) { return leaf->is_constant(); });
    return canonical_text(shape_i(Var(y), 0).node(), leaves) == canonical_text(n, leaves);
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

// log(softmax(x)[index]) -> log_softmax(x)[index]: log is elementwise, so
// it commutes with picking elements. This is how Theano's spelling
// categorical_crossentropy(softmax(x), labels) reaches the fused
// crossentropy below.
std::optional<Var> log_softmax_from_indexed(const Apply& node) {
    if (scalar_op_of(node) != S::log) return std::nullopt;
    const ApplyPtr picked = node.inputs()[0]->owner();
    if (!picked || (!op_of<Subtensor>(*picked) && !op_of<AdvancedSubtensor>(*picked))) return std::nullopt;
    const Softmax* softmax = op_of<Softmax>(picked->inputs()[0]);
    if (!softmax || softmax->log()) return std::nullopt;
    std::vector<VariablePtr> inputs = picked->inputs();
    inputs[0] = log_softmax(Var(inputs[0]->owner()->inputs()[0])).node();
    return Var(Apply::make(picked->op_ptr(), std::move(inputs), {picked->output(0)->type()})->output(0));
}

// v = DimShuffle{0, ..., 'x'}(Reduce{kind over the last axis}(x)), the
// keepdims form of a reduction of a row: x, or null when v is not that.
VariablePtr row_reduction_input(const VariablePtr& v, ReduceKind kind) {
    const DimShuffle* keep = op_of<DimShuffle>(v);
    if (!keep) return nullptr;
    const int ndim = v->type().ndim();
    const std::vector<DimShuffle::Entry>& order = keep->new_order();
    for (int i = 0; i + 1 < ndim; ++i)
        if (order[static_cast<std::size_t>(i)] != i) return nullptr;
    if (order.back() != DimShuffle::new_axis) return nullptr;
    const VariablePtr& reduced = v->owner()->inputs()[0];
    const Reduce* reduce = op_of<Reduce>(reduced);
    if (!reduce || reduce->reduce_kind() != kind || reduce->axes() != std::vector<int>{ndim - 1}) return nullptr;
    return reduced->owner()->inputs()[0];
}

// exp(z) / sum(exp(z), axis=-1, keepdims=True) -> softmax(z), and
// z = x - max(x, axis=-1, keepdims=True) -> softmax(x) (softmax(x - c) is
// softmax(x) for c constant along a row). The softmax op subtracts the
// row's maximum itself, so logits of 1000 no longer give inf / inf.
std::optional<Var> softmax_from_exp_ratio(const Apply& node) {
    if (scalar_op_of(node) != S::true_div) return std::nullopt;
    const VariablePtr& numerator = node.inputs()[0];
    const ApplyPtr exponential = elemwise_owner(numerator, S::exp);
    const VariablePtr summed = row_reduction_input(node.inputs()[1], ReduceKind::sum);
    if (!exponential || !summed || !same_computation(summed, numerator)) return std::nullopt;
    Var logits(exponential->inputs()[0]);
    if (const ApplyPtr shifted = elemwise_owner(logits.node(), S::sub))
        if (const VariablePtr maximum_of = row_reduction_input(shifted->inputs()[1], ReduceKind::max);
            maximum_of && same_computation(maximum_of, shifted->inputs()[0]))
            logits = Var(shifted->inputs()[0]);
    if ((logits.ndim() != 1 && logits.ndim() != 2) || logits.type() != node.output(0)->type()) return std::nullopt;
    return softmax(logits);
}

// log(exp(a) + exp(b)) -> logaddexp(a, b)  (the larger plus
// softplus(smaller - larger), scalar_op_definitions.hpp)
std::optional<Var> logaddexp_from_log(const Apply& node) {
    if (scalar_op_of(node) != S::log) return std::nullopt;
    const ApplyPtr total = elemwise_owner(node.inputs()[0], S::add);
    if (!total) return std::nullopt;
    const ApplyPtr a = elemwise_owner(total->inputs()[0], S::exp);
    const ApplyPtr b = elemwise_owner(total->inputs()[1], S::exp);
    if (!a || !b) return std::nullopt;
    Var stable = logaddexp(Var(a->inputs()[0]), Var(b->inputs()[0]));
    if (stable.type() != node.output(0)->type()) return std::nullopt;
    return stable;
}

// v with the wrappers logsumexp_from_log puts around a maximum taken off:
// DimShuffles, stop_gradient and where(isinf(m), 0, m), in any order the
// other rules leave them (dimshuffle_lift moves DimShuffles into the where).
VariablePtr unwrap_shift(VariablePtr v) {
    for (;;) {
        if (op_of<DimShuffle>(v) || op_of<StopGradient>(v)) {
            v = v->owner()->inputs()[0];
            continue;
        }
        const ApplyPtr chosen = elemwise_owner(v, S::where);
        if (!chosen) return v;
        VariablePtr condition = chosen->inputs()[0];
        while (op_of<DimShuffle>(condition)) condition = condition->owner()->inputs()[0];
        const ApplyPtr infinite = elemwise_owner(condition, S::isinf);
        if (!infinite || !same_computation(unwrap_shift(infinite->inputs()[0]), unwrap_shift(chosen->inputs()[2])))
            return v;
        v = chosen->inputs()[2];
    }
}

// Whether x is already y - max(y, axes): its exponentials cannot overflow.
bool shifted_by_its_maximum(const VariablePtr& x, const std::vector<int>& axes) {
    const ApplyPtr difference = elemwise_owner(x, S::sub);
    if (!difference) return false;
    const VariablePtr maximum = unwrap_shift(difference->inputs()[1]);
    const Reduce* reduce = op_of<Reduce>(maximum);
    return reduce && reduce->reduce_kind() == ReduceKind::max && reduce->axes() == axes &&
           same_computation(maximum->owner()->inputs()[0], difference->inputs()[0]);
}

// log(sum(exp(x), axes)) -> m + log(sum(exp(x - m), axes)), m = max(x, axes)
// (0 where that is infinite, so rows of -inf give -inf and not NaN). The
// gradient does not flow through m: the two paths through it cancel.
// Also when keepdims put a DimShuffle between the log and the sum.
std::optional<Var> logsumexp_from_log(const Apply& node) {
    if (scalar_op_of(node) != S::log) return std::nullopt;
    VariablePtr summed = node.inputs()[0];
    const DimShuffle* keepdims = op_of<DimShuffle>(summed);
    if (keepdims) summed = summed->owner()->inputs()[0];
    const Reduce* reduce = op_of<Reduce>(summed);
    if (!reduce || reduce->reduce_kind() != ReduceKind::sum) return std::nullopt;
    const ApplyPtr exponential = elemwise_owner(summed->owner()->inputs()[0], S::exp);
    if (!exponential) return std::nullopt;
    const Var x(exponential->inputs()[0]);
    if (!is_float(x.dtype()) || shifted_by_its_maximum(x.node(), reduce->axes())) return std::nullopt;
    const Var top = max(x, reduce->axes());
    const Var shift = stop_gradient(where(isinf(top), constant_of(0, top.dtype()), top));
    const Var shift_kept = keep_reduced_axes(shift, reduce->axes(), x.ndim());
    Var stable = shift + log(sum(exp(x - shift_kept), reduce->axes()));
    if (keepdims) stable = dimshuffle(stable, keepdims->new_order());
    if (stable.type() != node.output(0)->type()) return std::nullopt;
    return stable;
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
        {"log_softmax_from_indexed", P::stabilize, "log(softmax(x)[index]) -> log_softmax(x)[index]",
         node_only(log_softmax_from_indexed)},
        {"softmax_from_exp_ratio", P::stabilize,
         "exp(x) / sum(exp(x), -1, keepdims) -> softmax(x), also of x - max(x, -1, keepdims)",
         node_only(softmax_from_exp_ratio)},
        {"logaddexp_from_log", P::stabilize, "log(exp(a) + exp(b)) -> logaddexp(a, b)", node_only(logaddexp_from_log)},
        {"logsumexp_from_log", P::stabilize, "log(sum(exp(x), axes)) -> m + log(sum(exp(x - m), axes)), m = max(x, axes)",
         node_only(logsumexp_from_log)},
        {"crossentropy_from_log_softmax", P::stabilize,
         "log_softmax(x)[arange(len(y)), y] -> -crossentropy_softmax(x, y)", node_only(crossentropy_from_log_softmax)},
    };
}

} // namespace kiln::rewrites
