#include "nnet.hpp"

#include "index.hpp"
#include "math.hpp"
#include "reduce.hpp"
#include "shape.hpp"
#include "shape_inference.hpp"

#include "../../ir/errors.hpp"

#include <cmath>

namespace kiln {

namespace {

Var make_softmax(const Var& x, bool log) {
    const char* who = log ? "log_softmax()" : "softmax()";
    if ((x.ndim() != 1 && x.ndim() != 2) || !is_float(x.dtype()))
        throw ValueError(std::string(who) + ": x must be 1-d or 2-d tensor of floats. Got " + x.str() + " of " +
                         x.type().str());
    return Var(Apply::make(std::make_shared<Softmax>(log), {x.node()}, {x.type()})->output(0));
}

template <class T> void softmax_rows(const Array& x, Array& out, bool log) {
    const std::int64_t cols = x.shape().back();
    const std::int64_t rows = cols == 0 ? 0 : x.size() / cols;
    const Array in = x.copy();
    const T* src = in.data_as<T>();
    T* dst = out.mutable_data_as<T>();
    for (std::int64_t r = 0; r < rows; ++r) {
        const T* row = src + r * cols;
        T* result = dst + r * cols;
        T top = -INFINITY;
        for (std::int64_t c = 0; c < cols; ++c) top = std::max(top, row[c]);
        double total = 0;
        for (std::int64_t c = 0; c < cols; ++c) total += std::exp(static_cast<double>(row[c] - top));
        // One division per row, as Theano's C softmax: multiplying by the
        // reciprocal is also what the compiled row kernel does.
        const double scale = 1.0 / total;
        for (std::int64_t c = 0; c < cols; ++c) {
            const double shifted = static_cast<double>(row[c] - top);
            result[c] = static_cast<T>(log ? shifted - std::log(total) : std::exp(shifted) * scale);
        }
    }
}

} // namespace

std::string Softmax::pp(const Apply&, const std::vector<std::string>& inputs) const {
    return std::string(log_ ? "log_softmax(" : "softmax(") + inputs[0] + ")";
}

std::vector<Array> Softmax::perform(const Apply&, const std::vector<Array>& inputs) const {
    Array out = Array::zeros(inputs[0].dtype(), inputs[0].shape());
    if (inputs[0].dtype() == DType::float32) softmax_rows<float>(inputs[0], out, log_);
    else softmax_rows<double>(inputs[0], out, log_);
    return {out};
}

std::vector<VariablePtr> Softmax::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    const Var out(node.output(0)), gz(output_grads[0]);
    if (log_) return {(gz - sum(gz, -1, true) * exp(out)).node()};
    return {((gz - sum(gz * out, -1, true)) * out).node()};
}

namespace {

// Calls f(row, label, log_sum_exp, row_max) for each labelled row.
template <class F> void for_each_labelled_row(const Array& x_in, const Array& y_in, F&& f) {
    const Array x = x_in.astype(DType::float64);
    const std::vector<std::int64_t> labels = y_in.astype(DType::int64).to_vector<std::int64_t>();
    const std::int64_t rows = x.shape()[0], cols = x.shape()[1];
    if (static_cast<std::int64_t>(labels.size()) > rows)
        throw IndexError("crossentropy_softmax(): " + std::to_string(labels.size()) + " labels for " + std::to_string(rows) +
                         " rows");
    const double* data = x.data_as<double>();
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(labels.size()); ++i) {
        std::int64_t label = labels[i] < 0 ? labels[i] + cols : labels[i];
        if (label < 0 || label >= cols)
            throw IndexError("index " + std::to_string(labels[i]) + " is out of bounds for axis 1 with size " +
                             std::to_string(cols));
        const double* row = data + i * cols;
        double top = -INFINITY;
        for (std::int64_t c = 0; c < cols; ++c) top = std::max(top, row[c]);
        double total = 0;
        for (std::int64_t c = 0; c < cols; ++c) total += std::exp(row[c] - top);
        f(i, row, label, std::log(total), top);
    }
}

} // namespace

std::vector<Array> CrossentropySoftmax::perform(const Apply& node, const std::vector<Array>& inputs) const {
    std::vector<double> out;
    for_each_labelled_row(inputs[0], inputs[1], [&](std::int64_t, const double* row, std::int64_t label, double lse, double top) {
        out.push_back(lse - (row[label] - top));
    });
    return {Array::from_values(out).astype(node.output(0)->type().dtype())};
}

