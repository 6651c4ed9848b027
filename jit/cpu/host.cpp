#include "host.hpp"

#include "kiln_build_config.hpp"

#include <algorithm>
#include <llvm/ADT/StringMap.h>
#include <llvm/TargetParser/Host.h>

namespace kiln::jit {

std::string HostTarget::feature_string() const {
    std::string text;
    for (const std::string& feature : features) text += (text.empty() ? "" : ",") + feature;
    return text;
}

bool HostTarget::has_feature(const std::string& name) const {
    return std::find(features.begin(), features.end(), "+" + name) != features.end();
}

const HostTarget& host_target() {
    static const HostTarget target = [] {
        HostTarget host;
        host.triple = llvm::sys::getProcessTriple();
        host.cpu = llvm::sys::getHostCPUName().str();
        for (const auto& feature : llvm::sys::getHostCPUFeatures())
            if (feature.getValue()) host.features.push_back("+" + feature.getKey().str());
        std::sort(host.features.begin(), host.features.end());
        return host;
    }();
    return target;
}

std::string llvm_version() { return KILN_LLVM_VERSION; }

} // namespace kiln::jit
