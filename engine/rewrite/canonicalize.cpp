// Canonicalize: put graphs in one standard form so later phases (and
// merging) see equal things as equal.
#include "rules.hpp"

#include "../ops/cast.hpp"
#include "../ops/dimshuffle.hpp"
#include "../ops/layout.hpp"
#include "../ops/math.hpp"
#include "../ops/shape.hpp"
#include "../ops/subtensor.hpp"

namespace kiln::rewrites {

namespace {

using S = ScalarOp;

Var in(const Apply& node, int i) { return Var(node.inputs()[i]); }

std::optional<Var> useless_dimshuffle(const Apply& node) {
    const auto* op = dynamic_cast<const DimShuffle*>(&node.op());
    if (!op) return std::nullopt;
    for (std::size_t i = 0; i < op->new_order().size(); ++i)
        if (op->new_order()[i] != static_cast<int>(i)) return std::nullopt;
    if (op->new_order().size() != op->input_broadcastable().size()) return std::nullopt;
    return in(node, 0);
}

std::optional<Var> merge_dimshuffles(const Apply& node) {
    const auto* outer = dynamic_cast<const DimShuffle*>(&node.op());
    const ApplyPtr inner_node = node.inputs()[0]->owner();
    const auto* inner = inner_node ? dynamic_cast<const DimShuffle*>(&inner_node->op()) : nullptr;
    if (!outer || !inner) return std::nullopt;
    std::vector<DimShuffle::Entry> order;
    for (DimShuffle::Entry e : outer->new_order())
        order.push_back(e == DimShuffle::new_axis ? DimShuffle::new_axis : inner->new_order()[e]);
    return dimshuffle(Var(inner_node->inputs()[0]), order);
}

// x * 1 -> x, 1 * x -> x
std::optional<Var> mul_by_one(const Apply& node) {
    if (scalar_op_of(node) != S::mul) return std::nullopt;
    if (is_constant_equal(node.inputs()[1], 1)) return in(node, 0);
    if (is_constant_equal(node.inputs()[0], 1)) return in(node, 1);
    return std::nullopt;
}

// x + 0 -> x, 0 + x -> x, x - 0 -> x
std::optional<Var> add_zero(const Apply& node) {
    const auto op = scalar_op_of(node);
    if (op != S::add && op != S::sub) return std::nullopt;
    if (is_constant_equal(node.inputs()[1], 0)) return in(node, 0);
    if (op == S::add && is_constant_equal(node.inputs()[0], 0)) return in(node, 1);
    return std::nullopt;
}

// x / 1 -> x
std::optional<Var> div_by_one(const Apply& node) {
    if (scalar_op_of(node) != S::true_div || !is_constant_equal(node.inputs()[1], 1)) return std::nullopt;
    return in(node, 0);
}

// --x -> x
std::optional<Var> neg_neg(const Apply& node) {
    if (scalar_op_of(node) != S::neg) return std::nullopt;
    if (const ApplyPtr inner = elemwise_owner(node.inputs()[0], S::neg)) return Var(inner->inputs()[0]);
    return std::nullopt;
}

// a - (-b) -> a + b;  -(a - b) -> b - a
std::optional<Var> sub_neg(const Apply& node) {
    const auto op = scalar_op_of(node);
    if (op == S::sub)
        if (const ApplyPtr negated = elemwise_owner(node.inputs()[1], S::neg)) return in(node, 0) + Var(negated->inputs()[0]);
    if (op == S::neg)
        if (const ApplyPtr difference = elemwise_owner(node.inputs()[0], S::sub))
            return Var(difference->inputs()[1]) - Var(difference->inputs()[0]);
    return std::nullopt;
}

// x ** 1 -> x;  x ** 0 -> ones
std::optional<Var> pow_canonicalize(const Apply& node) {
    if (scalar_op_of(node) != S::pow) return std::nullopt;
    if (is_constant_equal(node.inputs()[1], 1)) return cast(in(node, 0), node.output(0)->type().dtype());
    if (is_constant_equal(node.inputs()[1], 0))
        return fill(in(node, 0), constant_of(1, node.output(0)->type().dtype()));
    return std::nullopt;
}

// x * c -> c * x (constants first), and c1 * (c2 * x) -> (c1 * c2) * x
std::optional<Var> mul_constants_first(const Apply& node) {
    if (scalar_op_of(node) != S::mul) return std::nullopt;
    const VariablePtr& a = node.inputs()[0];
    const VariablePtr& b = node.inputs()[1];
    if (b->is_constant() && !a->is_constant()) return in(node, 1) * in(node, 0);
    if (a->is_constant())
        if (const ApplyPtr inner = elemwise_owner(b, S::mul); inner && inner->inputs()[0]->is_constant())
            return (in(node, 0) * Var(inner->inputs()[0])) * Var(inner->inputs()[1]);
    return std::nullopt;
}

// fill(model, value) -> value when value already has the result's type
// (as Theano, this drops the check that model's shape agrees).
std::optional<Var> useless_fill(const Apply& node) {
    if (scalar_op_of(node) != S::second) return std::nullopt;
    if (node.inputs()[1]->type() != node.output(0)->type()) return std::nullopt;
    return in(node, 1);
}

// fill(f(u), v) -> fill(u, v) for a unary elementwise f: the model gives
// only its shape, which is u's, so f(u) need not be computed for it (and a
// reduction of f(u) can then fuse with f).
std::optional<Var> fill_model_before_unary(const Apply& node) {
    if (scalar_op_of(node) != S::second) return std::nullopt;
    const VariablePtr& model = node.inputs()[0];
    const ApplyPtr owner = model->owner();
    if (!owner || owner->inputs().size() != 1 || !scalar_op_of(*owner)) return std::nullopt;
    const VariablePtr& u = owner->inputs()[0];
    if (u->type().broadcastable() != model->type().broadcastable()) return std::nullopt;
    Var filled = fill(Var(u), in(node, 1));
    if (filled.type() != node.output(0)->type()) return std::nullopt;
    return filled;
}

// x - x -> 0 for integers (for floats, inf - inf is NaN)
std::optional<Var> sub_self(const Apply& node) {
    if (scalar_op_of(node) != S::sub || node.inputs()[0] != node.inputs()[1]) return std::nullopt;
    if (is_float(node.output(0)->type().dtype())) return std::nullopt;
    return zeros_like(in(node, 0));
}

// cast(cast(x, wider), t) -> cast(x, t) when the first cast loses nothing
std::optional<Var> cast_cast(const Apply& node) {
    if (!op_of<Cast>(node) || !op_of<Cast>(node.inputs()[0])) return std::nullopt;
    const ApplyPtr inner = node.inputs()[0]->owner();
    const Var x(inner->inputs()[0]);
    const DType middle = node.inputs()[0]->type().dtype();
    if (promote(x.dtype(), middle) != middle) return std::nullopt;
    return cast(x, node.output(0)->type().dtype());
}

// x.shape[k] -> the k-th dimension its op infers from its inputs' shapes
std::optional<Var> shape_of_computed(const Apply& node) {
    const auto* op = dynamic_cast<const ShapeI*>(&node.op());
    if (!op) return std::nullopt;
    const ApplyPtr owner = node.inputs()[0]->owner();
    if (!owner) return std::nullopt;
    std::vector<SymbolicShape> input_shapes;
    for (const VariablePtr& input : owner->inputs()) input_shapes.push_back(shape_dims(Var(input)));
    const std::vector<SymbolicShape> inferred = owner->op().infer_shape(*owner, input_shapes);
    if (inferred.empty()) return std::nullopt;
    return cast(Var(inferred[node.inputs()[0]->index()][op->axis()]), DType::int64);
}

// shape(x)[k] -> Shape_i{k}(x): one spelling of one dimension, so rules
// that look for len(y) see every way of writing it
std::optional<Var> shape_i_from_shape(const Apply& node) {
    const Subtensor* op = op_of<Subtensor>(node);
    if (!op || op->entries().size() != 1 || op->entries()[0].is_slice || !op_of<ShapeOp>(node.inputs()[0]))
        return std::nullopt;
    const std::optional<double> k = constant_scalar(node.inputs()[1]);
    const VariablePtr& x = node.inputs()[0]->owner()->inputs()[0];
    const int ndim = x->type().ndim();
    if (!k || *k != static_cast<int>(*k) || *k < -ndim || *k >= ndim) return std::nullopt;
    return shape_i(Var(x), static_cast<int>(*k));
}

// x[:, :] -> x
std::optional<Var> useless_subtensor(const Apply& node) {
    const auto* op = dynamic_cast<const Subtensor*>(&node.op());
    if (!op) return std::nullopt;
    for (const IndexEntry& e : op->entries())
        if (!e.is_slice || e.has_start || e.has_stop || e.has_step) return std::nullopt;
    return Var(node.inputs()[0]);
}

// x * 0 -> 0 for integers (for floats, inf * 0 is NaN)
std::optional<Var> mul_by_zero(const Apply& node) {
    if (scalar_op_of(node) != S::mul || is_float(node.output(0)->type().dtype())) return std::nullopt;
    for (int side : {0, 1})
        if (is_constant_equal(node.inputs()[side], 0))
            return fill(Var(node.inputs()[1 - side]), constant_of(0, node.output(0)->type().dtype()));
    return std::nullopt;
}

// x + c -> c + x, c1 + (c2 + x) -> (c1 + c2) + x
std::optional<Var> add_constants_first(const Apply& node) {
    if (scalar_op_of(node) != S::add) return std::nullopt;
    const VariablePtr& a = node.inputs()[0];
    const VariablePtr& b = node.inputs()[1];
    if (b->is_constant() && !a->is_constant()) return in(node, 1) + in(node, 0);
    if (a->is_constant())
        if (const ApplyPtr inner = elemwise_owner(b, S::add); inner && inner->inputs()[0]->is_constant())
            return (in(node, 0) + Var(inner->inputs()[0])) + Var(inner->inputs()[1]);
    return std::nullopt;
}

// DimShuffle(f(a, b)) -> f(DimShuffle(a), DimShuffle(b)) when only the
// DimShuffle reads f's result, so layout changes gather at the inputs.
std::optional<Var> dimshuffle_lift(const Apply& node, const RewriteContext& context) {
    const auto* op = dynamic_cast<const DimShuffle*>(&node.op());
    if (!op) return std::nullopt;
    const VariablePtr& source = node.inputs()[0];
    const ApplyPtr inner = source->owner();
    if (!inner || !scalar_op_of(*inner) || context.clients(source) != 1) return std::nullopt;
    std::vector<Var> inputs;
    for (const VariablePtr& input : inner->inputs()) inputs.push_back(dimshuffle(Var(input), op->new_order()));
    return elemwise(*scalar_op_of(*inner), inputs);
}

// reshape(reshape(x, s1), s2) -> reshape(x, s2)
std::optional<Var> reshape_chain(const Apply& node) {
    if (!op_of<Reshape>(node) || !op_of<Reshape>(node.inputs()[0])) return std::nullopt;
    const ApplyPtr inner = node.inputs()[0]->owner();
    std::vector<VariablePtr> inputs = node.inputs();
    inputs[0] = inner->inputs()[0];
    return Var(Apply::make(node.op_ptr(), std::move(inputs), {node.output(0)->type()})->output(0));
}

} // namespace

std::vector<Rewrite> canonicalize() {
    using P = RewritePhase;
    return {
        {"useless_dimshuffle", P::canonicalize, "DimShuffle{0,1,...}(x) -> x", node_only(useless_dimshuffle)},
        {"merge_dimshuffles", P::canonicalize, "DimShuffle(DimShuffle(x)) -> DimShuffle(x)", node_only(merge_dimshuffles)},
        {"mul_by_one", P::canonicalize, "x * 1 -> x", node_only(mul_by_one)},
        {"add_zero", P::canonicalize, "x + 0 -> x, x - 0 -> x", node_only(add_zero)},
        {"div_by_one", P::canonicalize, "x / 1 -> x", node_only(div_by_one)},
        {"neg_neg", P::canonicalize, "-(-x) -> x", node_only(neg_neg)},
        {"sub_neg", P::canonicalize, "a - (-b) -> a + b, -(a - b) -> b - a", node_only(sub_neg)},
        {"pow_canonicalize", P::canonicalize, "x ** 1 -> x, x ** 0 -> 1", node_only(pow_canonicalize)},
        {"mul_constants_first", P::canonicalize, "x * c -> c * x, c1 * (c2 * x) -> (c1 * c2) * x", node_only(mul_constants_first)},
        {"useless_fill", P::canonicalize, "fill(m, v) -> v when v has the result's type", node_only(useless_fill)},
        {"fill_model_before_unary", P::canonicalize, "fill(f(u), v) -> fill(u, v) for unary elementwise f",
         node_only(fill_model_before_unary)},
        {"sub_self", P::canonicalize, "x - x -> 0 (integers)", node_only(sub_self)},
        {"cast_cast", P::canonicalize, "cast(cast(x, wider), t) -> cast(x, t)", node_only(cast_cast)},
        {"shape_of_computed", P::canonicalize, "f(x).shape[k] -> the k-th dimension f infers from x.shape",
         node_only(shape_of_computed)},
        {"shape_i_from_shape", P::canonicalize, "shape(x)[k] -> Shape_i{k}(x)", node_only(shape_i_from_shape)},
        {"useless_subtensor", P::canonicalize, "x[:, :] -> x", node_only(useless_subtensor)},
        {"mul_by_zero", P::canonicalize, "x * 0 -> 0 (integers)", node_only(mul_by_zero)},
        {"add_constants_first", P::canonicalize, "x + c -> c + x, c1 + (c2 + x) -> (c1 + c2) + x",
         node_only(add_constants_first)},
        {"reshape_chain", P::canonicalize, "reshape(reshape(x, s1), s2) -> reshape(x, s2)", node_only(reshape_chain)},
        {"dimshuffle_lift", P::canonicalize, "DimShuffle(f(a, b)) -> f(DimShuffle(a), DimShuffle(b)), one reader",
         dimshuffle_lift},
    };
}

} // namespace kiln::rewrites
