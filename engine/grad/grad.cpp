#include "grad.hpp"

#include "../api/config.hpp"
#include "../api/constructors.hpp"
#include "../api/function.hpp"
#include "../ops/math.hpp"
#include "../ops/reduce.hpp"
#include "../rewrite/rewriter.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/log.hpp"
#include "../../ir/walk.hpp"

#include <cmath>
#include <random>
#include <unordered_map>
#include <unordered_set>

namespace kiln {

namespace {

// The cost with the stabilize rewrites applied (log(sigmoid(x)) as
// -softplus(-x), ...), so the gradient is taken of the form that stays
// finite: d/dx of log(1 - sigmoid(x)) is then -sigmoid(x), never 0 * inf.
// Only when every wrt is a graph leaf, so no rewrite can hide one.
Var stable_form(const Var& cost, const std::vector<Var>& wrt, const GradOptions& options) {
    if (!options.consider_constant.empty()) return cost;
    for (const Var& v : wrt)
        if (v.owner()) return cost;
    FunctionGraph fgraph({}, {cost.node()});
    rewrite_graph(fgraph, {.mode = OptimizerMode::fast_run,
                           .excluding = {"canonicalize", "specialize", "merge", "constant_folding"}});
    return Var(fgraph.outputs()[0]);
}

std::string wrt_name(const Var& v, std::size_t index) {
    return "'" + v.str() + "' (index " + std::to_string(index) + ")";
}

} // namespace

std::vector<Array> StopGradient::perform(const Apply&, const std::vector<Array>& inputs) const { return {inputs[0]}; }
std::vector<VariablePtr> StopGradient::grad(const Apply&, const std::vector<VariablePtr>&) const { return {nullptr}; }
std::vector<SymbolicShape> StopGradient::infer_shape(const Apply&, const std::vector<SymbolicShape>& in) const {
    return {in[0]};
}

Var stop_gradient(const Var& x) {
    return Var(Apply::make(std::make_shared<StopGradient>(), {x.node()}, {x.type()})->output(0));
}

Var disconnected_grad(const Var& x) { return stop_gradient(x); }

std::vector<Var> grad(const Var& cost, const std::vector<Var>& wrt, const GradOptions& options) {
    if (!cost) throw TypeError("grad(): cost is an empty Var");
    if (cost.ndim() != 0)
        throw TypeError("grad(): cost must be a scalar. (got " + cost.str() + " of " + cost.type().str() + ")");
    for (std::size_t i = 0; i < wrt.size(); ++i)
        if (!wrt[i]) throw TypeError("grad(): wrt " + std::to_string(i) + " is an empty Var");

    std::vector<VariablePtr> stops(options.consider_constant.begin(), options.consider_constant.end());
    const Var differentiated = stable_form(cost, wrt, options);
    const std::vector<ApplyPtr> nodes = toposort({differentiated.node()}, stops);
    const std::unordered_set<const Variable*> stopped = [&] {
        std::unordered_set<const Variable*> set;
        for (const VariablePtr& v : stops) set.insert(v.get());
        return set;
    }();

    // Which variables lead to a wrt variable: only those need gradients.
    std::unordered_set<const Variable*> reaches;
    for (const Var& v : wrt) reaches.insert(v.node().get());
    for (const ApplyPtr& node : nodes) {
        bool any = false;
        for (const VariablePtr& input : node->inputs()) any = any || (reaches.count(input.get()) && !stopped.count(input.get()));
        if (any)
            for (const VariablePtr& output : node->outputs()) reaches.insert(output.get());
    }

    std::unordered_map<const Variable*, Var> grads;
    std::unordered_set<const Variable*> zero_connected;
    const DType seed_dtype = is_float(cost.dtype()) ? cost.dtype() : config().floatX();
    grads[differentiated.node().get()] = fill(differentiated, constant_of(1, seed_dtype));

    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
        const Apply& node = **it;
        bool needed = false, has_grad = false, float_output = false;
        for (const VariablePtr& output : node.outputs()) {
            needed = needed || reaches.count(output.get());
            has_grad = has_grad || grads.count(output.get());
            float_output = float_output || is_float(output->type().dtype());
        }
        if (!needed || !has_grad) continue;
        if (!float_output) {
            // A discrete result is piecewise constant: no gradient flows, yet
            // what it reads counts as connected (its gradient is zero).
            for (const VariablePtr& input : node.inputs()) zero_connected.insert(input.get());
            continue;
        }
        std::vector<VariablePtr> output_grads;
        for (const VariablePtr& output : node.outputs()) {
            auto found = grads.find(output.get());
            output_grads.push_back(found == grads.end() ? zeros_like(Var(output)).node() : found->second.node());
        }
        const std::vector<VariablePtr> input_grads = node.op().grad(node, output_grads);
        KILN_CHECK(input_grads.size() == node.inputs().size(),
                   node.op().name() + " returned " + std::to_string(input_grads.size()) + " gradients");
        for (std::size_t i = 0; i < node.inputs().size(); ++i) {
            const VariablePtr& input = node.inputs()[i];
            if (!input_grads[i] || !reaches.count(input.get()) || stopped.count(input.get())) continue;
            Var g(input_grads[i]);
            KILN_CHECK(is_float(g.dtype()), node.op().name() + " returned a " + std::string(dtype_name(g.dtype())) +
                                                " gradient for input " + std::to_string(i));
            auto found = grads.find(input.get());
            if (found == grads.end()) grads.emplace(input.get(), g);
            else found->second = found->second + g;
        }
    }

