// libFuzzer target for the .npy reader. Any bytes either load or raise
// ValueError; an array that loads saves and loads back identical.
#include "fuzz_checks.hpp"
#include "fuzz_files.hpp"

#include "engine/io/npy.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    static const std::string path = kiln::fuzz::scratch_path("input.npy");
    static const std::string saved = kiln::fuzz::scratch_path("saved.npy");
    kiln::Array array;
    try {
        array = kiln::load_npy(kiln::fuzz::write_file(path, bytes));
    } catch (const kiln::ValueError&) {
        return 0;
    }
    kiln::save_npy(saved, array);
    const kiln::Array again = kiln::load_npy(saved);
    if (again.dtype() != array.dtype() || !again.identical_to(array))
        kiln::fuzz::finding("an array loaded from .npy does not save and load back the same", bytes, array.repr());
    return 0;
}
