// The ops that make index arrays: arange, and nonzero (behind boolean-mask
// indexing); with the check every integer index and bound goes through.
#include "index_arrays.hpp"

#include "index.hpp"
#include "math.hpp"
#include "shape_inference.hpp"

#include "../../ir/errors.hpp"
#include "../../kernels/indexing.hpp"

#include <array>
#include <cmath>
#include <limits>

namespace kiln {

void check_input_count(const char* who, const std::vector<Var>& inputs, std::size_t least) {
    if (inputs.size() < least)
        throw TypeError(std::string(who) + " takes at least " + std::to_string(least) + " inputs, got " +
                        std::to_string(inputs.size()));
}

void check_integer_scalar(const Var& v, const char* what) {
    if (!is_discrete(v.dtype()) || v.dtype() == DType::bool_ || v.ndim() != 0)
        throw TypeError(std::string("indexing: ") + what + " must be an integer scalar, got " + v.str() + " of " +
                        v.type().str());
}

std::vector<Array> NonZero::perform(const Apply&, const std::vector<Array>& inputs) const {
    // With a second input, the mask indexes it: their leading shapes must agree.
    if (inputs.size() == 2)
        for (int d = 0; d < inputs[0].ndim(); ++d)
            if (inputs[0].shape()[d] != inputs[1].shape()[d])
                throw IndexError("boolean index did not match indexed array along dimension " + std::to_string(d) +
                                 "; dimension is " + std::to_string(inputs[1].shape()[d]) +
                                 " but corresponding boolean dimension is " + std::to_string(inputs[0].shape()[d]));
    const Array& mask = inputs[0];
    const Shape& shape = mask.shape();
    const std::size_t rank = shape.size();
    std::vector<std::vector<std::int64_t>> positions(rank);
    // One walk in C order, the position kept as a multi-index: no divisions.
    std::vector<std::int64_t> index(rank, 0);
    visit_dtype(mask.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* base = mask.data_as<T>();
        walk_strided<1>(shape, {&mask.strides()}, [&](const auto& at) {
            if (base[at[0]] != T{})
                for (std::size_t d = 0; d < rank; ++d) positions[d].push_back(index[d]);
            for (std::size_t d = rank; d-- > 0;) {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        });
    });
    std::vector<Array> out;
    for (const auto& p : positions) out.push_back(Array::from_values(p));
    return out;
}

std::vector<VariablePtr> NonZero::grad(const Apply& node, const std::vector<VariablePtr>&) const {
    return std::vector<VariablePtr>(node.inputs().size(), nullptr);
}

std::vector<Var> nonzero_of(const Var& x, const Var& indexed) {
    if (x.ndim() == 0) throw ValueError("nonzero(): " + x.str() + " is 0-d; index with a tensor of rank 1 or more");
    std::vector<TensorType> types(x.ndim(), TensorType(DType::int64, {false}));
    std::vector<VariablePtr> inputs{x.node()};
    if (indexed) inputs.push_back(indexed.node());
    const ApplyPtr node = Apply::make(std::make_shared<NonZero>(), std::move(inputs), types);
    std::vector<Var> result;
    for (const VariablePtr& v : node->outputs()) result.emplace_back(v);
    return result;
}

std::vector<Var> nonzero(const Var& x) { return nonzero_of(x, Var()); }

std::vector<Var> nonzero_node(const std::vector<Var>& inputs) {
    check_input_count("NonZero", inputs, 1);
    if (inputs.size() > 2) throw TypeError("NonZero takes 1 or 2 inputs, got " + std::to_string(inputs.size()));
    if (inputs.size() == 2 && inputs[0].ndim() > inputs[1].ndim())
        throw IndexError("a " + std::to_string(inputs[0].ndim()) + "-d mask cannot index " + inputs[1].str() + " of " +
                         inputs[1].type().str());
    return nonzero_of(inputs[0], inputs.size() == 2 ? inputs[1] : Var());
}

std::string ARange::pp(const Apply&, const std::vector<std::string>& inputs) const {
    return "arange(" + inputs[0] + ", " + inputs[1] + ", " + inputs[2] + ")";
}

namespace {

// NumPy's float arange: ceil((stop - start) / step) values start + i * step.
Array float_arange(DType dtype, double start, double stop, double step) {
    if (step == 0) throw ValueError("arange(): step cannot be zero");
    const double count = std::ceil((stop - start) / step);
    const auto call = [&] {
        return "arange(" + std::to_string(start) + ", " + std::to_string(stop) + ", " + std::to_string(step) + ")";
    };
    if (std::isnan(count)) throw ValueError(call() + ": the number of values is not a number");
    if (count >= 9.2e18) throw ValueError(call() + ": more elements than int64 counts");
    const std::int64_t length = count > 0 ? static_cast<std::int64_t>(count) : 0;
    std::vector<double> values(static_cast<std::size_t>(length));
    for (std::int64_t i = 0; i < length; ++i) values[static_cast<std::size_t>(i)] = start + static_cast<double>(i) * step;
    return Array::from_values(values).astype(dtype);
}

} // namespace

std::vector<Array> ARange::perform(const Apply&, const std::vector<Array>& inputs) const {
    if (is_float(dtype_))
        return {float_arange(dtype_, inputs[0].value_at<double>(0), inputs[1].value_at<double>(0),
                             inputs[2].value_at<double>(0))};
    const std::int64_t start = inputs[0].value_at<std::int64_t>(0), stop = inputs[1].value_at<std::int64_t>(0), step = inputs[2].value_at<std::int64_t>(0);
    if (step == 0) throw ValueError("arange(): step cannot be zero");
    // ceil((stop - start) / step) in 128 bits: the bounds may be far apart.
    const __int128 span = static_cast<__int128>(stop) - start;
    const __int128 length = span == 0 || (span > 0) != (step > 0) ? 0 : (span + step + (step > 0 ? -1 : 1)) / step;
    if (length > std::numeric_limits<std::int64_t>::max())
        throw ValueError("arange(" + std::to_string(start) + ", " + std::to_string(stop) + ", " + std::to_string(step) +
                         "): more elements than int64 counts");
    Array out = Array::uninitialized(DType::int64, {static_cast<std::int64_t>(length)});
    auto* values = reinterpret_cast<std::int64_t*>(out.mutable_data());
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(length); ++i) values[i] = start + i * step;
    return {out};
}

