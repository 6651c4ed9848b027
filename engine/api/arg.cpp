#include "arg.hpp"

#include "../../ir/errors.hpp"

#include <cstring>

namespace kiln {

Arg::Arg(std::span<const Arg> elements) : from_literal_(true) {
    Shape inner;
    DType dtype = DType::bool_;
    bool first = true;
    for (const Arg& element : elements) {
        if (first) inner = element.value().shape();
        else if (element.value().shape() != inner)
            throw ValueError("Arg: nested braces are not rectangular: an element of shape " +
                             shape_text(element.value().shape()) + " follows one of shape " + shape_text(inner));
        dtype = first ? element.value().dtype() : promote(dtype, element.value().dtype());
        first = false;
        from_literal_ = from_literal_ && element.from_literal();
    }
    // Empty braces are an empty float64 vector, as np.asarray([]) is.
    if (first) dtype = DType::float64;
    Shape shape{static_cast<std::int64_t>(elements.size())};
    shape.insert(shape.end(), inner.begin(), inner.end());
    value_ = Array::zeros(dtype, shape);
    const std::int64_t chunk = shape_size(inner) * dtype_size(dtype);
    std::byte* out = value_.mutable_data();
    for (const Arg& element : elements) {
        const Array converted = element.value().astype(dtype);
        std::memcpy(out, converted.data(), static_cast<std::size_t>(chunk));
        out += chunk;
    }
}

} // namespace kiln
