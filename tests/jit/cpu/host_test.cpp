#include "jit/cpu/host.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <sys/utsname.h>

using namespace kiln::jit;

namespace {

// The CPU flags the kernel reports, read independently of LLVM.
std::set<std::string> cpuinfo_flags() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("flags", 0) != 0) continue;
        std::istringstream words(line.substr(line.find(':') + 1));
        std::set<std::string> flags;
        for (std::string w; words >> w;) flags.insert(w);
        return flags;
    }
    return {};
}

} // namespace

TEST_CASE("the host target names this machine") {
    const HostTarget& host = host_target();
    utsname name{};
    REQUIRE(uname(&name) == 0);
    CHECK(host.triple.rfind(name.machine, 0) == 0);
    CHECK_FALSE(host.cpu.empty());
    CHECK_FALSE(host.features.empty());
    CHECK(llvm_version().rfind("19.", 0) == 0);
    CHECK(host.feature_string().find(host.features.front()) == 0);
}

TEST_CASE("LLVM's feature list agrees with /proc/cpuinfo") {
    const std::set<std::string> flags = cpuinfo_flags();
    if (flags.empty()) return; // not Linux on x86: nothing to compare with
    const HostTarget& host = host_target();
    // cpuinfo spelling -> LLVM spelling
    const std::pair<const char*, const char*> pairs[] = {
        {"sse2", "sse2"}, {"avx", "avx"}, {"avx2", "avx2"}, {"fma", "fma"}, {"avx512f", "avx512f"}};
    for (const auto& [cpuinfo, llvm] : pairs) {
        CAPTURE(cpuinfo);
        CHECK(flags.count(cpuinfo) == static_cast<std::size_t>(host.has_feature(llvm)));
    }
}
