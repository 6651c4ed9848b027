// The value of a shared variable, read and replaced from any thread.
//
// Its lock orders everyone who reads or writes the value. get_value and
// set_value take it for a moment (read, replace). A call of a compiled
// function holds it for the whole call through SharedLocks: shared where
// the function only reads the variable, exclusive where it updates it, from
// before it reads the old value until its update is committed. So no update
// is lost, calls that only read run side by side, and nobody sees a value
// while a call writes it in place.
#pragma once

#include "array.hpp"

#include <mutex>
#include <shared_mutex>
#include <span>
#include <utility>
#include <vector>

namespace kiln {

class SharedStorage {
public:
    explicit SharedStorage(Array value) : value_(std::move(value)) {}

    /// The value as it is now: a handle that keeps its buffer alive.
    Array read() const {
        std::shared_lock lock(mutex_);
        return value_;
    }
    /// Replaces the value (the old one is released after the lock).
    void replace(Array value) {
        Array old;
        std::unique_lock lock(mutex_);
        old = std::exchange(value_, std::move(value));
    }

    /// For a holder of SharedLocks over this storage: the value, and
    /// replacing it (exclusive holders only).
    const Array& locked_value() const { return value_; }
    void replace_locked(Array value) { value_ = std::move(value); }

private:
    friend class SharedLocks;
    mutable std::shared_mutex mutex_;
    Array value_;
};

/// The locks one call holds over the shared variables it uses, taken in one
/// global order (by address) so that calls sharing variables never
/// deadlock, and released in reverse when it ends.
class SharedLocks {
public:
    struct Entry {
        SharedStorage* storage = nullptr;
        bool exclusive = false;
    };
    /// `entries` sorted by storage, each storage once, exclusive where any
    /// of its uses was: the order a call locks in.
    static std::vector<Entry> lock_order(std::vector<Entry> entries);

    /// Locks `ordered` (from lock_order), which must outlive this.
    explicit SharedLocks(std::span<const Entry> ordered);
    ~SharedLocks();
    SharedLocks(const SharedLocks&) = delete;
    SharedLocks& operator=(const SharedLocks&) = delete;

private:
    std::span<const Entry> ordered_;
};

} // namespace kiln
