// Identity ops that change only the gradient flowing through them (Theano's
// theano.gradient helpers): zero_grad, grad_scale, grad_clip, undefined_grad.
// disconnected_grad and consider_constant are stop_gradient (grad.hpp).
// Compiled graphs drop them once the gradients are built.
#pragma once

#include "../api/var.hpp"

namespace kiln {

class GradientModifier : public Op {
public:
    enum class Mode { zero, scale, clip, undefined };
    GradientModifier(Mode mode, double first = 0, double second = 0) : mode_(mode), first_(first), second_(second) {}
    Mode mode() const { return mode_; }

    std::string kind() const override { return "GradientModifier"; }
    /// "zero", "scale=2.5", "clip=-1:1" or "undefined" (shortest round-trip numbers).
    std::string params() const override;
    std::string name() const override;
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;

    /// The op its params() text describes; ValueError for any other text.
    static std::shared_ptr<GradientModifier> from_params(std::string_view params);

private:
    Mode mode_;
    double first_, second_;
};

/// x, with a zero gradient (still connected: grad() returns zeros, not an error).
Var zero_grad(const Var& x);
/// x, with its gradient multiplied by `multiplier`.
Var grad_scale(const Var& x, double multiplier);
/// x, with its gradient clipped to [lower, upper]; ValueError if lower > upper.
Var grad_clip(const Var& x, double lower, double upper);
/// x, whose gradient is undefined: grad() through it raises GradientError.
Var undefined_grad(const Var& x);
/// Theano's consider_constant(x): stop_gradient(x).
Var consider_constant(const Var& x);

} // namespace kiln
