#include "shared.hpp"

#include "../runtime/filter.hpp"

namespace kiln {

Array SharedVar::get_value(bool borrow) const {
    const Array value = node()->shared_storage()->read();
    return borrow ? value : value.copy();
}

void SharedVar::set_value(const Arg& value, bool borrow) const { set_value(value, {.borrow = borrow}); }

void SharedVar::set_value(const Arg& value, const SetValueOptions& options) const {
    Array filtered = filter_value(type(), value, options.allow_downcast, "call set_value(value, {.allow_downcast = true})",
                                  [&] { return "set_value() of shared variable '" + str() + "': "; });
    const bool aliases_caller = filtered.shares_buffer_with(value.value());
    node()->shared_storage()->replace((aliases_caller && !options.borrow) ? filtered.copy() : std::move(filtered));
}

SharedVar shared(const Arg& value, std::string name, bool borrow) {
    const Array& data = value.value();
    auto storage = std::make_shared<SharedStorage>((borrow && !value.from_literal()) ? data : data.copy());
    TensorType type(data.dtype(), std::vector<bool>(data.ndim(), false));
    return SharedVar(Variable::make_shared(std::move(storage), std::move(type), std::move(name)));
}

} // namespace kiln
