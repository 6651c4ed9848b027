// Elemwise: a scalar operation applied element by element with broadcasting
// (Theano's Elemwise{add,no_inplace} and friends).
#pragma once

#include "scalar_ops.hpp"

#include "../api/var.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kiln {

class Elemwise : public Op {
public:
    explicit Elemwise(ScalarOp scalar_op) : scalar_op_(scalar_op) {}

    ScalarOp scalar_op() const { return scalar_op_; }

    std::string kind() const override { return "Elemwise"; }
    std::string params() const override;
    std::string name() const override;
    std::string pp(const Apply& node, const std::vector<std::string>& inputs) const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;

private:
    ScalarOp scalar_op_;
};

/// Applies a scalar op to variables, inserting DimShuffles that left-pad
/// lower-rank inputs with broadcastable dimensions, as Theano does.
Var elemwise(ScalarOp op, std::vector<Var> inputs);

/// The scalar op of an Elemwise node, or nothing for other nodes.
std::optional<ScalarOp> elemwise_scalar_op(const Apply& node);

} // namespace kiln
