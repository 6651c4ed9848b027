#include "shared_storage.hpp"

#include <algorithm>
#include <functional>

namespace kiln {

std::vector<SharedLocks::Entry> SharedLocks::lock_order(std::vector<Entry> entries) {
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return std::less<>{}(a.storage, b.storage); });
    std::vector<Entry> ordered;
    for (const Entry& entry : entries) {
        if (!ordered.empty() && ordered.back().storage == entry.storage) ordered.back().exclusive |= entry.exclusive;
        else ordered.push_back(entry);
    }
    return ordered;
}

SharedLocks::SharedLocks(std::span<const Entry> ordered) : ordered_(ordered) {
    for (const Entry& entry : ordered_) {
        if (entry.exclusive) entry.storage->mutex_.lock();
        else entry.storage->mutex_.lock_shared();
    }
}

SharedLocks::~SharedLocks() {
    for (auto entry = ordered_.rbegin(); entry != ordered_.rend(); ++entry) {
        if (entry->exclusive) entry->storage->mutex_.unlock();
        else entry->storage->mutex_.unlock_shared();
    }
}

} // namespace kiln
