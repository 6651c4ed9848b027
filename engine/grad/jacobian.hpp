// Jacobians and Hessians: one reverse-mode gradient per element of a vector
// expression, stacked.
#pragma once

#include "../api/var.hpp"

namespace kiln {

/// Evaluates the gradient graph `seed_grad` (a function of `seed`, linear in
/// it) once per element of y with seed set to that element's one-hot
/// vector, and stacks the results. inputs: y, then the graph's free inputs.
class JacobianOp : public Op {
public:
    JacobianOp(VariablePtr seed, VariablePtr seed_grad, std::vector<VariablePtr> free_inputs, VariablePtr wrt)
        : seed_(std::move(seed)), seed_grad_(std::move(seed_grad)), free_inputs_(std::move(free_inputs)),
          wrt_(std::move(wrt)) {}

    /// The inner graph: seed_grad, a function of seed and the free inputs.
    const VariablePtr& seed() const { return seed_; }
    const VariablePtr& seed_grad() const { return seed_grad_; }
    const std::vector<VariablePtr>& free_inputs() const { return free_inputs_; }
    const VariablePtr& wrt() const { return wrt_; }

    std::string kind() const override { return "Jacobian"; }
    std::string params() const override;
    std::string name() const override { return "Jacobian"; }
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;

private:
    VariablePtr seed_, seed_grad_;
    std::vector<VariablePtr> free_inputs_;
    VariablePtr wrt_;
};

/// d y[i] / d wrt for a vector y: shape (len(y),) + wrt's shape.
Var jacobian(const Var& y, const Var& wrt);
/// The matrix (or tensor) of second derivatives of a scalar cost.
Var hessian(const Var& cost, const Var& wrt);

} // namespace kiln
