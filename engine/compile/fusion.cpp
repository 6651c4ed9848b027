#include "fusion.hpp"

#include "../ops/cast.hpp"
#include "../ops/dimshuffle.hpp"
#include "../ops/elemwise.hpp"
#include "../ops/nnet.hpp"
#include "../ops/reduce.hpp"

#include "../../ir/errors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

namespace kiln {

namespace {

// A fused node as schedules name it: its scalar op ("exp"), else its op.
std::string node_name(const Apply& node) {
    const auto scalar_op = elemwise_scalar_op(node);
    return scalar_op ? std::string(scalar_op_info(*scalar_op).name) : node.op().name();
}

// The node and what it computes: "exp -> TensorType(float64, matrix)".
std::string node_label(const Apply& node) { return node_name(node) + " -> " + node.output(0)->type().str(); }

bool fusable(const Apply& node) {
    if (node.num_outputs() != 1) return false;
    const bool elementwise = elemwise_scalar_op(node).has_value() || dynamic_cast<const Cast*>(&node.op());
    if (!elementwise) return false;
    for (const VariablePtr& input : node.inputs())
        if (input->type().ndim() != node.output(0)->type().ndim()) return false;
    return true;
}

const Reduce* as_reduce(const Apply& node) { return dynamic_cast<const Reduce*>(&node.op()); }
const DimShuffle* as_view(const Apply& node) { return dynamic_cast<const DimShuffle*>(&node.op()); }
const Softmax* as_softmax(const Apply& node) { return dynamic_cast<const Softmax*>(&node.op()); }

// A constant read as one value for the whole loop.
bool is_scalar_constant(const Variable& v) {
    return v.is_constant() && v.constant_value().size() == 1;
}

// The crossentropy kernel picks elements from x's buffer with labels from
// their own buffer: neither may be a constant folded into the kernel.
bool is_crossentropy_op(const Apply& node) {
    return dynamic_cast<const CrossentropySoftmax*>(&node.op()) || dynamic_cast<const CrossentropySoftmaxDx*>(&node.op());
}
bool is_crossentropy(const Apply& node) {
    return is_crossentropy_op(node) && std::none_of(node.inputs().begin(), node.inputs().end(),
                              [](const VariablePtr& input) { return is_scalar_constant(*input); });
}
// argmax/argmin along the last axis (or of a vector): a row kernel.
const ArgReduce* as_row_arg_reduce(const Apply& node) {
    const auto* arg = dynamic_cast<const ArgReduce*>(&node.op());
    if (!arg) return nullptr;
    const int ndim = node.inputs()[0]->type().ndim();
    const bool along_rows = arg->axis() ? *arg->axis() == ndim - 1 : ndim == 1;
    return along_rows && ndim > 0 && !is_scalar_constant(*node.inputs()[0]) ? arg : nullptr;
}

bool is_crossentropy_gradient(const Apply& node) {
    return dynamic_cast<const CrossentropySoftmaxDx*>(&node.op()) != nullptr;
}

// Nodes a loop can end in besides elementwise ones: a reduction (a
// reduction loop), softmax (a row kernel: a pass for the row's maximum,
// one for the sum of exponentials, one writing the result), and the
// crossentropy of softmax with integer labels and its gradient (row kernels
// reading each row's labelled element), and argmax/argmin along rows.
bool loop_sink(const Apply& node) {
    return fusable(node) || as_reduce(node) || as_softmax(node) || is_crossentropy(node) || as_row_arg_reduce(node);
}

// Why `node` is not a loop of its own making: "" for a loop sink.
std::string why_not_a_loop(const Apply& node) {
    if (loop_sink(node)) return {};
    if (node.num_outputs() != 1) return "it has " + std::to_string(node.num_outputs()) + " outputs; loops compute one per node";
    if (is_crossentropy_op(node))
        return "an input is a constant, which the crossentropy kernel cannot read elements from";
    if (dynamic_cast<const ArgReduce*>(&node.op())) return "argmax and argmin fuse only along the last axis of a tensor that is no constant";
    if (elemwise_scalar_op(node) || dynamic_cast<const Cast*>(&node.op()))
        return "an input has another rank than its output";
    if (as_view(node)) return "a view: it folds into a loop only when that loop alone reads it";
    return node.op().name() + " is not elementwise, a reduction or a row kernel: it runs as a call of its own";
}

// The type of a loop ending in `sink`: what it iterates over.
const TensorType& loop_type_of(const Apply& sink) {
    if (as_reduce(sink) || as_row_arg_reduce(sink)) return sink.inputs()[0]->type();
    if (is_crossentropy(sink)) return sink.inputs()[is_crossentropy_gradient(sink) ? 1 : 0]->type();
    return sink.output(0)->type();
}


// Constants that change the generated code stay literals: 0, 1, -1 and
// small integral exponents (x**2 becomes a multiplication). Any other
// scalar constant is a kernel parameter, so graphs that differ only in, say,
// a learning rate share one kernel.
bool stays_literal(double value, bool is_exponent) {
    if (value == 0 || value == 1 || value == -1) return true;
    return is_exponent && (value == 0.5 || (std::abs(value) <= 4 && value == std::trunc(value)));
}

double as_double(const Array& a) {
    return visit_dtype(a.dtype(), [&](auto tag) { return static_cast<double>(a.value_at<decltype(tag)>(0)); });
}

std::int64_t as_integer(const Array& a) { return a.value_at<std::int64_t>(0); }

class LoopBuilder {
public:
    /// `outputs`: what the loop must write, the last node's output last.
    LoopBuilder(std::vector<ApplyPtr> nodes, std::vector<VariablePtr> outputs) {
        loop_.nodes = std::move(nodes);
        loop_.outputs = std::move(outputs);
        const TensorType& type = loop_type_of(*loop_.nodes.back());
        inner_broadcast_ = type.ndim() > 0 && type.broadcastable().back();
        loop_rank_ = type.ndim();
    }

