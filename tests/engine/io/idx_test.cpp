#include "../test_helpers.hpp"

#include <filesystem>
#include <fstream>
#include <zlib.h>

using namespace kiln;

using test::TempDir;

namespace {

// An IDX header as the format describes it: two zero bytes, the type code,
// the dimension count, then each dimension as a big-endian 32-bit integer.
std::string idx_header(unsigned char type_code, const std::vector<std::uint32_t>& dims) {
    std::string bytes = {'\0', '\0', static_cast<char>(type_code), static_cast<char>(dims.size())};
    for (std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xff);
    return bytes;
}

void write_plain(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

void write_gzip(const std::string& path, const std::string& bytes) {
    gzFile out = gzopen(path.c_str(), "wb");
    REQUIRE(out != nullptr);
    REQUIRE(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
    REQUIRE(gzclose(out) == Z_OK);
}

std::string load_error(const std::string& path) {
    try {
        load_idx(path);
    } catch (const ValueError& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("load_idx reads unsigned bytes, plain and gzip-compressed, in the file's shape") {
    TempDir dir;
    // Two 2x3 "images" with values 0..11, then 255.
    std::string bytes = idx_header(0x08, {2, 2, 3});
    for (int v = 0; v < 11; ++v) bytes += static_cast<char>(v);
    bytes += '\xff';
    write_plain(dir.file("images-idx3-ubyte"), bytes);
    write_gzip(dir.file("images-idx3-ubyte.gz"), bytes);
    for (const char* name : {"images-idx3-ubyte", "images-idx3-ubyte.gz"}) {
        CAPTURE(name);
        const Array images = load_idx(dir.file(name));
        CHECK(images.dtype() == DType::uint8);
        CHECK(images.shape() == Shape{2, 2, 3});
        CHECK(images.to_vector<std::uint8_t>() ==
              std::vector<std::uint8_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255});
    }
    // The gzip file really is compressed: its bytes differ from the data's.
    std::ifstream compressed(dir.file("images-idx3-ubyte.gz"), std::ios::binary);
    CHECK(std::string(std::istreambuf_iterator<char>(compressed), {}) != bytes);
}

TEST_CASE("load_idx converts every wider IDX type from big-endian") {
    TempDir dir;
    SUBCASE("int32 labels") {
        write_gzip(dir.file("a.gz"), idx_header(0x0C, {3}) + std::string("\x00\x00\x00\x07\xff\xff\xff\xfe\x01\x02\x03\x04", 12));
        const Array a = load_idx(dir.file("a.gz"));
        CHECK(a.dtype() == DType::int32);
        CHECK(a.to_vector<std::int32_t>() == std::vector<std::int32_t>{7, -2, 0x01020304});
    }
    SUBCASE("int16 and int8") {
        write_plain(dir.file("s"), idx_header(0x0B, {2}) + std::string("\x01\x00\xff\xff", 4));
        CHECK(load_idx(dir.file("s")).to_vector<std::int16_t>() == std::vector<std::int16_t>{256, -1});
        write_plain(dir.file("b"), idx_header(0x09, {2}) + std::string("\x80\x7f", 2));
        CHECK(load_idx(dir.file("b")).to_vector<std::int8_t>() == std::vector<std::int8_t>{-128, 127});
    }
    SUBCASE("float32 and float64") {
        // 1.5f is 0x3FC00000; -2.0 is 0xC000000000000000.
        write_plain(dir.file("f"), idx_header(0x0D, {1, 1}) + std::string("\x3f\xc0\x00\x00", 4));
        const Array f = load_idx(dir.file("f"));
        CHECK(f.shape() == Shape{1, 1});
        CHECK(f.to_vector<float>() == std::vector<float>{1.5f});
        write_plain(dir.file("d"), idx_header(0x0E, {1}) + std::string("\xc0\x00\x00\x00\x00\x00\x00\x00", 8));
        CHECK(load_idx(dir.file("d")).to_vector<double>() == std::vector<double>{-2.0});
    }
    SUBCASE("zero dimensions and empty arrays") {
        write_plain(dir.file("z"), idx_header(0x08, {}) + "\x05");
        const Array scalar = load_idx(dir.file("z"));
        CHECK(scalar.ndim() == 0);
        CHECK(scalar.value_at<std::uint8_t>(0) == 5);
        write_plain(dir.file("e"), idx_header(0x08, {0, 28}));
        CHECK(load_idx(dir.file("e")).shape() == Shape{0, 28});
    }
}

TEST_CASE("an IDX file with a zero dimension loads as an empty C-contiguous array (a fuzz finding)") {
    TempDir dir;
    write_plain(dir.file("empty-idx3-ubyte"), idx_header(0x08, {1023410177, 0, 856576}));
    const Array empty = load_idx(dir.file("empty-idx3-ubyte"));
    CHECK(empty.shape() == Shape{1023410177, 0, 856576});
    CHECK(empty.size() == 0);
    CHECK(empty.is_c_contiguous());
    // Its other extents multiply past int64: no overflow in sizes or strides.
    write_plain(dir.file("wide-idx4-int"), idx_header(0x0C, {4294967055u, 0, 824637, 536872448}));
    const Array wide = load_idx(dir.file("wide-idx4-int"));
    CHECK(wide.size() == 0);
    CHECK(wide.copy().shape() == wide.shape());
}

TEST_CASE("load_idx names the file and the fault of a bad one") {
    TempDir dir;
    const std::string path = dir.file("bad");
    CHECK(load_error(dir.file("missing")) == "load_idx(): " + dir.file("missing") + ": cannot open for reading");

    write_plain(path, "\x00\x00");
    CHECK(load_error(path) == "load_idx(): " + path + ": too short for an IDX header");
    write_plain(path, "\x93NUMPY\x01\x00");
    CHECK(load_error(path) == "load_idx(): " + path + ": not an IDX file (the magic word must start with two zero bytes)");
    write_plain(path, idx_header(0x0A, {1}) + "x");
    CHECK(load_error(path).find(": unknown element type 0x0A (IDX defines") != std::string::npos);
    write_plain(path, idx_header(0x08, {2, 3}).substr(0, 9));
    CHECK(load_error(path) == "load_idx(): " + path + ": truncated header: 2 dimensions declared, 1 present");
    write_gzip(path, idx_header(0x0C, {2, 3}) + std::string(20, '\0'));
    CHECK(load_error(path) == "load_idx(): " + path + ": truncated data: shape (2, 3) needs 24 bytes, the file holds 20");
    write_plain(path, idx_header(0x08, {2}) + "abc");
    CHECK(load_error(path) == "load_idx(): " + path + ": has bytes after the 2 bytes of data for shape (2,)");
    // A header claiming 16 GiB over a few bytes of data is truncated, not an allocation of 16 GiB.
    write_gzip(path, idx_header(0x0E, {0x7fffffffu, 8}) + std::string(16, '\0'));
    CHECK(load_error(path) == "load_idx(): " + path +
                                  ": truncated data: shape (2147483647, 8) needs 137438953408 bytes, the file holds 16");
    // 2^32-1 in each of four dimensions overflows any size; no allocation is tried.
    write_plain(path, idx_header(0x0E, {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}));
    CHECK(load_error(path).find("are too large") != std::string::npos);
}