std::vector<VariablePtr> ARange::grad(const Apply&, const std::vector<VariablePtr>&) const {
    return {nullptr, nullptr, nullptr};
}

Var arange(const Operand& stop) { return arange(0, stop, 1); }

Var arange(const Operand& start, const Operand& stop, const Operand& step) {
    const std::array<const Var*, 3> bounds = {&static_cast<const Var&>(start), &static_cast<const Var&>(stop),
                                              &static_cast<const Var&>(step)};
    DType dtype = DType::int64;
    for (const Var* v : bounds) {
        if (v->ndim() != 0 || v->dtype() == DType::bool_)
            throw TypeError("arange(): a bound must be a number (an integer or float scalar), got " + v->str() +
                            " of " + v->type().str());
        if (is_float(v->dtype())) dtype = is_float(dtype) ? promote(dtype, v->dtype()) : v->dtype();
    }
    std::vector<VariablePtr> inputs;
    for (const Var* v : bounds) inputs.push_back(cast(*v, dtype).node());
    return Var(Apply::make(std::make_shared<ARange>(dtype), std::move(inputs), {TensorType(dtype, {false})})->output(0));
}

// Shape inference: output shapes as graphs of the input shapes.

using shape_inference::Shapes;

Shapes ARange::infer_shape(const Apply& node, const Shapes&) const {
    const Var start(node.inputs()[0]), stop(node.inputs()[1]), step(node.inputs()[2]);
    if (is_float(dtype_))
        return {{maximum(constant_of(0, DType::int64), cast(ceil((stop - start) / step), DType::int64)).node()}};
    // ceil((stop - start) / step) = -((start - stop) // step), never negative.
    return {{maximum(constant_of(0, DType::int64), -int_div(start - stop, step)).node()}};
}

} // namespace kiln
