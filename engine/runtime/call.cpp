// Calling a compiled function: arguments checked and converted against the
// inputs' types, the plan run, results copied where they would alias, and
// the updates committed together once everything has been computed.
#include "executor.hpp"
#include "filter.hpp"
#include "nan_guard.hpp"

#include "../api/function.hpp"
#include "../compile/compiled_function.hpp"

#include "../../ir/errors.hpp"

#include <new>

namespace kiln {

Outputs Function::call(const std::vector<Arg>& arguments) const {
    std::vector<const Arg*> pointers;
    pointers.reserve(arguments.size());
    for (const Arg& argument : arguments) pointers.push_back(&argument);
    return call_arguments(pointers);
}

Outputs Function::call_arguments(std::span<const Arg* const> arguments) const {
    const CompiledFunction& f = *impl_;
    if (arguments.size() > f.inputs.size())
        throw TypeError(f.label() + ": Too many parameters passed: expected " + std::to_string(f.inputs.size()) +
                        ", got " + std::to_string(arguments.size()));
    if (arguments.size() < f.inputs.size())
        throw TypeError(f.label() + ": Missing required input: " + f.inputs[arguments.size()].str() + " (index " +
                        std::to_string(arguments.size()) + ")");

    const Executable::FrameLease frame = f.executable->lease_frame();
    Executable::Slots& slots = frame->slots;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const Var& input = f.inputs[i];
        // Two captured words fit std::function's inline storage: no allocation per argument.
        std::optional<Array> converted = filter_conversion(input.type(), *arguments[i], f.allow_input_downcast,
                                                           compile_downcast_option, [&f, i] {
            return f.label() + ": bad input argument at index " + std::to_string(i) + " ('" + f.inputs[i].str() +
                   "'): ";
        });
        // An argument that needs no conversion is read where the caller keeps it.
        if (converted) slots[i] = std::move(*converted);
        else slots[i].refer_to(arguments[i]->value());
    }
    // From here to the commit, no other call may update a shared variable
    // this one reads, nor read one it updates (see SharedLocks).
    const SharedLocks locks(f.shared_locks);
    // Shared values stay in their storage until the updates commit, after the run.
    for (std::size_t k = 0; k < f.implicit_leaves.size(); ++k) {
        const VariablePtr& leaf = f.implicit_leaves[k];
        slots[arguments.size() + k].refer_to(leaf->is_constant() ? leaf->constant_value()
                                                                  : leaf->shared_storage()->locked_value());
    }
    const std::size_t leaf_count = arguments.size() + f.implicit_leaves.size();

    if (f.nan_guard != NanGuard::off) {
        for (std::size_t i = 0; i < arguments.size(); ++i)
            if (const std::string found = guarded_value_text(*slots[i], f.nan_guard); !found.empty())
                throw ValueError(f.label() + ": NaN guard: input argument at index " + std::to_string(i) + " ('" +
                                 f.inputs[i].str() + "') holds " + found);
        for (std::size_t k = 0; k < f.implicit_leaves.size(); ++k)
            if (const std::string found = guarded_value_text(*slots[arguments.size() + k], f.nan_guard); !found.empty())
                throw ValueError(f.label() + ": NaN guard: " + std::string(f.implicit_leaves[k]->is_shared() ? "shared variable" : "constant") +
                                 " '" + f.implicit_leaves[k]->str() + "' holds " + found);
    }
    ArrayList values;
    try {
        values = f.executable->run(*frame, f.nan_guard);
    } catch (const std::bad_alloc&) { // where no step could say which
        throw MemoryError(f.label() + ": out of memory");
    }

    // Nothing handed back or stored may alias an argument, a shared value, a
    // constant, or another result: values[0, checked) are settled.
    auto aliases = [&](const Array& value, std::size_t checked) {
        for (std::size_t i = 0; i < leaf_count; ++i)
            if (value.shares_buffer_with(*slots[i])) return true;
        for (std::size_t i = 0; i < checked; ++i)
            if (value.shares_buffer_with(values[i])) return true;
        return false;
    };
    // Updates first: a result that aliases an update value is the one copied.
    // An update may keep its own target's buffer (a loop wrote it in place,
    // or the value is a view of the old one): the old value goes at commit.
    const std::size_t outputs = f.outputs.size();
    for (std::size_t i = outputs; i < values.size(); ++i) {
        const int own_leaf = f.update_leaf_slots[i - outputs];
        bool shared = false;
        for (std::size_t l = 0; l < leaf_count && !shared; ++l)
            shared = static_cast<int>(l) != own_leaf && values[i].shares_buffer_with(*slots[l]);
        for (std::size_t j = outputs; j < i && !shared; ++j) shared = values[i].shares_buffer_with(values[j]);
        if (shared) values[i] = values[i].copy();
    }
    for (std::size_t i = 0; i < outputs; ++i) {
        bool shared = aliases(values[i], i);
        for (std::size_t j = outputs; j < values.size() && !shared; ++j) shared = values[i].shares_buffer_with(values[j]);
        if (shared) values[i] = values[i].copy();
    }
    // Commit together, only once everything has been computed.
    for (std::size_t i = 0; i < f.updates.size(); ++i)
        f.updates[i].first.node()->shared_storage()->replace_locked(std::move(values[outputs + i]));
    values.resize(outputs);
    return Outputs(std::move(values), f.single_output);
}

} // namespace kiln
