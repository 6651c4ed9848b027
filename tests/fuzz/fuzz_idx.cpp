// libFuzzer target for the IDX reader (plain or gzip-compressed). Any bytes
// either load or raise ValueError; an array that loads holds as many
// elements as its shape says.
#include "fuzz_checks.hpp"
#include "fuzz_files.hpp"

#include "engine/io/idx.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    static const std::string path = kiln::fuzz::scratch_path("input.idx");
    kiln::Array array;
    try {
        array = kiln::load_idx(kiln::fuzz::write_file(path, bytes));
    } catch (const kiln::ValueError&) {
        return 0;
    }
    if (!array.is_c_contiguous() || array.size() != kiln::shape_size(array.shape()))
        kiln::fuzz::finding("an IDX array is not laid out as its shape says", bytes, kiln::shape_text(array.shape()));
    array.copy(); // every element readable
    return 0;
}
