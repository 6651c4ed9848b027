// Neural-network ops: softmax and log-softmax (row-wise, stable), and the
// crossentropies written from them.
#pragma once

#include "../api/var.hpp"

namespace kiln {

class Softmax : public Op {
public:
    explicit Softmax(bool log) : log_(log) {}
    /// log_softmax rather than softmax.
    bool log() const { return log_; }
    std::string kind() const override { return "Softmax"; }
    std::string params() const override { return log_ ? "log" : "plain"; }
    std::string name() const override { return log_ ? "LogSoftmax" : "Softmax"; }
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    bool log_;
};

/// -log_softmax(x)[i, y[i]] for each label: the negative log-likelihood of
/// integer labels under row-wise softmax, in one stable pass. Rows of x past
/// the number of labels are ignored (as LP[arange(len(y)), y] ignores them).
class CrossentropySoftmax : public Op {
public:
    std::string kind() const override { return "CrossentropySoftmax"; }
    std::string params() const override { return {}; }
    std::string name() const override { return "CrossentropySoftmax1Hot"; }
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
};

/// Its gradient with respect to x: g[i] * (softmax(x[i]) - onehot(y[i])).
/// inputs: g, x, y.
class CrossentropySoftmaxDx : public Op {
public:
    std::string kind() const override { return "CrossentropySoftmaxDx"; }
    std::string params() const override { return {}; }
    std::string name() const override { return "CrossentropySoftmax1HotDx"; }
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
};

/// The fused negative log-likelihood (see CrossentropySoftmax).
Var crossentropy_softmax(const Var& x, const Var& y);
/// The gradient of crossentropy_softmax(x, y) with respect to x, given dy,
/// the gradient with respect to its output.
Var crossentropy_softmax_dx(const Var& dy, const Var& x, const Var& y);

/// exp(x) / sum(exp(x)) along the last axis (each row of a matrix, as in
/// Theano), computed as exp(x - max) so large inputs do not overflow.
Var softmax(const Var& x);
/// log(softmax(x)) computed as x - max - log(sum(exp(x - max))).
Var log_softmax(const Var& x);
/// Theano's name for log_softmax.
Var logsoftmax(const Var& x);
/// softmax(x + b), b a vector added to each row (Theano's softmax_with_bias).
Var softmax_with_bias(const Var& x, const Var& b);
/// -log(coding_dist[i, true_dist[i]]) for integer labels, or
/// -sum(true_dist * log(coding_dist), axis=1) for one-hot rows.
Var categorical_crossentropy(const Var& coding_dist, const Var& true_dist);
/// -(target * log(output) + (1 - target) * log(1 - output)).
Var binary_crossentropy(const Var& output, const Var& target);
/// binary_crossentropy(sigmoid(logits), target) in the form that stays
/// finite: target * softplus(-logits) + (1 - target) * softplus(logits).
Var sigmoid_binary_crossentropy(const Var& logits, const Var& target);

} // namespace kiln
