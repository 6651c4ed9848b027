#include "reduction.hpp"

#include "errors.hpp"

#include <algorithm>

namespace kiln {

const char* reduce_kind_name(ReduceKind kind) {
    switch (kind) {
    case ReduceKind::sum: return "sum";
    case ReduceKind::prod: return "prod";
    case ReduceKind::max: return "max";
    case ReduceKind::min: return "min";
    case ReduceKind::all: return "all";
    case ReduceKind::any: return "any";
    }
    return "";
}

Array reduction_identity(ReduceKind kind, DType dtype, Shape shape) {
    Array out = Array::uninitialized(dtype, std::move(shape));
    visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        std::fill_n(out.mutable_data_as<T>(), out.size(), reduce_identity<T>(kind));
    });
    return out;
}

void reduction_combine_into(ReduceKind kind, Array& acc, const Array& partial) {
    KILN_CHECK(acc.dtype() == partial.dtype() && acc.shape() == partial.shape() && acc.is_c_contiguous() &&
                   partial.is_c_contiguous(),
               "reduction partials must be contiguous arrays of one dtype and shape");
    visit_dtype(acc.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* a = acc.mutable_data_as<T>();
        const T* p = partial.data_as<T>();
        for (std::int64_t i = 0; i < acc.size(); ++i) a[i] = reduce_combine(kind, a[i], p[i]);
    });
}

} // namespace kiln
