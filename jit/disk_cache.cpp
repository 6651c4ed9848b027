#include "disk_cache.hpp"

#include "../ir/files.hpp"
#include "../ir/log.hpp"

#include "kiln_build_config.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

namespace kiln::jit {

namespace {

constexpr std::string_view entry_magic = "kiln-kernel-cache 1\n";

// The manifest beside an entry: the same name, ".txt" for ".kernel" or ".function".
std::filesystem::path manifest_of(std::filesystem::path entry) { return entry.replace_extension(".txt"); }

// A file's size, 0 when it cannot be had.
std::int64_t size_or_zero(const std::filesystem::path& file) {
    std::error_code missing;
    const auto size = std::filesystem::file_size(file, missing);
    return missing ? 0 : static_cast<std::int64_t>(size);
}

// Why `path` may not hold code kiln runs, or "" when it may.
std::string unsafe_directory(const std::filesystem::path& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return std::strerror(errno);
    if (!S_ISDIR(status.st_mode)) return "it is not a directory";
    if (status.st_uid != ::geteuid()) return "it belongs to another user (uid " + std::to_string(status.st_uid) + ")";
    if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0) return "others can write to it";
    return {};
}

// Creates `path` with mode 0700 where it is missing (its parents as usual).
void make_private_directory(const std::filesystem::path& path) {
    std::error_code ignored;
    std::filesystem::create_directories(path.parent_path(), ignored);
    ::mkdir(path.c_str(), 0700);
}


// Puts a written temporary file in place: a hard link keeps the first
// writer's entry; where the filesystem has no hard links, a rename.
bool publish(const std::filesystem::path& temporary, const std::filesystem::path& final_path, std::string& why) {
    bool placed = ::link(temporary.c_str(), final_path.c_str()) == 0 || errno == EEXIST;
    if (!placed) placed = ::rename(temporary.c_str(), final_path.c_str()) == 0;
    if (!placed) why = std::strerror(errno);
    ::unlink(temporary.c_str());
    return placed;
}

// The whole of a regular file, or nothing when it is missing or cannot be
// read (not a regular file, an I/O error).
std::optional<std::string> read_whole_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    struct stat status {};
    std::optional<std::string> bytes;
    if (::fstat(fd, &status) == 0 && S_ISREG(status.st_mode)) {
        bytes.emplace();
        char block[1 << 16];
        for (;;) {
            const ssize_t n = ::read(fd, block, sizeof block);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                bytes.reset();
                break;
            }
            if (n == 0) break;
            bytes->append(block, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return bytes;
}

// What is wrong with an entry's bytes, or "" with the key material and the
// payload it holds stored in `key_material` and `payload`.
std::string parse_entry(const std::string& bytes, std::string& key_material, std::string& payload) {
    if (bytes.compare(0, entry_magic.size(), entry_magic) != 0) return "not a kiln cache entry of this format";
    std::istringstream in(bytes.substr(entry_magic.size()));
    std::size_t key_length = 0;
    if (!(in >> key_length) || in.get() != '\n' || key_length > bytes.size()) return "no key length";
    key_material.assign(key_length, '\0');
    if (!in.read(key_material.data(), static_cast<std::streamsize>(key_length))) return "truncated in its key";
    std::size_t payload_length = 0;
    std::string checksum;
    if (!(in >> payload_length >> checksum) || in.get() != '\n' || payload_length > bytes.size())
        return "no payload header";
    payload.assign(payload_length, '\0');
    if (!in.read(payload.data(), static_cast<std::streamsize>(payload_length))) return "truncated in its payload";
    if (in.peek() != std::char_traits<char>::eof()) return "longer than its payload";
    if (hash_bytes(payload.data(), payload.size()).hex() != checksum) return "its checksum does not match";
    return {};
}

// The GNU build ID of the loaded object that holds `address`, as hex ("" when it has none).
std::string gnu_build_id(const void* address) {
    struct Search {
        std::uintptr_t address;
        std::string id;
    } search{reinterpret_cast<std::uintptr_t>(address), {}};
    ::dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) -> int {
            Search& found = *static_cast<Search*>(data);
            bool holds = false;
            for (int i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& header = info->dlpi_phdr[i];
                const std::uintptr_t start = info->dlpi_addr + header.p_vaddr;
                if (header.p_type == PT_LOAD && found.address >= start && found.address < start + header.p_memsz)
                    holds = true;
            }
            if (!holds) return 0;
            for (int i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& header = info->dlpi_phdr[i];
                if (header.p_type != PT_NOTE) continue;
                const char* at = reinterpret_cast<const char*>(info->dlpi_addr + header.p_vaddr);
                const char* end = at + header.p_memsz;
                while (at + sizeof(ElfW(Nhdr)) <= end) {
                    const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(at);
                    const char* name = at + sizeof(ElfW(Nhdr));
                    const char* description = name + ((note->n_namesz + 3) & ~3u);
                    if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
                        static constexpr char digits[] = "0123456789abcdef";
                        for (std::size_t b = 0; b < note->n_descsz; ++b) {
                            const auto byte = static_cast<unsigned char>(description[b]);
                            found.id += digits[byte >> 4];
                            found.id += digits[byte & 15];
                        }
                        return 1;
                    }
                    at = description + ((note->n_descsz + 3) & ~3u);
                }
            }
            return 1;
        },
        &search);
    return search.id;
}

} // namespace

