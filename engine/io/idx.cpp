#include "idx.hpp"

#include "../../ir/errors.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>
#include <zlib.h>

namespace kiln {

namespace {

[[noreturn]] void bad_file(const std::string& path, const std::string& why) {
    throw ValueError("load_idx(): " + path + ": " + why);
}

DType dtype_of_code(int code, const std::string& path) {
    switch (code) {
    case 0x08: return DType::uint8;
    case 0x09: return DType::int8;
    case 0x0B: return DType::int16;
    case 0x0C: return DType::int32;
    case 0x0D: return DType::float32;
    case 0x0E: return DType::float64;
    default: break;
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", code);
    bad_file(path, std::string("unknown element type ") + hex +
                       " (IDX defines 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)");
}

struct GzCloser {
    void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads up to size bytes; returns how many arrived (fewer only at the end).
std::int64_t read_bytes(gzFile file, std::byte* into, std::int64_t size, const std::string& path) {
    std::int64_t done = 0;
    while (done < size) {
        const auto chunk = static_cast<unsigned>(std::min<std::int64_t>(size - done, 1 << 30));
        const int got = gzread(file, into + done, chunk);
        if (got < 0) {
            int code = 0;
            const char* message = gzerror(file, &code);
            bad_file(path, std::string("read failed: ") + message);
        }
        if (got == 0) break;
        done += got;
    }
    return done;
}

} // namespace

Array load_idx(const std::string& path) {
    // zlib reads an uncompressed file through the same calls.
    GzFile file(gzopen(path.c_str(), "rb"));
    if (!file) bad_file(path, "cannot open for reading");

    std::byte magic[4];
    if (read_bytes(file.get(), magic, 4, path) != 4) bad_file(path, "too short for an IDX header");
    if (magic[0] != std::byte{0} || magic[1] != std::byte{0})
        bad_file(path, "not an IDX file (the magic word must start with two zero bytes)");
    const DType dtype = dtype_of_code(std::to_integer<int>(magic[2]), path);
    const int ndim = std::to_integer<int>(magic[3]);

    Shape shape(ndim);
    std::int64_t elements = 1;
    for (int d = 0; d < ndim; ++d) {
        unsigned char size_bytes[4];
        if (read_bytes(file.get(), reinterpret_cast<std::byte*>(size_bytes), 4, path) != 4)
            bad_file(path, "truncated header: " + std::to_string(ndim) + " dimensions declared, " +
                               std::to_string(d) + " present");
        shape[d] = (std::int64_t{size_bytes[0]} << 24) | (size_bytes[1] << 16) | (size_bytes[2] << 8) | size_bytes[3];
        if (shape[d] != 0 && elements > std::numeric_limits<std::int64_t>::max() / 16 / shape[d])
            bad_file(path, "dimensions " + shape_text(shape) + " are too large");
        elements *= shape[d];
    }

    // The payload grows as it arrives, so a header that declares more than
    // the file holds fails as truncated instead of allocating what it claims.
    const int element_size = dtype_size(dtype);
    const std::int64_t bytes = elements * element_size;
    std::vector<std::byte> payload;
    while (static_cast<std::int64_t>(payload.size()) < bytes) {
        const std::size_t at = payload.size();
        const std::int64_t wanted = std::min<std::int64_t>(bytes - static_cast<std::int64_t>(at), 1 << 24);
        payload.resize(at + static_cast<std::size_t>(wanted));
        const std::int64_t got = read_bytes(file.get(), payload.data() + at, wanted, path);
        payload.resize(at + static_cast<std::size_t>(got));
        if (got < wanted) break;
    }
    if (static_cast<std::int64_t>(payload.size()) != bytes)
        bad_file(path, "truncated data: shape " + shape_text(shape) + " needs " + std::to_string(bytes) +
                           " bytes, the file holds " + std::to_string(payload.size()));
    std::byte extra;
    if (read_bytes(file.get(), &extra, 1, path) != 0)
        bad_file(path, "has bytes after the " + std::to_string(bytes) + " bytes of data for shape " +
                           shape_text(shape));

    Array data = Array::uninitialized(dtype, shape);
    if (bytes > 0) std::memcpy(data.mutable_data(), payload.data(), static_cast<std::size_t>(bytes));
    // IDX is big-endian.
    if (std::endian::native == std::endian::little && element_size > 1) {
        std::byte* at = data.mutable_data();
        for (std::int64_t i = 0; i < elements; ++i, at += element_size) std::reverse(at, at + element_size);
    }
    return data;
}

} // namespace kiln
