// The debug linker's check (config linker=debug): every fused loop's
// outputs against the reference interpreter's, run on the same values; and
// the interpreter run of a loop's nodes that also gives users the exact
// error of a loop whose inputs are wrong.
#include "plan.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/print.hpp"

#include <cmath>
#include <optional>

namespace kiln {

namespace {

// Differences the debug linker accepts between a compiled loop and the
// interpreter: vector math libraries differ from libm by a few ulps.
// `magnitudes` (for a float sum): the sum of the terms' absolute values for
// each element. A sum in another order may differ by a small multiple of
// it, which says nothing about the result's own size when terms cancel.
std::string difference(const Array& expected, const Array& actual, const Array* magnitudes) {
    if (expected.dtype() != actual.dtype() || expected.shape() != actual.shape())
        return "expected " + std::string(dtype_name(expected.dtype())) + " " + shape_text(expected.shape()) +
               ", got " + std::string(dtype_name(actual.dtype())) + " " + shape_text(actual.shape());
    const bool single = expected.dtype() == DType::float32;
    const double rtol = single ? 1e-5 : 1e-11;
    const double atol = single ? 1e-6 : 1e-14;
    for (std::int64_t i = 0; i < expected.size(); ++i) {
        if (is_float(expected.dtype())) {
            const double e = expected.value_at<double>(i);
            const double a = actual.value_at<double>(i);
            if (std::isnan(e) && std::isnan(a)) continue;
            const double reordering = magnitudes ? 1e-13 * std::abs(magnitudes->value_at<double>(i)) : 0.0;
            if (e == a || std::abs(e - a) <= atol + rtol * std::abs(e) + reordering) continue;
            return "element " + std::to_string(i) + ": expected " + std::to_string(e) + ", got " + std::to_string(a);
        }
        if (expected.value_at<std::int64_t>(i) != actual.value_at<std::int64_t>(i) ||
            expected.value_at<std::uint64_t>(i) != actual.value_at<std::uint64_t>(i))
            return "element " + std::to_string(i) + ": expected " + std::to_string(expected.value_at<std::int64_t>(i)) +
                   ", got " + std::to_string(actual.value_at<std::int64_t>(i));
    }
    return {};
}

} // namespace

std::vector<Array> Executable::Plan::interpret_loop(const LoopRun& run, const Slots& slots) const {
    const ValueMap values = interpret_values(run, slots);
    std::vector<Array> outputs;
    for (const VariablePtr& output : run.loop->outputs) outputs.push_back(values.at(output.get()));
    return outputs;
}

void Executable::Plan::check_against_interpreter(std::size_t step, const LoopRun& run, const Slots& slots) const {
    const ValueMap values = interpret_values(run, slots);
    // A float sum's tolerance grows with its terms' magnitudes.
    std::optional<Array> magnitudes;
    const Apply& last = *run.loop->nodes.back();
    if (run.loop->kernel.reduction() == ReduceKind::sum && is_float(last.output(0)->type().dtype())) {
        Array terms = values.at(last.inputs()[0].get()).astype(DType::float64);
        double* data = terms.mutable_data_as<double>();
        for (std::int64_t i = 0; i < terms.size(); ++i) data[i] = std::abs(data[i]);
        magnitudes = last.op().perform(last, {terms})[0].astype(DType::float64);
    }
    for (std::size_t j = 0; j < run.loop->outputs.size(); ++j) {
        const Array& expected = values.at(run.loop->outputs[j].get());
        const bool summed = magnitudes && run.loop->outputs[j] == last.output(0);
        if (const std::string why = difference(expected, *slots[run.outputs[j]], summed ? &*magnitudes : nullptr);
            !why.empty())
            throw InternalError("debug linker: step #" + std::to_string(step) + " (fused loop ending in " +
                                apply_text(last) + "), output " + std::to_string(j) + " (" +
                                apply_text(*run.loop->outputs[j]->owner()) + ") differs from the interpreter: " + why +
                                "\nKernel:\n" + run.loop->kernel.text());
    }
}

ValueMap Executable::Plan::interpret_values(const LoopRun& run, const Slots& slots) const {
    ValueMap values;
    for (std::size_t k = 0; k < run.inputs.size(); ++k) values[run.loop->inputs[k].get()] = *slots[run.inputs[k]];
    for (std::size_t k = 0; k < run.params.size(); ++k) values[run.loop->params[k].get()] = *slots[run.params[k]];
    for (const ApplyPtr& node : run.loop->nodes)
        for (const VariablePtr& input : node->inputs())
            if (input->is_constant() && !values.count(input.get())) values[input.get()] = input->constant_value();
    run_nodes(run.loop->nodes, values, run.node_positions);
    return values;
}

} // namespace kiln
