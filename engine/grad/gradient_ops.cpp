#include "gradient_ops.hpp"

#include "grad.hpp"

#include "../ops/math.hpp"
#include "../text/numbers.hpp"

#include "../../ir/errors.hpp"

namespace kiln {

namespace {

Var modified(const Var& x, std::shared_ptr<GradientModifier> op) {
    return Var(Apply::make(std::move(op), {x.node()}, {x.type()})->output(0));
}

} // namespace

std::string GradientModifier::params() const {
    switch (mode_) {
    case Mode::zero: return "zero";
    case Mode::scale: return "scale=" + float_text(first_);
    case Mode::clip: return "clip=" + float_text(first_) + ":" + float_text(second_);
    case Mode::undefined: return "undefined";
    }
    return {};
}

std::string GradientModifier::name() const {
    switch (mode_) {
    case Mode::zero: return "zero_grad";
    case Mode::scale: return "grad_scale{" + float_text(first_) + "}";
    case Mode::clip: return "grad_clip{" + float_text(first_) + ", " + float_text(second_) + "}";
    case Mode::undefined: return "undefined_grad";
    }
    return {};
}

std::shared_ptr<GradientModifier> GradientModifier::from_params(std::string_view params) {
    const auto bad = [&]() -> std::shared_ptr<GradientModifier> {
        throw ValueError("GradientModifier: cannot read the parameters {" + std::string(params) +
                         "}: expected zero, scale=K, clip=LOW:HIGH or undefined");
    };
    if (params == "zero") return std::make_shared<GradientModifier>(Mode::zero);
    if (params == "undefined") return std::make_shared<GradientModifier>(Mode::undefined);
    double first = 0, second = 0;
    if (params.starts_with("scale=")) {
        if (!parse_number(params.substr(6), first)) return bad();
        return std::make_shared<GradientModifier>(Mode::scale, first);
    }
    if (params.starts_with("clip=")) {
        const std::string_view bounds = params.substr(5);
        const std::size_t colon = bounds.find(':', 1);
        if (colon == std::string_view::npos || !parse_number(bounds.substr(0, colon), first) ||
            !parse_number(bounds.substr(colon + 1), second))
            return bad();
        return std::make_shared<GradientModifier>(Mode::clip, first, second);
    }
    return bad();
}

std::vector<Array> GradientModifier::perform(const Apply&, const std::vector<Array>& inputs) const { return {inputs[0]}; }

std::vector<VariablePtr> GradientModifier::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    const Var g(output_grads[0]);
    switch (mode_) {
    case Mode::zero: return {zeros_like(g).node()};
    case Mode::scale: return {cast(g * first_, g.dtype()).node()};
    case Mode::clip: return {cast(clip(g, first_, second_), g.dtype()).node()};
    case Mode::undefined: break;
    }
    throw GradientError("grad(): the gradient through undefined_grad(" + node.inputs()[0]->str() +
                        ") is undefined, and the cost depends on it there");
}

std::vector<SymbolicShape> GradientModifier::infer_shape(const Apply&, const std::vector<SymbolicShape>& in) const {
    return {in[0]};
}

Var zero_grad(const Var& x) { return modified(x, std::make_shared<GradientModifier>(GradientModifier::Mode::zero)); }

Var grad_scale(const Var& x, double multiplier) {
    return modified(x, std::make_shared<GradientModifier>(GradientModifier::Mode::scale, multiplier));
}

Var grad_clip(const Var& x, double lower, double upper) {
    if (!(lower <= upper))
        throw ValueError("grad_clip(): the lower bound " + float_text(lower) + " is above the upper bound " +
                         float_text(upper));
    return modified(x, std::make_shared<GradientModifier>(GradientModifier::Mode::clip, lower, upper));
}

Var undefined_grad(const Var& x) {
    return modified(x, std::make_shared<GradientModifier>(GradientModifier::Mode::undefined));
}

Var consider_constant(const Var& x) { return stop_gradient(x); }

} // namespace kiln