const std::string& kiln_build_identity() {
    static const std::string identity = [] {
        const void* here = reinterpret_cast<const void*>(&kiln_build_identity);
        if (std::string id = gnu_build_id(here); !id.empty()) return "build-id " + id;
        Dl_info object{};
        if (::dladdr(here, &object) != 0 && object.dli_fname)
            if (const std::optional<std::string> bytes = read_whole_file(object.dli_fname))
                return "file " + hash_bytes(bytes->data(), bytes->size()).hex();
        return std::string("unknown");
    }();
    return identity;
}

std::string cache_key_material(const std::string& subject, const std::string& target) {
    return "cache format 1\nkiln " KILN_VERSION "\nbuild " + kiln_build_identity() + "\n" + subject + "\ntarget " +
           target + "\n";
}

bool disk_cache_enabled_by_environment() {
    const char* setting = std::getenv("KILN_CACHE");
    return !setting || (std::string_view(setting) != "off" && std::string_view(setting) != "0");
}

std::string disk_cache_directory_from_environment() {
    if (const char* directory = std::getenv("KILN_CACHE_DIR"); directory && *directory) return directory;
    if (const char* cache_home = std::getenv("XDG_CACHE_HOME"); cache_home && *cache_home)
        return (std::filesystem::path(cache_home) / "kiln").string();
    if (const char* home = std::getenv("HOME"); home && *home)
        return (std::filesystem::path(home) / ".cache" / "kiln").string();
    return {};
}

std::unique_ptr<DiskCache> DiskCache::open(const std::filesystem::path& directory, std::int64_t limit_bytes) {
    const auto refuse = [&](const std::filesystem::path& path, const std::string& why) {
        logging::get("jit")->warn("kernel cache directory {} refused ({}): kernels stay in memory only", path.string(),
                                  why);
        return nullptr;
    };
    make_private_directory(directory);
    if (std::string why = unsafe_directory(directory); !why.empty()) return refuse(directory, why);
    const std::filesystem::path kernels = directory / "kernels";
    make_private_directory(kernels);
    if (std::string why = unsafe_directory(kernels); !why.empty()) return refuse(kernels, why);
    logging::get("jit")->debug("kernel cache in {}", kernels.string());
    return std::unique_ptr<DiskCache>(new DiskCache(kernels, limit_bytes));
}

namespace {

// The kind of entry a file in the folder is, by its extension; none for
// manifests and temporary files.
std::optional<EntryKind> kind_of(const std::filesystem::path& path) {
    for (const EntryKind kind : {EntryKind::kernel, EntryKind::function})
        if (path.extension() == std::string(".") + entry_kind_name(kind)) return kind;
    return std::nullopt;
}

} // namespace

const char* entry_kind_name(EntryKind kind) { return kind == EntryKind::kernel ? "kernel" : "function"; }

std::filesystem::path DiskCache::entry_path(EntryKind kind, const Hash128& key) const {
    return directory_ / (key.hex() + "." + entry_kind_name(kind));
}

std::filesystem::path DiskCache::manifest_path(EntryKind kind, const Hash128& key) const {
    return manifest_of(entry_path(kind, key));
}

void DiskCache::remove(EntryKind kind, const Hash128& key, const std::string& why) {
    logging::get("jit")->warn("removing kernel cache entry {}: {}", entry_path(kind, key).string(), why);
    std::error_code ignored;
    std::filesystem::remove(entry_path(kind, key), ignored);
    std::filesystem::remove(manifest_path(kind, key), ignored);
}

std::optional<std::string> DiskCache::load(EntryKind kind, const Hash128& key, const std::string& key_material) {
    const std::filesystem::path path = entry_path(kind, key);
    // Missing, or an I/O error: a miss, and the entry may well be fine.
    const std::optional<std::string> contents = read_whole_file(path);
    if (!contents) return std::nullopt;
    std::string stored_material, payload;
    std::string why = parse_entry(*contents, stored_material, payload);
    if (why.empty() && stored_material != key_material) why = "made for another key";
    if (!why.empty()) {
        remove(kind, key, why);
        return std::nullopt;
    }
    ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0); // used now
    return payload;
}