    FusedLoop build() {
        for (const ApplyPtr& node : loop_.nodes) {
            if (const Reduce* reduce = as_reduce(*node)) {
                const int value = value_of(node->inputs()[0], false);
                loop_.kernel.add_reduction(loop_.kernel.cast(value, reduce->acc_dtype()), reduce->reduce_kind());
                loop_.reduced.assign(static_cast<std::size_t>(node->inputs()[0]->type().ndim()), false);
                for (int axis : reduce->axes()) loop_.reduced[static_cast<std::size_t>(axis)] = true;
                return std::move(loop_);
            }
            if (const ArgReduce* arg = as_row_arg_reduce(*node)) {
                values_[node->output(0).get()] = arg_reduce_of(value_of(node->inputs()[0], false), arg->is_max());
                continue;
            }
            if (is_crossentropy_gradient(*node)) {
                const int gradient = value_of(node->inputs()[0], false);
                const int labels = value_of(node->inputs()[2], false);
                const int x = value_of(node->inputs()[1], false);
                values_[node->output(0).get()] =
                    crossentropy_gradient_of(gradient, x, labels, node->output(0)->type().dtype());
                continue;
            }
            if (is_crossentropy(*node)) {
                const int labels = value_of(node->inputs()[1], false);
                const int x = value_of(node->inputs()[0], false);
                values_[node->output(0).get()] = crossentropy_of(x, labels, node->output(0)->type().dtype());
                continue;
            }
            if (const DimShuffle* view = as_view(*node)) {
                // Folded: the loop reads the view's source through its order.
                values_[node->output(0).get()] = add_input(node->inputs()[0], view->new_order(), node->output(0)->type());
                continue;
            }
            if (const Softmax* softmax = as_softmax(*node)) {
                values_[node->output(0).get()] = softmax_of(value_of(node->inputs()[0], false), softmax->log(),
                                                            node->output(0)->type().dtype());
                continue;
            }
            std::vector<int> operands;
            const auto scalar_op = elemwise_scalar_op(*node);
            for (std::size_t i = 0; i < node->inputs().size(); ++i)
                operands.push_back(value_of(node->inputs()[i], scalar_op == ScalarOp::pow && i == 1));
            const VariablePtr& out = node->output(0);
            values_[out.get()] = scalar_op ? loop_.kernel.apply(*scalar_op, operands, out->type().dtype())
                                           : loop_.kernel.cast(operands[0], out->type().dtype());
        }
        for (const VariablePtr& output : loop_.outputs) loop_.kernel.add_output(values_.at(output.get()));
        return std::move(loop_);
    }

private:
    // What every softmax-like kernel computes over a row of x first: the
    // row's maximum, x shifted by it, the exponentials, and their sum in
    // float64 (as the interpreter sums them).
    struct RowExponentials {
        int top, shifted, exponential, total;
    };
    RowExponentials row_exponentials(int x, DType dtype) {
        using S = ScalarOp;
        Kernel& k = loop_.kernel;
        RowExponentials row{};
        row.top = k.row_reduce(x, ReduceKind::max);
        row.shifted = k.apply(S::sub, {x, row.top}, dtype);
        row.exponential = k.apply(S::exp, {row.shifted}, dtype);
        row.total = k.row_reduce(k.cast(row.exponential, DType::float64), ReduceKind::sum);
        return row;
    }

