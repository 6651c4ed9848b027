// Cast: its builder, reference computation, gradient and shape inference.
#include "cast.hpp"

#include "shape_inference.hpp"

#include "../api/config.hpp"

namespace kiln {

Var cast(const Var& x, DType dtype) {
    if (x.dtype() == dtype) return x;
    return Var(Apply::make(std::make_shared<Cast>(dtype), {x.node()}, {x.type().with_dtype(dtype)})->output(0));
}

Var cast(const Var& x, std::string_view dtype) { return cast(x, dtype_named(dtype, "cast()")); }

std::vector<Array> Cast::perform(const Apply&, const std::vector<Array>& inputs) const {
    return {inputs[0].astype(dtype_)};
}

// The gradient flows back in the input's dtype; to an integer input it stays
// in the gradient's own (Theano's).
std::vector<VariablePtr> Cast::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    const Var x(node.inputs()[0]);
    const Var g(output_grads[0]);
    return {cast(g, is_float(x.dtype()) ? x.dtype() : g.dtype()).node()};
}

using shape_inference::Shapes;
using shape_inference::same_as;

Shapes Cast::infer_shape(const Apply&, const Shapes& in) const { return {same_as(in)}; }

} // namespace kiln