bool DiskCache::store(EntryKind kind, const Hash128& key, const std::string& key_material, std::string_view payload,
                      std::string_view details) {
    const std::string checksum = hash_bytes(payload.data(), payload.size()).hex();
    std::string entry(entry_magic);
    entry += std::to_string(key_material.size()) + "\n" + key_material;
    entry += std::to_string(payload.size()) + " " + checksum + "\n";
    entry += payload;
    const std::string manifest = key_material + "payload " + std::to_string(payload.size()) + " bytes, XXH3-128 " +
                                 checksum + "\n" + std::string(details);
    std::string why;
    bool stored = false;
    // The manifest first: an entry never stands without its description.
    const std::filesystem::path entry_file = entry_path(kind, key), manifest_file = manifest_of(entry_file);
    why = write_file_atomically(manifest_file, {manifest}, 0600);
    if (why.empty()) {
        if (const auto written = write_synced_temporary(entry_file, {entry}, why); !written.empty())
            stored = publish(written, entry_file, why);
    }
    if (stored) {
        std::lock_guard lock(size_mutex_);
        if (known_bytes_ < 0) known_bytes_ = evict();
        known_bytes_ += static_cast<std::int64_t>(entry.size() + manifest.size());
        if (known_bytes_ > limit_bytes_) known_bytes_ = evict();
    }
    if (!stored && !warned_about_writes_.exchange(true))
        logging::get("jit")->warn("cannot write to the kernel cache in {} ({}): new kernels stay in memory only",
                                  directory_.string(), why);
    return stored;
}

std::int64_t DiskCache::evict() const {
    struct Entry {
        std::filesystem::path path;
        std::int64_t bytes;
        std::filesystem::file_time_type used;
    };
    std::vector<Entry> entries;
    std::int64_t total = 0;
    std::error_code error;
    const auto now = std::filesystem::file_time_type::clock::now();
    for (const auto& item : std::filesystem::directory_iterator(directory_, error)) {
        std::error_code ignored;
        const std::filesystem::path& path = item.path();
        const auto modified = std::filesystem::last_write_time(path, ignored);
        if (ignored) continue;
        // A writer that died left its temporary file; a live one takes milliseconds.
        if (path.filename().string().rfind(".tmp-", 0) == 0) {
            if (now - modified > std::chrono::hours(1)) std::filesystem::remove(path, ignored);
            continue;
        }
        if (!kind_of(path)) continue;
        const std::int64_t bytes = size_or_zero(path) + size_or_zero(manifest_of(path));
        entries.push_back({path, bytes, modified});
        total += bytes;
    }
    if (total <= limit_bytes_) return total;
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
    const std::int64_t target = limit_bytes_ / 10 * 9;
    std::size_t removed = 0;
    for (const Entry& entry : entries) {
        if (total <= target) break;
        std::error_code ignored;
        // Unlinking leaves a reader's open file whole: it still reads all of it.
        if (std::filesystem::remove(entry.path, ignored)) ++removed;
        std::filesystem::remove(manifest_of(entry.path), ignored);
        total -= entry.bytes;
    }
    logging::get("jit")->debug("kernel cache over its limit of {} bytes: removed the {} least recently used entries",
                               limit_bytes_, removed);
    return total;
}

std::vector<DiskCacheEntry> DiskCache::entries() const {
    std::vector<DiskCacheEntry> found;
    std::error_code error;
    for (const auto& item : std::filesystem::directory_iterator(directory_, error)) {
        const std::filesystem::path& path = item.path();
        const std::optional<EntryKind> kind = kind_of(path);
        if (!kind) continue;
        DiskCacheEntry entry;
        entry.name = path.stem().string();
        entry.kind = *kind;
        entry.manifest = manifest_of(path);
        std::error_code ignored;
        entry.last_used = std::filesystem::last_write_time(path, ignored);
        const std::optional<std::string> contents = read_whole_file(path);
        std::string payload;
        if (!contents) {
            entry.problem = "it cannot be read";
        } else {
            entry.bytes = static_cast<std::int64_t>(contents->size());
            entry.problem = parse_entry(*contents, entry.key_material, payload);
            if (entry.problem.empty() &&
                hash_bytes(entry.key_material.data(), entry.key_material.size()).hex() != entry.name)
                entry.problem = "its name is not the hash of its key";
        }
        entry.bytes += size_or_zero(entry.manifest);
        found.push_back(std::move(entry));
    }
    std::sort(found.begin(), found.end(),
              [](const DiskCacheEntry& a, const DiskCacheEntry& b) { return a.last_used > b.last_used; });
    return found;
}

std::size_t DiskCache::clear() {
    std::size_t removed = 0;
    std::error_code error;
    std::vector<std::filesystem::path> files;
    for (const auto& item : std::filesystem::directory_iterator(directory_, error)) files.push_back(item.path());
    for (const std::filesystem::path& path : files) {
        std::error_code ignored;
        if (std::filesystem::remove(path, ignored) && kind_of(path)) ++removed;
    }
    std::lock_guard lock(size_mutex_);
    known_bytes_ = -1;
    return removed;
}

} // namespace kiln::jit
