#include "disk_store.hpp"

#include "../api/config.hpp"

#include <mutex>
#include <string>

namespace kiln {

std::shared_ptr<jit::DiskCache> configured_disk_cache() {
    static std::mutex mutex;
    static std::string opened_setting;
    static std::shared_ptr<jit::DiskCache> opened;
    const std::string directory = config().disk_cache_directory();
    const std::int64_t limit = config().disk_cache_limit_bytes();
    const std::string setting = directory.empty() ? std::string() : directory + "\n" + std::to_string(limit);
    {
        std::lock_guard lock(mutex);
        if (setting == opened_setting) return opened;
    }
    // Opening checks (and may create) the directory: outside the lock.
    std::shared_ptr<jit::DiskCache> store = directory.empty() ? nullptr : jit::DiskCache::open(directory, limit);
    std::lock_guard lock(mutex);
    opened_setting = setting;
    opened = store;
    return store;
}

} // namespace kiln
