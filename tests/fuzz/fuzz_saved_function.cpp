// libFuzzer target for load_function. The input is a saved function's file
// without its closing checksum line, which the target appends (a checksum
// the fuzzer cannot forge would stop every input at the first check).
// Loading compiles the kernels here (compile_if_incompatible, and seeds
// saved by another build), so no code from the input ever runs. Any bytes
// either load or raise a kiln::Error.
#include "fuzz_checks.hpp"
#include "fuzz_files.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string file(reinterpret_cast<const char*>(data), size);
    file += "checksum " + kiln::hash_bytes(file.data(), file.size()).hex() + "\n";
    static const std::string path = kiln::fuzz::scratch_path("function.kilnfn");
    static const bool quiet = [] {
        kiln::config().set("disk_cache", "off");
        return true;
    }();
    (void)quiet;
    try {
        const kiln::Function loaded =
            kiln::load_function(kiln::fuzz::write_file(path, file), {.compile_if_incompatible = true});
        loaded.dump(kiln::Stage::schedule);
    } catch (const kiln::Error&) {
    }
    return 0;
}
