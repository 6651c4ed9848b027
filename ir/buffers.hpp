// Where array buffers come from. Large ones are recycled (a fresh mmap'd
// block costs a page fault per 4 KiB); small ones come from a per-thread
// cache (a call with scalar arguments allocates a handful of them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace kiln {

/// A buffer of at least `size` bytes whose data starts on a 64-byte
/// boundary, so vector loops start on a cache line: `offset` bytes past the
/// start of `owner`.
struct AlignedBuffer {
    std::shared_ptr<std::byte[]> owner;
    std::int64_t offset = 0;
};

AlignedBuffer allocate_buffer(std::int64_t size);

/// Blocks of up to small_block_bytes kept per thread when freed: a pointer
/// pop instead of malloc and free. A block freed on another thread than the
/// one that allocated it joins that thread's list.
inline constexpr std::size_t small_block_bytes = 192;
void* take_small_block();
void give_back_small_block(void* block);

/// An allocator over the small blocks, for the short lists every call
/// makes (a scalar's buffer with its reference count, a call's results).
template <class T> struct SmallBlockAllocator {
    using value_type = T;
    SmallBlockAllocator() = default;
    template <class U> SmallBlockAllocator(const SmallBlockAllocator<U>&) {}

    T* allocate(std::size_t n) {
        static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
        if (n * sizeof(T) <= small_block_bytes) return static_cast<T*>(take_small_block());
        return static_cast<T*>(::operator new(n * sizeof(T)));
    }
    void deallocate(T* block, std::size_t n) {
        if (n * sizeof(T) <= small_block_bytes) give_back_small_block(block);
        else ::operator delete(block);
    }
    template <class U> bool operator==(const SmallBlockAllocator<U>&) const { return true; }
};

} // namespace kiln
