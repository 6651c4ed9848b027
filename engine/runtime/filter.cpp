#include "filter.hpp"

#include "../api/config.hpp"

#include "../../ir/errors.hpp"

namespace kiln {

namespace {

// What the caller can do about a refused value: cast it, or allow the
// downcast where it is allowed (`how_to_allow`).
std::string downcast_choices(DType dtype, std::string_view how_to_allow) {
    return "1) cast your data to " + std::string(dtype_name(dtype)) + " yourself (Array::astype(DType::" +
           std::string(dtype_name(dtype)) + ")), or 2) " + std::string(how_to_allow) + ".";
}

Array convert_exactly(const TensorType& type, const Arg& value, std::string_view how_to_allow,
                      const std::function<std::string()>& context) {
    const Array& original = value.value();
    Array converted = original.astype(type.dtype());
    // Exact when converting back gives the original values (Theano compares
    // the two element by element).
    if (converted.astype(original.dtype()).identical_to(original)) return converted;
    const std::string text = original.ndim() == 0 ? original.str() : original.repr();
    const std::string represented = converted.ndim() == 0 ? converted.str() : converted.repr();
    throw TypeError(context() + type.str() + " cannot store accurately value " + text +
                    ", it would be represented as " + represented +
                    ". If you do not mind this precision loss, you can: " +
                    downcast_choices(type.dtype(), how_to_allow));
}

} // namespace

std::optional<Array> filter_conversion(const TensorType& type, const Arg& value, std::optional<bool> allow_downcast,
                                       std::string_view how_to_allow, const std::function<std::string()>& context) {
    const Array& data = value.value();
    std::optional<Array> converted = [&]() -> std::optional<Array> {
        if (data.dtype() == type.dtype()) return std::nullopt;
        if (allow_downcast.value_or(false)) return data.astype(type.dtype());
        if (value.from_literal()) {
            if (!allow_downcast.has_value() && value.python_float() && type.dtype() == config().floatX())
                return data.astype(type.dtype());
            return convert_exactly(type, value, how_to_allow, context);
        }
        if (promote(type.dtype(), data.dtype()) == type.dtype()) return data.astype(type.dtype());
        throw TypeError(context() + type.str() + " cannot store a value of dtype " +
                        std::string(dtype_name(data.dtype())) + " without risking loss of precision. " +
                        "If you do not mind this loss, you can: " + downcast_choices(type.dtype(), how_to_allow) +
                        " Value: \"" + data.repr() + "\"");
    }();
    const Array& result = converted ? *converted : data;
    if (result.ndim() != type.ndim())
        throw TypeError(context() + "Wrong number of dimensions: expected " + std::to_string(type.ndim()) +
                        ", got " + std::to_string(result.ndim()) + " with shape " + shape_text(result.shape()) + ".");
    for (int d = 0; d < type.ndim(); ++d)
        if (type.broadcastable()[d] && result.shape()[d] != 1)
            throw TypeError(context() + "Non-unit value on shape on a broadcastable dimension: shape " +
                            shape_text(result.shape()) + " for " + type.str() + " (dimension " +
                            std::to_string(d) + " must have length 1).");
    return converted;
}

Array filter_value(const TensorType& type, const Arg& value, std::optional<bool> allow_downcast,
                   std::string_view how_to_allow, const std::function<std::string()>& context) {
    std::optional<Array> converted = filter_conversion(type, value, allow_downcast, how_to_allow, context);
    return converted ? std::move(*converted) : value.value();
}

} // namespace kiln
