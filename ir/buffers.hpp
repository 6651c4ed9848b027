// Where array buffers come from. Large ones are recycled (a fresh mmap'd
// block costs a page fault per 4 KiB); small ones come from a per-thread
// cache (a call with scalar arguments allocates a handful of them).
#pragma once

#include <cstdint>
#include <memory>

namespace kiln {

/// A buffer of at least `size` bytes whose data starts on a 64-byte
/// boundary, so vector loops start on a cache line: `offset` bytes past the
/// start of `owner`.
struct AlignedBuffer {
    std::shared_ptr<std::byte[]> owner;
    std::int64_t offset = 0;
};

AlignedBuffer allocate_buffer(std::int64_t size);

} // namespace kiln
