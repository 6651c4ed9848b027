// The executor: the steps of a compiled function over numbered value slots.
// Fused loops run as JIT-compiled native code; other nodes run their op.
#pragma once

#include "config.hpp"
#include "fusion.hpp"

#include "../ir/array.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

class Executable {
public:
    /// `leaves` get their values at each run, in this order; `roots` are
    /// returned in this order.
    Executable(const std::vector<VariablePtr>& leaves, const std::vector<VariablePtr>& roots,
               const std::vector<ApplyPtr>& schedule, Linker linker);
    ~Executable();
    Executable(const Executable&) = delete;
    Executable& operator=(const Executable&) = delete;

    /// One slot per value; a run needs the leaves' values in the first
    /// slots, in the order of `leaves`. A slot is empty until computed and
    /// after its last reader (Array() would allocate).
    using Slots = std::vector<std::optional<Array>>;
    Slots make_slots() const;

    /// Values of the roots for the leaf values in `slots`, which keep them.
    /// Throws like the interpreter, naming the node that failed.
    std::vector<Array> run(Slots& slots) const;

    /// The steps, one line each.
    std::string steps_text() const;
    /// The kernel IR of each fused loop, in step order.
    std::vector<const Kernel*> kernels() const;

private:
    struct Plan;
    std::unique_ptr<Plan> plan_;
};

} // namespace kiln
