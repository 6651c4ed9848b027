// The executor: the steps of a compiled function over numbered value slots.
// Fused loops run as JIT-compiled native code; other nodes run their op.
#pragma once

#include "config.hpp"
#include "fusion.hpp"

#include "../ir/array.hpp"

#include <memory>
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

    /// Values of the roots for these leaf values. Throws like the
    /// interpreter, naming the node that failed.
    std::vector<Array> run(std::vector<Array> leaf_values) const;

    /// The steps, one line each.
    std::string steps_text() const;
    /// The kernel IR of each fused loop, in step order.
    std::vector<const Kernel*> kernels() const;

private:
    struct Plan;
    std::unique_ptr<Plan> plan_;
};

} // namespace kiln
