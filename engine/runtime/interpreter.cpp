#include "interpreter.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/print.hpp"
#include "../../ir/walk.hpp"

#include <new>

namespace kiln {

namespace {

std::string failure_context(const Apply& node, std::size_t position, const std::vector<Array>& inputs) {
    std::string types, shapes;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        types += (i > 0 ? ", " : "") + node.inputs()[i]->type().str();
        shapes += (i > 0 ? ", " : "") + shape_text(inputs[i].shape());
    }
    return "\nApply node that caused the error: " + apply_text(node) + "\nToposort index: " +
           std::to_string(position) + "\nInputs types: [" + types + "]\nInputs shapes: [" + shapes + "]";
}

void check_outputs(const Apply& node, const std::vector<Array>& outputs) {
    KILN_CHECK(static_cast<int>(outputs.size()) == node.num_outputs(),
               apply_text(node) + " produced " + std::to_string(outputs.size()) + " outputs");
    for (int i = 0; i < node.num_outputs(); ++i) {
        const TensorType& type = node.output(i)->type();
        const Array& value = outputs[i];
        bool fits = value.dtype() == type.dtype() && value.ndim() == type.ndim();
        for (int d = 0; fits && d < type.ndim(); ++d) fits = !type.broadcastable()[d] || value.shape()[d] == 1;
        KILN_CHECK(fits, apply_text(node) + " output " + std::to_string(i) + " of " + type.str() + " got a " +
                             std::string(dtype_name(value.dtype())) + " array of shape " + shape_text(value.shape()));
    }
}

} // namespace

std::vector<Array> perform_node(const Apply& node, const std::vector<Array>& inputs, std::size_t position) {
    try {
        std::vector<Array> outputs = node.op().perform(node, inputs);
        check_outputs(node, outputs);
        return outputs;
    } catch (const Error& error) {
        rethrow_with_context(error, failure_context(node, position, inputs));
    } catch (const std::bad_alloc&) {
        throw MemoryError("out of memory" + failure_context(node, position, inputs));
    }
}

void run_nodes(const std::vector<ApplyPtr>& nodes, ValueMap& values, std::span<const std::size_t> positions) {
    for (std::size_t position = 0; position < nodes.size(); ++position) {
        const Apply& node = *nodes[position];
        std::vector<Array> inputs;
        for (const VariablePtr& input : node.inputs()) {
            auto found = values.find(input.get());
            KILN_CHECK(found != values.end(), "no value for " + input->str() + " read by " + apply_text(node));
            inputs.push_back(found->second);
        }
        std::vector<Array> outputs = perform_node(node, inputs, positions.empty() ? position : positions[position]);
        for (int i = 0; i < node.num_outputs(); ++i) values[node.output(i).get()] = std::move(outputs[i]);
    }
}

std::vector<Array> evaluate(const std::vector<VariablePtr>& outputs,
                            const std::vector<std::pair<VariablePtr, Array>>& bindings) {
    ValueMap values;
    for (const auto& [variable, value] : bindings) values[variable.get()] = value;
    for (const VariablePtr& leaf : graph_inputs(outputs)) {
        if (values.count(leaf.get())) continue;
        if (leaf->is_constant()) values[leaf.get()] = leaf->constant_value();
        else if (leaf->is_shared()) values[leaf.get()] = leaf->shared_storage()->read();
        else if (!leaf->owner())
            throw MissingInputError("evaluate(): no value bound to graph input " + leaf->str() + " of " +
                                    leaf->type().str());
    }
    std::vector<VariablePtr> stops;
    for (const auto& [variable, value] : bindings) stops.push_back(variable);
    run_nodes(toposort(outputs, stops), values);
    std::vector<Array> results;
    for (const VariablePtr& output : outputs) results.push_back(values.at(output.get()));
    return results;
}

} // namespace kiln
