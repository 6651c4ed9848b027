// libFuzzer target for the on-disk cache's readers: an entry file (the
// format, the key material it was made for, the payload's size and
// checksum) read by DiskCache::load and by the cache inspection, then a
// function entry's payload read back into a compiled graph. Any bytes
// either read or are refused (a miss, or a kiln::Error from the payload
// reader); a damaged entry is removed, never read twice.
#include "fuzz_checks.hpp"
#include "fuzz_files.hpp"

#include "engine/cache/function_disk_cache.hpp"
#include "jit/disk_cache.hpp"

#include <cstddef>
#include <cstdint>

namespace {

// The key material the seeds were stored under (tests/fuzz/seeds/cache_entry).
const std::string material = "kiln fuzz entry\n";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    static const std::unique_ptr<kiln::jit::DiskCache> cache = [] {
        const std::string folder = kiln::fuzz::scratch_path("cache");
        std::filesystem::create_directories(folder);
        std::filesystem::permissions(folder, std::filesystem::perms::owner_all);
        return kiln::jit::DiskCache::open(folder);
    }();
    if (!cache) kiln::fuzz::finding("cannot open a cache in the temporary folder", bytes, "");
    const kiln::Hash128 key = kiln::hash_bytes(material.data(), material.size());
    const auto path = cache->entry_path(kiln::jit::EntryKind::function, key);
    kiln::fuzz::write_file(path.string(), bytes);
    for (const kiln::jit::DiskCacheEntry& entry : cache->entries())
        if (entry.problem.empty() && entry.key_material != material)
            kiln::fuzz::finding("the inspection reads an entry made for another key as whole", bytes, entry.key_material);
    const std::optional<std::string> payload = cache->load(kiln::jit::EntryKind::function, key, material);
    if (!payload) {
        if (std::filesystem::exists(path)) kiln::fuzz::finding("a refused entry was left in the cache", bytes, "");
        return 0;
    }
    // The seeds' request: f(x, y) of two float64 vectors, one output.
    static const std::vector<kiln::VariablePtr> inputs{kiln::dvector("x").node(), kiln::dvector("y").node()};
    try {
        kiln::read_compiled_graph_payload(*payload, inputs, {}, 1);
    } catch (const kiln::Error&) {
    }
    return 0;
}
