// Shared variables: symbolic variables with a value that every compiled
// function using them reads and may update.
#pragma once

#include "arg.hpp"
#include "var.hpp"

#include <string>

namespace kiln {

struct SetValueOptions {
    /// Store an Array without a copy.
    bool borrow = false;
    /// Convert a value the type cannot hold exactly (1.5 into an int64
    /// variable becomes 1) instead of refusing it.
    bool allow_downcast = false;
};

class SharedVar : public Var {
public:
    SharedVar() = default;

    /// The current value: a copy, or the stored array itself with borrow
    /// (later updates replace it rather than write into it).
    Array get_value(bool borrow = false) const;
    /// Replaces the value. It must fit the variable's type as a function
    /// input would (the shape may change); with borrow an Array is stored
    /// without a copy. A refused value leaves the old one in place.
    void set_value(const Arg& value, bool borrow = false) const;
    /// set_value(v, {.allow_downcast = true}) rounds v to the variable's dtype.
    void set_value(const Arg& value, const SetValueOptions& options) const;

private:
    friend SharedVar shared(const Arg& value, std::string name, bool borrow);
    friend class Function;
    explicit SharedVar(VariablePtr node) : Var(std::move(node)) {}
};

/// A shared variable holding value. C++ integers give int64, floating
/// values float64, Arrays keep their dtype; no dimension is broadcastable
/// (the shape may change later). With borrow an Array's buffer is used as is.
SharedVar shared(const Arg& value, std::string name = {}, bool borrow = false);

} // namespace kiln
