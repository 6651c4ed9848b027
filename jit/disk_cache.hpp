// The on-disk kernel cache: compiled kernels' object code kept in files, so
// that the next process loads a kernel instead of compiling it. It is native
// code kiln will run, so the directory must belong to this user and be
// writable by nobody else. Entries are published atomically and checked
// (format, full key, checksum) before use; whatever is wrong with one is a
// miss, never a crash or a wrong kernel.
#pragma once

#include "../ir/hash.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::jit {

/// The directory the environment names: KILN_CACHE_DIR, else
/// $XDG_CACHE_HOME/kiln, else $HOME/.cache/kiln ("" when none is set).
std::string disk_cache_directory_from_environment();
/// False when the environment turns the disk cache off (KILN_CACHE=off or 0).
bool disk_cache_enabled_by_environment();

class DiskCache {
public:
    /// The cache in `directory`, created (mode 0700) where missing; null,
    /// after one warning, when the directory cannot be made or is not safe
    /// (another owner, writable by group or others).
    static std::unique_ptr<DiskCache> open(const std::filesystem::path& directory);

    /// The payload stored under `key` when the entry is whole and was made
    /// for exactly `key_material` (the text `key` hashes). A damaged,
    /// truncated or foreign entry is removed (said once); a file that
    /// cannot be read is only a miss.
    std::optional<std::string> load(const Hash128& key, const std::string& key_material);
    /// Publishes an entry and its readable manifest beside it (the key
    /// material, the payload's size and checksum, then `details`): written
    /// to a temporary file, synced, then linked into place, so readers see
    /// all of it or nothing and the first writer of a key wins. False, with
    /// one warning per cache, when the directory refuses the write.
    bool store(const Hash128& key, const std::string& key_material, std::string_view payload,
               std::string_view details = {});

    const std::filesystem::path& directory() const { return directory_; }
    std::filesystem::path entry_path(const Hash128& key) const;
    std::filesystem::path manifest_path(const Hash128& key) const;

private:
    explicit DiskCache(std::filesystem::path directory) : directory_(std::move(directory)) {}
    std::filesystem::path directory_;
    std::atomic<bool> warned_about_writes_{false};
};

} // namespace kiln::jit
