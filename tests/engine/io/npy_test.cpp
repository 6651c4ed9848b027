#include "../test_helpers.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace kiln;
namespace fs = std::filesystem;

using test::TempDir;

namespace {

// The bytes NumPy writes for a version-1.0 file with this header dict.
std::string npy_bytes(const std::string& dict, const std::string& data) {
    std::string header = dict;
    const std::size_t unpadded = 10 + header.size() + 1;
    header += std::string((64 - unpadded % 64) % 64, ' ') + "\n";
    std::string bytes = "\x93NUMPY";
    bytes += '\x01';
    bytes += '\x00';
    bytes += static_cast<char>(header.size() & 0xff);
    bytes += static_cast<char>(header.size() >> 8);
    return bytes + header + data;
}

template <class T> std::string raw(std::initializer_list<T> values) {
    std::string out;
    for (T v : values) out.append(reinterpret_cast<const char*>(&v), sizeof v);
    return out;
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_CASE("save_npy writes exactly what NumPy writes") {
    TempDir dir;
    save_npy(dir.file("a.npy"), Array::from_values<double>({1, 2, 3, 4, 5, 6}, {2, 3}));
    const std::string expected =
        npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", raw<double>({1, 2, 3, 4, 5, 6}));
    CHECK(read_file(dir.file("a.npy")) == expected);
    CHECK(expected.size() == 128 + 48); // NumPy aligns the data to 64 bytes
    save_npy(dir.file("v.npy"), Array::from_values<std::int32_t>({7}));
    CHECK(read_file(dir.file("v.npy")) == npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }",
                                                    raw<std::int32_t>({7})));
    save_npy(dir.file("s.npy"), Array::scalar(true));
    CHECK(read_file(dir.file("s.npy")) == npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (), }", "\x01"));
}

TEST_CASE("load_npy reads C and Fortran order, both byte orders and version 2.0") {
    TempDir dir;
    write_file(dir.file("c.npy"),
               npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", raw<double>({1, 2, 3, 4, 5, 6})));
    Array c = load_npy(dir.file("c.npy"));
    CHECK(c.shape() == Shape{2, 3});
    CHECK(c.to_vector<double>() == std::vector<double>{1, 2, 3, 4, 5, 6});
    // Column-major: the same matrix stored as 1 4 2 5 3 6.
    write_file(dir.file("f.npy"),
               npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", raw<double>({1, 4, 2, 5, 3, 6})));
    CHECK(load_npy(dir.file("f.npy")).to_vector<double>() == std::vector<double>{1, 2, 3, 4, 5, 6});
    // Big-endian int32 258 and -2.
    write_file(dir.file("b.npy"), npy_bytes("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }",
                                            std::string("\x00\x00\x01\x02\xff\xff\xff\xfe", 8)));
    Array b = load_npy(dir.file("b.npy"));
    CHECK(b.dtype() == DType::int32);
    CHECK(b.to_vector<int>() == std::vector<int>{258, -2});
    // Version 2.0 has a 4-byte header length.
    std::string v2 = "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }";
    v2 += std::string((64 - (12 + v2.size() + 1) % 64) % 64, ' ') + "\n";
    std::string bytes = std::string("\x93NUMPY\x02\x00", 8) + static_cast<char>(v2.size()) + std::string(3, '\0') + v2 + "\x01\x02\x03";
    write_file(dir.file("v2.npy"), bytes);
    CHECK(load_npy(dir.file("v2.npy")).to_vector<int>() == std::vector<int>{1, 2, 3});
}

TEST_CASE("every dtype round-trips, Fortran order included") {
    TempDir dir;
    for (int i = 0; i < dtype_count; ++i) {
        const DType dtype = static_cast<DType>(i);
        CAPTURE(dtype_name(dtype));
        const Array original = Array::from_values<double>({0, 1, 1, 0, 1, 1}, {3, 2}).astype(dtype);
        save_npy(dir.file("x.npy"), original);
        CHECK(load_npy(dir.file("x.npy")).identical_to(original));
        save_npy(dir.file("x.npy"), original, true);
        CHECK(load_npy(dir.file("x.npy")).identical_to(original));
    }
    const Array view = Array::from_values<double>({1, 2, 3, 4, 5, 6}, {2, 3}).view({3, 2}, {1, 3});
    save_npy(dir.file("t.npy"), view);
    CHECK(load_npy(dir.file("t.npy")).to_vector<double>() == std::vector<double>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("a bool array's bytes other than 0 and 1 read as True, as NumPy reads them (a fuzz finding)") {
    TempDir dir;
    write_file(dir.file("b.npy"), npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", std::string("\x00\x01\x20\xff", 4)));
    const Array flags = load_npy(dir.file("b.npy"));
    CHECK(flags.to_vector<bool>() == std::vector<bool>{false, true, true, true});
    CHECK(flags.astype(DType::int64).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 1, 1});
}

TEST_CASE("a header length beyond the file is refused before anything is allocated for it (a fuzz finding)") {
    TempDir dir;
    // Version 2.0 announces a 4 GiB header in a 20-byte file.
    write_file(dir.file("h.npy"), std::string("\x93NUMPY\x02\x00\xf0\xff\xff\xff{'descr'", 20));
    CHECK_THROWS_WITH_AS(load_npy(dir.file("h.npy")), doctest::Contains("truncated header: 4294967280 bytes announced"),
                         ValueError);
}

TEST_CASE("bad files are refused with the file and the reason named; a failed save leaves nothing") {
    TempDir dir;
    write_file(dir.file("text.npy"), "hello");
    CHECK_THROWS_WITH_AS(load_npy(dir.file("text.npy")), doctest::Contains("not a .npy file"), ValueError);
    write_file(dir.file("c16.npy"), npy_bytes("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", std::string(16, '\0')));
    CHECK_THROWS_WITH_AS(load_npy(dir.file("c16.npy")), doctest::Contains("dtype '<c16' has no kiln equivalent"),
                         ValueError);
    write_file(dir.file("short.npy"), npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", raw<double>({1})));
    CHECK_THROWS_WITH_AS(load_npy(dir.file("short.npy")), doctest::Contains("truncated data"), ValueError);
    CHECK_THROWS_WITH_AS(load_npy(dir.file("missing.npy")), doctest::Contains("cannot open"), ValueError);
    CHECK_THROWS_AS(save_npy(dir.file("no/such/dir/x.npy"), Array::scalar(1.0)), ValueError);
    CHECK_FALSE(fs::exists(dir.file("no/such/dir/x.npy")));
    // An existing file stays as it was when a save fails.
    save_npy(dir.file("keep.npy"), Array::scalar(1.0));
    const std::string before = read_file(dir.file("keep.npy"));
    fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
    const bool writable = std::ofstream(dir.file("probe")).good(); // root ignores permissions
    if (!writable) {
        CHECK_THROWS_AS(save_npy(dir.file("keep.npy"), Array::scalar(2.0)), ValueError);
        CHECK(read_file(dir.file("keep.npy")) == before);
    }
    fs::permissions(dir.path, fs::perms::owner_all);
}
