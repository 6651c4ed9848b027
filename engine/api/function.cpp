#include "function.hpp"

#include "../compile/compiled_function.hpp"
#include "../compile/dump_folder.hpp"
#include "../compile/pipeline.hpp"
#include "../runtime/executor.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/walk.hpp"

#include <algorithm>
#include <ostream>

namespace kiln {

Function compile(const std::vector<Var>& inputs, const std::vector<Var>& outputs, const CompileOptions& options) {
    Function function(compile_function(inputs, outputs, options, false));
    write_dump_folder_if_asked(function);
    return function;
}

Function compile(const std::vector<Var>& inputs, std::initializer_list<Var> outputs, const CompileOptions& options) {
    return compile(inputs, std::vector<Var>(outputs), options);
}

Function compile(const std::vector<Var>& inputs, const Var& output, const CompileOptions& options) {
    Function function(compile_function(inputs, {output}, options, true));
    write_dump_folder_if_asked(function);
    return function;
}

const std::vector<Var>& Function::inputs() const { return impl_->inputs; }
const std::vector<Var>& Function::outputs() const { return impl_->outputs; }
const std::vector<std::pair<Var, Var>>& Function::updates() const { return impl_->updates; }
const std::string& Function::name() const { return impl_->name; }
const RewriteCounts& Function::rewrites_applied() const { return impl_->rewrites; }
std::string Function::steps_text() const { return impl_->executable->steps_text(); }
std::vector<const Kernel*> Function::kernels() const { return impl_->executable->kernels(); }
std::vector<FunctionStep> Function::steps() const {
    std::vector<FunctionStep> steps = impl_->executable->steps();
    // The executable names the nodes of the graph it was built from; this
    // function's outputs are that graph bound to its own inputs and shared
    // variables (a graph from the caches is always a copy), so name those.
    std::vector<VariablePtr> bound;
    for (const Var& output : impl_->outputs) bound.push_back(output.node());
    for (const auto& update : impl_->updates) bound.push_back(update.second.node());
    if (bound == impl_->executable_roots) return steps;
    const auto corresponding = corresponding_nodes(impl_->executable_roots, bound);
    for (FunctionStep& step : steps)
        for (ApplyPtr& node : step.nodes)
            if (const auto found = corresponding.find(node.get()); found != corresponding.end()) node = found->second;
    return steps;
}

std::vector<SharedVar> Function::shared_variables() const {
    std::vector<SharedVar> found;
    const auto add = [&found](const VariablePtr& variable) {
        if (variable->is_shared() &&
            std::none_of(found.begin(), found.end(), [&](const SharedVar& v) { return v.node() == variable; }))
            found.push_back(SharedVar(variable));
    };
    for (const VariablePtr& leaf : impl_->implicit_leaves) add(leaf);
    for (const auto& [target, value] : impl_->updates) add(target.node());
    return found;
}

Array Var::eval() const { return eval(std::vector<std::pair<Var, Arg>>{}); }

Array Var::eval(const std::vector<std::pair<Var, Arg>>& bindings) const {
    std::vector<Var> inputs;
    std::vector<Arg> arguments;
    for (const auto& [variable, value] : bindings) {
        inputs.push_back(variable);
        arguments.push_back(value);
    }
    return compile(inputs, std::vector<Var>{*this}, {.on_unused_input = OnUnusedInput::ignore, .name = "eval"})
        .call(arguments)[0];
}

Outputs::operator const Array&() const {
    if (values_.size() != 1)
        throw TypeError("Outputs: the function returns " + std::to_string(values_.size()) +
                        " outputs; index them instead of converting to one Array");
    return values_[0];
}

namespace {

// Whether every value of dtype `from` is a value of dtype `to`.
bool holds_every_value(DType from, DType to) {
    if (from == to) return true;
    if (is_float(to)) {
        if (is_float(from)) return dtype_size(from) <= dtype_size(to);
        const int mantissa_bits = to == DType::float32 ? 24 : 53;
        return from == DType::bool_ || dtype_size(from) * 8 <= mantissa_bits;
    }
    return !is_float(from) && promote(from, to) == to;
}

} // namespace

const Array& Outputs::number_source(DType target) const {
    const std::string target_name(dtype_name(target));
    if (values_.size() != 1)
        throw TypeError("Outputs: the function returns " + std::to_string(values_.size()) +
                        " outputs; a number comes from a single output (index them: f(...)[0])");
    const Array& value = values_[0];
    if (value.size() != 1)
        throw TypeError("Outputs: the output has shape " + shape_text(value.shape()) + "; only an output of one "
                        "element converts to a number (its item<T>() after indexing one element)");
    if (!holds_every_value(value.dtype(), target))
        throw TypeError("Outputs: a " + std::string(dtype_name(value.dtype())) + " output does not convert to " +
                        target_name + " exactly; take f(...)[0].item<T>() to convert it anyway, or cast the output "
                        "in the graph");
    return value;
}

void Outputs::check_unpack(std::size_t count) const {
    if (values_.size() != count)
        throw ValueError("Outputs: unpack<" + std::to_string(count) + ">() of a function that returns " +
                         std::to_string(values_.size()) + (values_.size() == 1 ? " output" : " outputs"));
}

std::ostream& operator<<(std::ostream& os, const Outputs& outputs) {
    if (outputs.single()) return os << outputs[0];
    os << "[";
    for (std::size_t i = 0; i < outputs.size(); ++i) os << (i > 0 ? ", " : "") << outputs[i];
    return os << "]";
}

} // namespace kiln
