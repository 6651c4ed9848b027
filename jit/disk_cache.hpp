// The on-disk kernel cache: compiled kernels' object code, and compiled
// functions' optimized graphs, kept in files, so that the next process loads
// them instead of compiling them again. Kernels are native
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
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::jit {

/// The directory the environment names: KILN_CACHE_DIR, else
/// $XDG_CACHE_HOME/kiln, else $HOME/.cache/kiln ("" when none is set).
std::string disk_cache_directory_from_environment();
/// False when the environment turns the disk cache off (KILN_CACHE=off or 0).
bool disk_cache_enabled_by_environment();
/// What identifies the machine code this build of kiln writes: the GNU
/// build ID of the binary holding kiln's code (the program, or libkiln.so),
/// else a hash of that file. A rebuilt kiln (the same version, other code)
/// must not find the kernels an earlier build left.
const std::string& kiln_build_identity();

/// What an entry holds: one kernel's object code, or a compiled function
/// (its optimized graph and how it binds to a request).
enum class EntryKind { kernel, function };
/// "kernel" or "function": the entry's file extension, without the dot.
const char* entry_kind_name(EntryKind kind);

/// The text an entry is keyed by and checked against: the cache format,
/// kiln's version and build, then `subject` (lines naming what is stored),
/// then the target the code is for.
std::string cache_key_material(const std::string& subject, const std::string& target);

/// One entry as an inspection of the cache sees it.
struct DiskCacheEntry {
    /// The entry's name: the hash of its key material.
    std::string name;
    EntryKind kind = EntryKind::kernel;
    /// Its readable manifest.
    std::filesystem::path manifest;
    /// The entry's bytes, and its manifest's.
    std::int64_t bytes = 0;
    std::filesystem::file_time_type last_used;
    /// What it was made for, as stored in it.
    std::string key_material;
    /// What is wrong with it ("" when it would load).
    std::string problem;
};

class DiskCache {
public:
    /// The cache in `directory`, created (mode 0700) where missing, holding
    /// at most `limit_bytes` of entries; null, after one warning, when the
    /// directory cannot be made or is not safe (another owner, writable by
    /// group or others).
    static std::unique_ptr<DiskCache> open(const std::filesystem::path& directory,
                                           std::int64_t limit_bytes = default_limit_bytes);
    static constexpr std::int64_t default_limit_bytes = std::int64_t{1} << 30;

    /// The payload stored under `key` when the entry is whole and was made
    /// for exactly `key_material` (the text `key` hashes). A damaged,
    /// truncated or foreign entry is removed (said once); a file that
    /// cannot be read is only a miss. A hit counts as a use for eviction.
    std::optional<std::string> load(EntryKind kind, const Hash128& key, const std::string& key_material);
    /// Removes an entry whose payload turned out unusable (said once).
    void remove(EntryKind kind, const Hash128& key, const std::string& why);
    /// Publishes an entry and its readable manifest beside it (the key
    /// material, the payload's size and checksum, then `details`): written
    /// to a temporary file, synced, then linked into place, so readers see
    /// all of it or nothing and the first writer of a key wins. False, with
    /// one warning per cache, when the directory refuses the write. Beyond
    /// the limit, the least recently used entries go (a process still
    /// reading one keeps its open file), and temporary files that crashed
    /// writers left.
    bool store(EntryKind kind, const Hash128& key, const std::string& key_material, std::string_view payload,
               std::string_view details = {});

    /// Every entry, each read and checked as a load would (nothing removed).
    std::vector<DiskCacheEntry> entries() const;
    /// Removes every entry, manifest and temporary file; returns the entries removed.
    std::size_t clear();

    const std::filesystem::path& directory() const { return directory_; }
    std::filesystem::path entry_path(EntryKind kind, const Hash128& key) const;
    std::filesystem::path manifest_path(EntryKind kind, const Hash128& key) const;

private:
    DiskCache(std::filesystem::path directory, std::int64_t limit_bytes)
        : directory_(std::move(directory)), limit_bytes_(limit_bytes) {}
    /// Removes the least recently used entries until the folder holds at
    /// most nine tenths of the limit; returns the bytes left.
    std::int64_t evict() const;

    std::filesystem::path directory_;
    std::int64_t limit_bytes_;
    std::atomic<bool> warned_about_writes_{false};
    /// Bytes of entries in the folder as this process knows them (other
    /// processes add to it unseen); -1 until the folder is first measured.
    std::mutex size_mutex_;
    std::int64_t known_bytes_ = -1;
};

} // namespace kiln::jit
