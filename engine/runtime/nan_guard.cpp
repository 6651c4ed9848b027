#include "nan_guard.hpp"

#include "plan.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/print.hpp"

#include <cmath>

namespace kiln {

namespace {

// "(1, 2)": the position of the flat C-order element `flat` in `shape`.
std::string index_text(std::int64_t flat, const Shape& shape) {
    Shape index(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        index[d] = flat % shape[d];
        flat /= shape[d];
    }
    return shape_text(index);
}

template <class T> std::int64_t first_refused(const Array& value, NanGuard guard) {
    const Array contiguous = value.is_c_contiguous() ? value : value.copy();
    const T* data = contiguous.data_as<T>();
    for (std::int64_t i = 0; i < contiguous.size(); ++i)
        if (std::isnan(data[i]) || (guard == NanGuard::nan_inf && std::isinf(data[i]))) return i;
    return -1;
}

} // namespace

std::string guarded_value_text(const Array& value, NanGuard guard) {
    if (guard == NanGuard::off || !is_float(value.dtype())) return {};
    const std::int64_t at = value.dtype() == DType::float32 ? first_refused<float>(value, guard)
                                                            : first_refused<double>(value, guard);
    if (at < 0) return {};
    const double element = value.value_at<double>(at);
    const std::string what = std::isnan(element) ? "nan" : element > 0 ? "inf" : "-inf";
    return what + " at index " + index_text(at, value.shape()) + " of a " + std::string(dtype_name(value.dtype())) +
           " array of shape " + shape_text(value.shape());
}

void Executable::Plan::check_guarded_values(std::size_t step, const Slots& slots, NanGuard guard) const {
    const auto refuse = [&](const Apply& node, int output, const std::string& found) {
        throw ValueError("NaN guard: step #" + std::to_string(step) + " produced " + found + "\nApply node: " +
                         apply_text(node) + (node.num_outputs() > 1 ? " (output " + std::to_string(output) + ")" : ""));
    };
    if (const auto* op = std::get_if<OpRun>(&runs[step])) {
        for (std::size_t i = 0; i < op->outputs.size(); ++i)
            if (const std::string found = guarded_value_text(*slots[op->outputs[i]], guard); !found.empty())
                refuse(*op->node, static_cast<int>(i), found);
        return;
    }
    const auto& loop = std::get<LoopRun>(runs[step]);
    bool refused = false;
    for (int output : loop.outputs) refused = refused || !guarded_value_text(*slots[output], guard).empty();
    if (!refused) return;
    // The loop computed its nodes together: the interpreter finds the first.
    const ValueMap values = interpret_values(loop, slots);
    for (const ApplyPtr& node : loop.loop->nodes)
        for (int i = 0; i < node->num_outputs(); ++i)
            if (const auto value = values.find(node->output(i).get()); value != values.end())
                if (const std::string found = guarded_value_text(value->second, guard); !found.empty())
                    refuse(*node, i, found);
    // Only the compiled code produced it: name the loop's output.
    for (std::size_t j = 0; j < loop.outputs.size(); ++j)
        if (const std::string found = guarded_value_text(*slots[loop.outputs[j]], guard); !found.empty())
            refuse(*loop.loop->outputs[j]->owner(), loop.loop->outputs[j]->index(), found);
}

} // namespace kiln
