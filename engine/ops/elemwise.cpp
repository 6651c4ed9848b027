#include "elemwise.hpp"

#include "dimshuffle.hpp"
#include "shape_inference.hpp"

#include "../api/config.hpp"

#include "../../ir/errors.hpp"

namespace kiln {

std::string Elemwise::params() const { return std::string(scalar_op_info(scalar_op_).name); }

std::string Elemwise::name() const { return "Elemwise{" + params() + ",no_inplace}"; }

std::string Elemwise::pp(const Apply&, const std::vector<std::string>& inputs) const {
    const ScalarOpInfo& op = scalar_op_info(scalar_op_);
    // Theano prints fill (second) and operators its own way, everything
    // else as "name(a, b)".
    const std::string_view name = scalar_op_ == ScalarOp::second ? "fill" : op.name;
    if (op.infix.empty()) {
        std::string text = std::string(name) + "(";
        for (std::size_t i = 0; i < inputs.size(); ++i) text += (i > 0 ? ", " : "") + inputs[i];
        return text + ")";
    }
    if (op.arity == 1) return "(" + std::string(op.infix) + inputs[0] + ")";
    std::string text = "(" + inputs[0];
    for (std::size_t i = 1; i < inputs.size(); ++i) text += " " + std::string(op.infix) + " " + inputs[i];
    return text + ")";
}

std::vector<Array> Elemwise::perform(const Apply& node, const std::vector<Array>& inputs) const {
    const int ndim = node.output(0)->type().ndim();
    Shape out_shape(ndim, 1);
    // Non-broadcastable dimensions must agree exactly; broadcastable ones are 1.
    for (int d = 0; d < ndim; ++d) {
        int first = -1;
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            if (node.inputs()[i]->type().broadcastable()[d]) continue;
            if (first < 0) {
                first = static_cast<int>(i);
                out_shape[d] = inputs[i].shape()[d];
            } else if (inputs[i].shape()[d] != out_shape[d]) {
                throw ValueError("Input dimension mis-match. (input[" + std::to_string(first) + "].shape[" +
                                 std::to_string(d) + "] = " + std::to_string(out_shape[d]) + ", input[" +
                                 std::to_string(i) + "].shape[" + std::to_string(d) +
                                 "] = " + std::to_string(inputs[i].shape()[d]) + ")");
            }
        }
    }
    std::vector<DType> dtypes;
    for (const Array& input : inputs) dtypes.push_back(input.dtype());
    const DType result = node.output(0)->type().dtype();
    const DType compute = scalar_op_compute_dtype(scalar_op_, dtypes, result);
    std::vector<Array> converted;
    std::vector<Shape> strides;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const DType target = scalar_op_operand_dtype(scalar_op_, i, compute);
        converted.push_back(inputs[i].dtype() == target ? inputs[i] : inputs[i].astype(target));
        Shape s = converted.back().strides();
        for (int d = 0; d < ndim; ++d)
            if (node.inputs()[i]->type().broadcastable()[d]) s[d] = 0;
        strides.push_back(std::move(s));
    }
    Array out = Array::zeros(result, out_shape);
    compute_scalar_op(scalar_op_, converted, strides, out);
    return {out};
}

Var elemwise(ScalarOp op, std::vector<Var> inputs) {
    const ScalarOpInfo& info = scalar_op_info(op);
    KILN_CHECK(static_cast<int>(inputs.size()) == info.arity,
               std::string(info.name) + " takes " + std::to_string(info.arity) + " inputs");
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!inputs[i]) throw TypeError(std::string(info.name) + "(): input " + std::to_string(i) + " is an empty Var");
    int ndim = 0;
    for (const Var& input : inputs) ndim = std::max(ndim, input.ndim());
    for (Var& input : inputs) {
        if (input.ndim() == ndim) continue;
        std::vector<DimShuffle::Entry> order(ndim - input.ndim(), DimShuffle::new_axis);
        for (int d = 0; d < input.ndim(); ++d) order.push_back(d);
        input = dimshuffle(input, order);
    }
    std::vector<bool> broadcastable(ndim, true);
    for (const Var& input : inputs)
        for (int d = 0; d < ndim; ++d) broadcastable[d] = broadcastable[d] && input.broadcastable()[d];
    std::vector<DType> dtypes;
    for (const Var& input : inputs) dtypes.push_back(input.dtype());
    const DType dtype = scalar_op_result(op, dtypes, config().floatX());
    std::vector<VariablePtr> nodes(inputs.begin(), inputs.end());
    return Var(Apply::make(std::make_shared<Elemwise>(op), std::move(nodes), {TensorType(dtype, broadcastable)})->output(0));
}

std::optional<ScalarOp> elemwise_scalar_op(const Apply& node) {
    if (const auto* op = dynamic_cast<const Elemwise*>(&node.op())) return op->scalar_op();
    return std::nullopt;
}

// Shape inference: output shapes as graphs of the input shapes.

using shape_inference::Shapes;
using shape_inference::one;

Shapes Elemwise::infer_shape(const Apply& node, const Shapes& in) const {
    const int ndim = node.output(0)->type().ndim();
    SymbolicShape out;
    for (int d = 0; d < ndim; ++d) {
        VariablePtr dim = one();
        for (std::size_t i = 0; i < in.size(); ++i)
            if (!node.inputs()[i]->type().broadcastable()[d]) {
                dim = in[i][d];
                break;
            }
        out.push_back(dim);
    }
    return {out};
}

} // namespace kiln