    // Softmax: the exponentials times the reciprocal of their sum (or, for
    // log_softmax, the shifted row minus the sum's log).
    int softmax_of(int x, bool log, DType dtype) {
        using S = ScalarOp;
        Kernel& k = loop_.kernel;
        const DType f64 = DType::float64;
        const RowExponentials row = row_exponentials(x, dtype);
        if (log) return k.apply(S::sub, {row.shifted, k.cast(k.apply(S::log, {row.total}, f64), dtype)}, dtype);
        return k.apply(S::mul, {row.exponential, k.cast(k.apply(S::inv, {row.total}, f64), dtype)}, dtype);
    }

    // -log(softmax(x)[label]) per row, in float64 as the interpreter: the
    // sum's log minus the labelled element shifted by the row's maximum.
    // x is a loop input (nothing fuses into it), so the element is read from
    // its buffer.
    int crossentropy_of(int x, int labels, DType dtype) {
        using S = ScalarOp;
        Kernel& k = loop_.kernel;
        const DType f64 = DType::float64;
        const RowExponentials row = row_exponentials(x, dtype);
        const int picked = k.row_gather(k.values()[static_cast<std::size_t>(x)].index, k.row_index(labels));
        const int shifted_pick = k.apply(S::sub, {k.cast(picked, f64), k.cast(row.top, f64)}, f64);
        return k.cast(k.apply(S::sub, {k.apply(S::log, {row.total}, f64), shifted_pick}, f64), dtype);
    }

    // g * (softmax(x) - onehot(label)) per row, in float64 as the interpreter.
    int crossentropy_gradient_of(int gradient, int x, int labels, DType dtype) {
        using S = ScalarOp;
        Kernel& k = loop_.kernel;
        const DType f64 = DType::float64;
        const RowExponentials row = row_exponentials(x, dtype);
        const int probability =
            k.apply(S::mul, {k.cast(row.exponential, f64), k.apply(S::inv, {row.total}, f64)}, f64);
        const int g = k.cast(gradient, f64);
        const int labelled = k.apply(S::eq, {k.position(), k.row_index(labels)}, DType::bool_);
        const int onehot = k.apply(S::where, {labelled, g, k.literal(f64, 0, 0)}, f64);
        return k.cast(k.apply(S::sub, {k.apply(S::mul, {g, probability}, f64), onehot}, f64), dtype);
    }

    // The first position holding the row's maximum (minimum), or its first
    // NaN: NaN wins max and min alike, as in NumPy.
    int arg_reduce_of(int x, bool is_max) {
        using S = ScalarOp;
        Kernel& k = loop_.kernel;
        const DType dtype = k.values()[static_cast<std::size_t>(x)].dtype;
        const int extreme = k.row_reduce(x, is_max ? ReduceKind::max : ReduceKind::min);
        int hit = k.apply(S::eq, {x, extreme}, DType::bool_);
        if (is_float(dtype)) hit = k.apply(S::or_, {hit, k.apply(S::isnan, {x}, DType::bool_)}, DType::bool_);
        const int beyond = k.literal(DType::int64, 0, std::numeric_limits<std::int64_t>::max());
        return k.row_reduce(k.apply(S::where, {hit, k.position(), beyond}, DType::int64), ReduceKind::min);
    }

    // A loop input read as the type `type` (broadcast along the innermost
    // dimension: read once per run).
    int add_input(const VariablePtr& v, std::vector<int> order, const TensorType& type) {
        // A row kernel's per-row input (labels) has no row dimension.
        const bool per_row = type.ndim() < loop_rank_;
        const bool broadcast_inner =
            !inner_broadcast_ && (per_row || (type.ndim() > 0 && type.broadcastable().back()));
        loop_.inputs.push_back(v);
        loop_.input_orders.push_back(std::move(order));
        return loop_.kernel.load(loop_.kernel.add_input(v->type().dtype(), broadcast_inner));
    }

