// Symbolic differentiation (reverse mode) and its finite-difference check.
#pragma once

#include "../api/var.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <iterator>
#include <tuple>
#include <optional>
#include <vector>

namespace kiln {

enum class DisconnectedInputs { raise, warn, ignore };

struct GradOptions {
    /// Variables treated as constants: no gradient flows through them.
    std::vector<Var> consider_constant;
    /// What to do when the cost does not depend on a wrt variable: raise
    /// DisconnectedInputError, or warn or stay silent and return zeros.
    DisconnectedInputs disconnected_inputs = DisconnectedInputs::raise;
};

/// d cost / d wrt for a 0-d cost, one gradient per wrt variable, each of
/// its variable's type (integer variables get floatX gradients).
std::vector<Var> grad(const Var& cost, const std::vector<Var>& wrt, const GradOptions& options = {});
Var grad(const Var& cost, const Var& wrt, const GradOptions& options = {});

/// A fixed number of variables: an std::array, so structured bindings take
/// them apart, that also converts to std::vector<Var>.
template <std::size_t N> struct VarArray : std::array<Var, N> {
    operator std::vector<Var>() const { return std::vector<Var>(this->begin(), this->end()); }
};

/// grad() of a braced list of variables, one gradient each, in a form
/// structured bindings take apart: `auto [gw, gb] = grad(cost, {w, b});`.
template <std::size_t N>
VarArray<N> grad(const Var& cost, const Var (&wrt)[N], const GradOptions& options = {}) {
    const std::vector<Var> gradients = grad(cost, std::vector<Var>(std::begin(wrt), std::end(wrt)), options);
    VarArray<N> result;
    std::copy(gradients.begin(), gradients.end(), result.begin());
    return result;
}

/// x itself, through which grad() lets no gradient flow: the cost is
/// disconnected from x's inputs there (zero_grad, gradient_ops.hpp, keeps
/// them connected with a zero gradient).
Var stop_gradient(const Var& x);
/// Theano's name for stop_gradient: the cost is disconnected from x's inputs there.
Var disconnected_grad(const Var& x);

/// The op of stop_gradient: identity in the forward pass, a wall for
/// gradients. Compiled graphs drop it once the gradients are built.
class StopGradient : public Op {
public:
    std::string kind() const override { return "StopGradient"; }
    std::string params() const override { return {}; }
    std::string name() const override { return "stop_gradient"; }
    std::vector<Array> perform(const Apply& node, const std::vector<Array>& inputs) const override;
    std::vector<VariablePtr> grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const override;
    std::vector<SymbolicShape> infer_shape(const Apply& node, const std::vector<SymbolicShape>& input_shapes) const override;
};

struct VerifyGradOptions {
    int n_tests = 2;
    std::uint64_t seed = 42;
    /// Finite-difference step; default 1e-7 for float64, 3e-4 for float32.
    std::optional<double> eps;
    /// Tolerances; default 1e-4 for float64, 1e-2 for float32. A check fails
    /// only where both the absolute and the relative error exceed them.
    std::optional<double> abs_tol;
    std::optional<double> rel_tol;
};

/// Checks grad() of fun at the points (inputs are typed from the points,
/// dimensions of length 1 broadcastable) against one-sided finite differences
/// of sum(u * fun(points)) for a random u in [0.5, 1.5) (Theano's
/// verify_grad). Throws GradientError naming the input, the element and
/// both values when they disagree; TypeError for non-float points.
void verify_grad(const std::function<Var(const std::vector<Var>&)>& fun, const std::vector<Array>& points,
                 const VerifyGradOptions& options = {});

} // namespace kiln

template <std::size_t N> struct std::tuple_size<kiln::VarArray<N>> : std::integral_constant<std::size_t, N> {};
template <std::size_t I, std::size_t N> struct std::tuple_element<I, kiln::VarArray<N>> {
    using type = kiln::Var;
};
