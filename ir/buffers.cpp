#include "buffers.hpp"

#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace kiln {

namespace {

constexpr std::align_val_t buffer_alignment{64};

// Large buffers are kept for reuse when freed: a fresh multi-megabyte
// allocation comes from mmap, and the kernel zeroing its pages on first
// touch costs as much as the loop writing them.
class LargeBufferPool {
public:
    static constexpr std::size_t min_bytes = std::size_t{1} << 20;
    static constexpr std::size_t max_kept_bytes = std::size_t{1} << 30;
    static constexpr std::size_t max_kept_blocks = 8;

    static LargeBufferPool& instance() {
        static LargeBufferPool* pool = new LargeBufferPool; // outlives every static Array
        return *pool;
    }

    std::byte* take(std::size_t bytes) {
        {
            std::lock_guard lock(mutex_);
            for (auto it = kept_.begin(); it != kept_.end(); ++it) {
                if (it->second != bytes) continue;
                std::byte* block = it->first;
                kept_bytes_ -= bytes;
                kept_.erase(it);
                return block;
            }
        }
        // From the C allocator, which reports a refusal (null) to kiln
        // rather than ending the process (operator new under AddressSanitizer).
        const auto alignment = static_cast<std::size_t>(buffer_alignment);
        void* block = std::aligned_alloc(alignment, (bytes + alignment - 1) / alignment * alignment);
        if (!block) throw std::bad_alloc();
        return static_cast<std::byte*>(block);
    }

    void give_back(std::byte* block, std::size_t bytes) {
        // The oldest kept blocks make room: the sizes a program used last
        // are the ones its next calls ask for.
        std::vector<std::byte*> evicted;
        {
            std::lock_guard lock(mutex_);
            if (bytes > max_kept_bytes) {
                evicted.push_back(block);
            } else {
                while (!kept_.empty() && (kept_.size() >= max_kept_blocks || kept_bytes_ + bytes > max_kept_bytes)) {
                    evicted.push_back(kept_.front().first);
                    kept_bytes_ -= kept_.front().second;
                    kept_.erase(kept_.begin());
                }
                kept_.emplace_back(block, bytes);
                kept_bytes_ += bytes;
            }
        }
        for (std::byte* old : evicted) std::free(old);
    }

private:
    std::mutex mutex_;
    std::vector<std::pair<std::byte*, std::size_t>> kept_;
    std::size_t kept_bytes_ = 0;
};

// Each thread's recently freed small blocks.
constexpr std::size_t max_kept_small_blocks = 64;

struct SmallBlocks {
    void* blocks[max_kept_small_blocks];
    std::size_t count = 0;
    ~SmallBlocks();
};
// Set once the thread's list is destroyed: blocks freed later (by static
// destructors) go straight to the heap.
thread_local bool small_blocks_gone = false;
thread_local SmallBlocks small_blocks;

SmallBlocks::~SmallBlocks() {
    for (std::size_t i = 0; i < count; ++i) ::operator delete(blocks[i]);
    count = 0;
    small_blocks_gone = true;
}

} // namespace

void* take_small_block() {
    if (!small_blocks_gone && small_blocks.count > 0) return small_blocks.blocks[--small_blocks.count];
    return ::operator new(small_block_bytes);
}

void give_back_small_block(void* block) {
    if (!small_blocks_gone && small_blocks.count < max_kept_small_blocks) {
        small_blocks.blocks[small_blocks.count++] = block;
        return;
    }
    ::operator delete(block);
}

AlignedBuffer allocate_buffer(std::int64_t size) {
    const auto bytes = static_cast<std::size_t>(size);
    if (bytes >= LargeBufferPool::min_bytes) {
        std::byte* block = LargeBufferPool::instance().take(bytes);
        return {std::shared_ptr<std::byte[]>(block, [bytes](std::byte* p) { LargeBufferPool::instance().give_back(p, bytes); }),
                0};
    }
    constexpr auto alignment = static_cast<std::size_t>(buffer_alignment);
    auto owner = std::allocate_shared_for_overwrite<std::byte[]>(SmallBlockAllocator<std::byte>{}, bytes + alignment - 1);
    const auto address = reinterpret_cast<std::uintptr_t>(owner.get());
    const auto pad = static_cast<std::int64_t>((alignment - address % alignment) % alignment);
    return {std::move(owner), pad};
}

} // namespace kiln