    int value_of(const VariablePtr& v, bool is_exponent) {
        if (auto found = values_.find(v.get()); found != values_.end()) return found->second;
        int value;
        if (is_scalar_constant(*v)) {
            const Array& constant = v->constant_value();
            const double real = as_double(constant);
            if (stays_literal(real, is_exponent)) {
                value = loop_.kernel.literal(constant.dtype(), real, as_integer(constant));
            } else {
                loop_.params.push_back(v);
                value = loop_.kernel.param(loop_.kernel.add_param(constant.dtype()));
            }
        } else {
            value = add_input(v, {}, v->type());
        }
        values_[v.get()] = value;
        return value;
    }

    FusedLoop loop_;
    bool inner_broadcast_ = false;
    int loop_rank_ = 0;
    std::unordered_map<const Variable*, int> values_;
};

} // namespace

std::vector<Step> one_step_per_node(const std::vector<ApplyPtr>& schedule) {
    std::vector<Step> steps;
    for (const ApplyPtr& node : schedule) steps.emplace_back(std::in_place_type<OpStep>, OpStep{node, {}});
    return steps;
}

std::vector<Step> fuse(const std::vector<ApplyPtr>& schedule, const std::vector<VariablePtr>& roots) {
    std::unordered_map<const Variable*, std::vector<const Apply*>> clients;
    for (const ApplyPtr& node : schedule)
        for (const VariablePtr& input : node->inputs()) clients[input.get()].push_back(node.get());
    std::unordered_set<const Variable*> read_outside;
    for (const VariablePtr& root : roots) read_outside.insert(root.get());

    std::unordered_map<const Apply*, std::size_t> position;
    for (std::size_t i = 0; i < schedule.size(); ++i) position[schedule[i].get()] = i;

    // Groups grow from their last node (the sink) towards producers of the
    // same loop shape. A group runs where its sink was scheduled, so a
    // producer joins when every reader outside the group comes after the
    // sink; what such readers need becomes another output of the loop. A
    // reduction has one output, so its producers join only when nothing
    // outside reads them.
    std::unordered_map<const Apply*, int> group_of;
    std::vector<std::vector<const Apply*>> groups;
    // Per group, the producers that did not join it, with the reason.
    std::vector<std::unordered_map<const Apply*, std::string>> declined;
    for (auto it = schedule.rbegin(); it != schedule.rend(); ++it) {
        const Apply* sink = it->get();
        if (group_of.count(sink) || !loop_sink(*sink)) continue;
        const int group = static_cast<int>(groups.size());
        groups.push_back({sink});
        declined.emplace_back();
        group_of[sink] = group;
        auto decline = [&](const ApplyPtr& producer, std::string why) { declined[group][producer.get()] = std::move(why); };
        auto join = [&](const ApplyPtr& producer) {
            group_of[producer.get()] = group;
            groups[group].push_back(producer.get());
            declined[group].erase(producer.get());
        };
        // The crossentropy picks elements from its input buffer: nothing fuses into it.
        if (is_crossentropy(*sink)) {
            for (const VariablePtr& input : sink->inputs())
                if (input->owner())
                    decline(input->owner(), "the crossentropy reads elements from its input buffers, so nothing fuses into it");
            continue;
        }
        const TensorType& loop_type = loop_type_of(*sink);
        const bool reduction = as_reduce(*sink) != nullptr;
        auto in_group = [&](const Apply* reader) {
            auto found = group_of.find(reader);
            return found != group_of.end() && found->second == group;
        };
        auto may_read = [&](const Apply* reader) {
            return in_group(reader) || (!reduction && position.at(reader) > position.at(sink));
        };
        for (bool grew = true; grew;) {
            grew = false;
            for (std::size_t k = 0; k < groups[group].size(); ++k) {
                // A folded view's source is read from its buffer: nothing grows through it.
                if (as_view(*groups[group][k])) continue;
                for (const VariablePtr& input : groups[group][k]->inputs()) {
                    const ApplyPtr producer = input->owner();
                    if (!producer || group_of.count(producer.get())) continue;
                    // A view of the loop's rank that only the loop reads folds into
                    // the strides the loop reads its source with.
                    if (const auto* view = as_view(*producer)) {
                        const auto& readers = clients[input.get()];
                        if (view->new_order().size() != loop_type.broadcastable().size())
                            decline(producer, "a view of another rank than the loop's");
                        else if (read_outside.count(input.get()))
                            decline(producer, "the view is an output of the function");
                        else if (is_scalar_constant(*producer->inputs()[0]))
                            decline(producer, "a view of a constant, which the loop reads as a value");
                        else if (!std::all_of(readers.begin(), readers.end(), in_group))
                            decline(producer, "the view is also read outside the loop");
                        else {
                            join(producer);
                            grew = true;
                        }
                        continue;
                    }
                    if (!fusable(*producer)) {
                        // An op step says why itself; a loop's last node ends that loop.
                        if (loop_sink(*producer))
                            decline(producer, "it ends a loop of its own, whose result this loop reads from memory");
                        continue;
                    }
                    const auto& readers = clients[input.get()];
                    if (reduction && read_outside.count(input.get())) {
                        decline(producer, "its result is an output of the function, and a reduction loop writes only "
                                          "its reduction");
                    } else if (input->type().broadcastable() != loop_type.broadcastable()) {
                        decline(producer, "its result has another loop shape (broadcastable pattern " +
                                              input->type().str() + ", the loop's " + loop_type.str() + ")");
                    } else if (!std::all_of(readers.begin(), readers.end(), may_read)) {
                        decline(producer, reduction ? "its result is read by another step, and a reduction loop "
                                                      "writes only its reduction"
                                                    : "its result is read by a step that runs before this loop");
                    } else {
                        join(producer);
                        grew = true;
                    }
                }
            }
        }
    }

    // A group runs where its sink was scheduled.
    std::unordered_map<const Apply*, std::vector<ApplyPtr>> members;
    for (const ApplyPtr& node : schedule)
        if (auto found = group_of.find(node.get()); found != group_of.end())
            members[groups[found->second].front()].push_back(node);
    auto outputs_of = [&](const std::vector<ApplyPtr>& nodes) {
        std::vector<VariablePtr> outputs;
        for (std::size_t k = 0; k + 1 < nodes.size(); ++k) {
            const VariablePtr& out = nodes[k]->output(0);
            const int group = group_of.at(nodes[k].get());
            const auto& readers = clients[out.get()];
            const bool read_elsewhere = read_outside.count(out.get()) > 0 ||
                                        std::any_of(readers.begin(), readers.end(),
                                                    [&](const Apply* reader) { return group_of.count(reader) == 0 || group_of.at(reader) != group; });
            if (read_elsewhere) outputs.push_back(out);
        }
        outputs.push_back(nodes.back()->output(0));
        return outputs;
    };
    // A group's declines in schedule order.
    auto declines_of = [&](int group) {
        std::vector<std::pair<std::size_t, std::string>> ordered;
        for (const auto& [producer, why] : declined[group])
            ordered.emplace_back(position.at(producer), node_label(*producer) + ": " + why);
        std::sort(ordered.begin(), ordered.end());
        std::vector<std::string> texts;
        for (auto& [at, text] : ordered) texts.push_back(std::move(text));
        return texts;
    };
    std::vector<Step> steps;
    for (const ApplyPtr& node : schedule) {
        auto found = group_of.find(node.get());
        if (found == group_of.end()) {
            steps.emplace_back(std::in_place_type<OpStep>, OpStep{node, why_not_a_loop(*node)});
        } else if (groups[found->second].front() == node.get()) {
            const std::vector<ApplyPtr>& nodes = members.at(node.get());
            FusedLoop loop = LoopBuilder(nodes, outputs_of(nodes)).build();
            loop.declined = declines_of(found->second);
            steps.push_back(std::move(loop));
        }
    }
    return steps;
}

std::string step_text(const Step& step) {
    if (const auto* op = std::get_if<OpStep>(&step)) return "op " + op->node->op().name();
    const auto& loop = std::get<FusedLoop>(step);
    std::string text = "loop [";
    for (std::size_t k = 0; k < loop.nodes.size(); ++k) text += (k > 0 ? ", " : "") + node_name(*loop.nodes[k]);
    text += "] ->";
    for (std::size_t k = 0; k < loop.outputs.size(); ++k) text += (k > 0 ? ", " : " ") + loop.outputs[k]->type().str();
    return text;
}

std::string steps_text(const std::vector<Step>& steps) {
    std::string text;
    for (std::size_t i = 0; i < steps.size(); ++i) text += "#" + std::to_string(i) + " " + step_text(steps[i]) + "\n";
    return text;
}

TensorType loop_input_type(const FusedLoop& loop, std::size_t k) {
    const TensorType& type = loop.inputs[k]->type();
    const std::vector<int>& order = loop.input_orders[k];
    if (order.empty()) return type;
    std::vector<bool> broadcastable;
    for (int axis : order)
        broadcastable.push_back(axis == DimShuffle::new_axis || type.broadcastable()[static_cast<std::size_t>(axis)]);
    return TensorType(type.dtype(), broadcastable);
}

} // namespace kiln