std::vector<VariablePtr> CrossentropySoftmax::grad(const Apply& node, const std::vector<VariablePtr>& output_grads) const {
    return {crossentropy_softmax_dx(Var(output_grads[0]), Var(node.inputs()[0]), Var(node.inputs()[1])).node(), nullptr};
}

std::vector<SymbolicShape> CrossentropySoftmax::infer_shape(const Apply&, const std::vector<SymbolicShape>& in) const {
    return {{in[1][0]}};
}

std::vector<Array> CrossentropySoftmaxDx::perform(const Apply& node, const std::vector<Array>& inputs) const {
    const std::vector<double> g = inputs[0].astype(DType::float64).to_vector<double>();
    const std::int64_t cols = inputs[1].shape()[1];
    Array out = Array::zeros(DType::float64, inputs[1].shape());
    double* dst = out.mutable_data_as<double>();
    for_each_labelled_row(inputs[1], inputs[2], [&](std::int64_t i, const double* row, std::int64_t label, double lse, double top) {
        for (std::int64_t c = 0; c < cols; ++c) dst[i * cols + c] = g[i] * std::exp(row[c] - top - lse);
        dst[i * cols + label] -= g[i];
    });
    return {out.astype(node.output(0)->type().dtype())};
}

std::vector<SymbolicShape> CrossentropySoftmaxDx::infer_shape(const Apply&, const std::vector<SymbolicShape>& in) const {
    return {in[1]};
}

namespace {

void check_crossentropy_inputs(const char* who, const Var& x, const Var& y) {
    if (x.ndim() != 2 || !is_float(x.dtype()))
        throw TypeError(std::string(who) + ": x must be a float matrix, got " + x.str() + " of " + x.type().str());
    if (y.ndim() != 1 || !is_discrete(y.dtype()) || y.dtype() == DType::bool_)
        throw TypeError(std::string(who) + ": y must be an integer vector of labels, got " + y.str() + " of " +
                        y.type().str());
}

} // namespace

Var crossentropy_softmax(const Var& x, const Var& y) {
    check_crossentropy_inputs("crossentropy_softmax()", x, y);
    return Var(Apply::make(std::make_shared<CrossentropySoftmax>(), {x.node(), y.node()},
                           {TensorType(x.dtype(), {false})})
                   ->output(0));
}

Var crossentropy_softmax_dx(const Var& dy, const Var& x, const Var& y) {
    check_crossentropy_inputs("crossentropy_softmax_dx()", x, y);
    if (dy.ndim() != 1 || !is_float(dy.dtype()))
        throw TypeError("crossentropy_softmax_dx(): dy must be a float vector, got " + dy.str() + " of " + dy.type().str());
    return Var(Apply::make(std::make_shared<CrossentropySoftmaxDx>(), {dy.node(), x.node(), y.node()}, {x.type()})->output(0));
}

Var softmax(const Var& x) { return make_softmax(x, false); }
Var log_softmax(const Var& x) { return make_softmax(x, true); }
Var logsoftmax(const Var& x) { return log_softmax(x); }

Var softmax_with_bias(const Var& x, const Var& b) {
    if (b.ndim() != 1)
        throw TypeError("softmax_with_bias(): b must be a vector (one bias per column), got " + b.str() + " of " +
                        b.type().str());
    return softmax(x + b);
}

Var categorical_crossentropy(const Var& coding_dist, const Var& true_dist) {
    if (coding_dist.ndim() != 2)
        throw TypeError("categorical_crossentropy(): coding_dist must be a matrix, got " + coding_dist.type().str());
    if (true_dist.ndim() == 1 && is_discrete(true_dist.dtype()) && true_dist.dtype() != DType::bool_)
        return -log(coding_dist[{arange(shape_i(true_dist, 0)), true_dist}]);
    if (true_dist.ndim() == 2) return -sum(true_dist * log(coding_dist), 1);
    throw TypeError("categorical_crossentropy(): true_dist must be an integer vector of labels or a matrix of "
                    "one-hot rows, got " + true_dist.type().str());
}

Var binary_crossentropy(const Var& output, const Var& target) {
    return -(target * log(output) + (1 - target) * log(1 - output));
}

Var sigmoid_binary_crossentropy(const Var& logits, const Var& target) {
    return target * softplus(-logits) + (1 - target) * softplus(logits);
}

// Shape inference: output shapes as graphs of the input shapes.

using shape_inference::Shapes;
using shape_inference::same_as;

Shapes Softmax::infer_shape(const Apply&, const Shapes& in) const { return {same_as(in)}; }

} // namespace kiln