    std::vector<Var> result;
    for (std::size_t i = 0; i < wrt.size(); ++i) {
        const Var& v = wrt[i];
        const DType dtype = is_float(v.dtype()) ? v.dtype() : config().floatX();
        auto found = grads.find(v.node().get());
        if (found != grads.end()) {
            result.push_back(cast(found->second, dtype));
            continue;
        }
        if (zero_connected.count(v.node().get())) {
            result.push_back(zeros_like(cast(v, dtype)));
            continue;
        }
        const std::string message = "grad(): the cost does not depend on wrt variable " + wrt_name(v, i);
        if (options.disconnected_inputs == DisconnectedInputs::raise)
            throw DisconnectedInputError(message + "; pass disconnected_inputs = warn or ignore to get zeros instead");
        if (options.disconnected_inputs == DisconnectedInputs::warn)
            logging::get("engine")->warn("{}; its gradient is zero", message);
        result.push_back(zeros_like(cast(v, dtype)));
    }
    return result;
}

Var grad(const Var& cost, const Var& wrt, const GradOptions& options) { return grad(cost, std::vector<Var>{wrt}, options)[0]; }

namespace {

double default_eps(DType dtype) { return dtype == DType::float32 ? 3e-4 : 1e-7; }
double default_tolerance(DType dtype) { return dtype == DType::float32 ? 1e-2 : 1e-4; }

double scalar_of(const Outputs& outputs) { return outputs[0].value_at<double>(0); }

} // namespace

void verify_grad(const std::function<Var(const std::vector<Var>&)>& fun, const std::vector<Array>& points,
                 const VerifyGradOptions& options) {
    std::vector<Var> inputs;
    DType widest = DType::float32;
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (!is_float(points[i].dtype()))
            throw TypeError("verify_grad(): point " + std::to_string(i) + " is " +
                            std::string(dtype_name(points[i].dtype())) + "; only float points can be checked");
        widest = promote(widest, points[i].dtype());
        // As Theano does: dimensions of length 1 are broadcastable.
        std::vector<bool> broadcastable;
        for (std::int64_t d : points[i].shape()) broadcastable.push_back(d == 1);
        inputs.push_back(tensor(points[i].dtype(), broadcastable, "input" + std::to_string(i)));
    }
    const double eps = options.eps.value_or(default_eps(widest));
    const double abs_tol = options.abs_tol.value_or(default_tolerance(widest));
    const double rel_tol = options.rel_tol.value_or(default_tolerance(widest));
    const Var output = fun(inputs);
    const Array sample = compile(inputs, output).call(std::vector<Arg>(points.begin(), points.end()))[0];
    std::mt19937_64 rng(options.seed);
    std::uniform_real_distribution<double> uniform(0.5, 1.5);

    for (int test = 0; test < options.n_tests; ++test) {
        // A random projection makes every output element count.
        std::vector<double> u(static_cast<std::size_t>(sample.size()));
        for (double& value : u) value = uniform(rng);
        const Var projection = constant(Array::from_values(u, sample.shape()).astype(output.dtype()));
        const Var cost = sum(output * projection);
        const std::vector<Var> grads = grad(cost, inputs);
        const Function cost_fn = compile(inputs, cost);
        const Function grad_fn = compile(inputs, grads);

        std::vector<Arg> args(points.begin(), points.end());
        const double base = scalar_of(cost_fn.call(args));
        const Outputs analytic = grad_fn.call(args);
        for (std::size_t i = 0; i < points.size(); ++i) {
            const Array point = points[i].astype(points[i].dtype()); // a private copy to perturb
            for (std::int64_t j = 0; j < point.size(); ++j) {
                Array moved = point.copy();
                visit_dtype(moved.dtype(), [&](auto tag) {
                    using T = decltype(tag);
                    if constexpr (std::is_floating_point_v<T>) moved.mutable_data_as<T>()[j] += static_cast<T>(eps);
                });
                std::vector<Arg> perturbed = args;
                perturbed[i] = Arg(moved);
                const double numeric = (scalar_of(cost_fn.call(perturbed)) - base) / eps;
                const double symbolic = analytic[i].value_at<double>(j);
                const double abs_err = std::fabs(numeric - symbolic);
                const double rel_err = abs_err / std::max(std::fabs(numeric) + std::fabs(symbolic), 1e-8);
                if (abs_err > abs_tol && rel_err > rel_tol)
                    throw GradientError("verify_grad(): gradient of input " + std::to_string(i) + " at element " +
                                        std::to_string(j) + " is " + std::to_string(symbolic) +
                                        " symbolically but " + std::to_string(numeric) +
                                        " by finite differences (abs error " + std::to_string(abs_err) +
                                        ", rel error " + std::to_string(rel_err) + ", test " + std::to_string(test) + ")");
            }
        }
    }
}

} // namespace kiln
