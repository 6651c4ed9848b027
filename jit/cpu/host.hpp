// What the JIT compiles for: the host's target triple, CPU name and feature
// set as LLVM sees them. These go into every CPU kernel key, since code for
// one CPU may crash on another.
#pragma once

#include <string>
#include <vector>

namespace kiln::jit {

struct HostTarget {
    std::string triple;   // "x86_64-pc-linux-gnu"
    std::string cpu;      // "sapphirerapids"
    /// Enabled features in LLVM's spelling, sorted: "+avx2", "+fma", ...
    std::vector<std::string> features;

    /// The features as LLVM's comma-separated attribute string.
    std::string feature_string() const;
    bool has_feature(const std::string& name) const;
};

/// The host as detected once per process.
const HostTarget& host_target();

/// The LLVM version kiln was built against ("19.1.7").
std::string llvm_version();

} // namespace kiln::jit
