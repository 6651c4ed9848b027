#include "npy.hpp"

#include "../text/numbers.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/files.hpp"

#include <bit>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace kiln {

namespace {

constexpr char magic[] = "\x93NUMPY";
constexpr std::size_t magic_size = 6;

// NumPy's type string for a dtype, little-endian ('|' where order is moot).
std::string descr_of(DType dtype) {
    switch (dtype) {
    case DType::bool_: return "|b1";
    case DType::int8: return "|i1";
    case DType::uint8: return "|u1";
    default: break;
    }
    const char kind = is_float(dtype) ? 'f' : is_signed_int(dtype) ? 'i' : 'u';
    return std::string("<") + kind + std::to_string(dtype_size(dtype));
}

[[noreturn]] void bad_file(const std::string& path, const std::string& why) {
    throw ValueError("load_npy(): " + path + ": " + why);
}

// The value text following 'key': in the header's dict.
std::string header_field(const std::string& header, const std::string& key, const std::string& path) {
    const std::size_t at = header.find("'" + key + "'");
    if (at == std::string::npos) bad_file(path, "header has no '" + key + "' field: " + header);
    std::size_t start = header.find(':', at);
    if (start == std::string::npos) bad_file(path, "malformed header: " + header);
    ++start;
    while (start < header.size() && header[start] == ' ') ++start;
    std::size_t end = start;
    if (header[start] == '(') end = header.find(')', start) + 1;
    else if (header[start] == '\'') end = header.find('\'', start + 1) + 1;
    else end = header.find_first_of(",}", start);
    if (end == std::string::npos || end <= start) bad_file(path, "malformed header: " + header);
    return header.substr(start, end - start);
}

DType dtype_of_descr(const std::string& descr, bool& swap, const std::string& path) {
    const std::string quoted = descr.size() >= 2 ? descr.substr(1, descr.size() - 2) : descr;
    if (quoted.size() < 3) bad_file(path, "unsupported dtype " + descr);
    const char order = quoted[0], kind = quoted[1];
    const std::string size = quoted.substr(2);
    swap = order == '>' && size != "1";
    if (order != '<' && order != '>' && order != '|' && order != '=') bad_file(path, "unsupported dtype " + descr);
    for (int i = 0; i < dtype_count; ++i) {
        const DType d = static_cast<DType>(i);
        const std::string mine = descr_of(d);
        if (mine[1] == kind && mine.substr(2) == size) return d;
    }
    bad_file(path, "dtype " + descr + " has no kiln equivalent (kiln reads bool, int8..int64, uint8..uint64, "
                   "float32 and float64)");
}

Shape parse_shape(const std::string& text, const std::string& path) {
    if (text.size() < 2 || text.front() != '(' || text.back() != ')') bad_file(path, "malformed shape " + text);
    Shape shape;
    std::stringstream items(text.substr(1, text.size() - 2));
    for (std::string item; std::getline(items, item, ',');) {
        const std::size_t first = item.find_first_not_of(' ');
        if (first == std::string::npos) continue;
        std::string_view extent = std::string_view(item).substr(first, item.find_last_not_of(' ') + 1 - first);
        if (extent.ends_with('L')) extent.remove_suffix(1); // Python 2 wrote longs as 3L
        std::int64_t value = 0;
        if (!parse_number(extent, value)) bad_file(path, "malformed shape " + text);
        shape.push_back(value);
        if (shape.back() < 0) bad_file(path, "negative dimension in shape " + text);
    }
    return shape;
}

void byteswap_elements(std::byte* data, std::int64_t count, int size) {
    for (std::int64_t i = 0; i < count; ++i) std::reverse(data + i * size, data + (i + 1) * size);
}

} // namespace

Array load_npy(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) bad_file(path, "cannot open for reading");
    // What the header claims (its own length, the data's) is checked against
    // what the file holds before anything is allocated for it.
    in.seekg(0, std::ios::end);
    const std::streamoff file_size = in.tellg();
    in.seekg(0);
    const auto bytes_left = [&] { return file_size - static_cast<std::streamoff>(in.tellg()); };
    char prefix[magic_size + 2];
    if (!in.read(prefix, sizeof prefix) || std::memcmp(prefix, magic, magic_size) != 0)
        bad_file(path, "not a .npy file (no \\x93NUMPY magic)");
    const int major = static_cast<unsigned char>(prefix[magic_size]);
    std::uint32_t header_length = 0;
    unsigned char length_bytes[4] = {0, 0, 0, 0};
    const int length_size = major == 1 ? 2 : 4;
    if (major < 1 || major > 3) bad_file(path, "unsupported format version " + std::to_string(major));
    if (!in.read(reinterpret_cast<char*>(length_bytes), length_size)) bad_file(path, "truncated header");
    for (int i = length_size - 1; i >= 0; --i) header_length = header_length * 256 + length_bytes[i];
    // A version 2 header may claim up to 4 GiB.
    if (const std::streamoff after_length = bytes_left(); static_cast<std::streamoff>(header_length) > after_length)
        bad_file(path, "truncated header: " + std::to_string(header_length) + " bytes announced, " +
                           std::to_string(after_length) + " in the file");
    std::string header(header_length, '\0');
    if (!in.read(header.data(), header_length)) bad_file(path, "truncated header");

    bool swap = false;
    const DType dtype = dtype_of_descr(header_field(header, "descr", path), swap, path);
    const std::string fortran = header_field(header, "fortran_order", path);
    if (fortran != "True" && fortran != "False") bad_file(path, "malformed fortran_order " + fortran);
    const Shape shape = parse_shape(header_field(header, "shape", path), path);

    std::int64_t bytes = 0;
    try {
        bytes = checked_array_bytes(dtype, shape);
    } catch (const ValueError& error) {
        bad_file(path, error.what());
    }
    if (const std::streamoff held = bytes_left(); held < bytes)
        bad_file(path, "truncated data: expected " + std::to_string(bytes) + " bytes for shape " + shape_text(shape) +
                           ", the file holds " + std::to_string(held));
    Array data = Array::uninitialized(dtype, shape);
    if (!in.read(reinterpret_cast<char*>(data.mutable_data()), bytes))
        bad_file(path, "truncated data: expected " + std::to_string(bytes) + " bytes for shape " + shape_text(shape));
    if (swap) byteswap_elements(data.mutable_data(), data.size(), dtype_size(dtype));
    // NumPy reads any non-zero byte of a bool array as True; a C++ bool
    // holding anything but 0 or 1 is undefined.
    if (dtype == DType::bool_)
        for (std::int64_t i = 0; i < data.size(); ++i) data.mutable_data()[i] = std::byte{data.mutable_data()[i] != std::byte{0}};
    if (fortran == "False") return data;
    // Column-major data: view it with reversed strides, then copy to C order.
    Shape strides(shape.size());
    std::int64_t step = 1;
    for (std::size_t d = 0; d < shape.size(); ++d) {
        strides[d] = step;
        step *= std::max<std::int64_t>(shape[d], 1);
    }
    return data.view(shape, strides).copy();
}

void save_npy(const std::string& path, const Array& array, bool fortran_order) {
    if (std::endian::native != std::endian::little)
        throw ValueError("save_npy(): writing .npy on a big-endian machine is not supported");
    std::string shape = "(";
    for (std::size_t d = 0; d < array.shape().size(); ++d) shape += std::to_string(array.shape()[d]) + ", ";
    if (array.ndim() > 1) shape.erase(shape.size() - 2);
    else if (array.ndim() == 1) shape.erase(shape.size() - 1);
    shape += ")";
    std::string header = "{'descr': '" + descr_of(array.dtype()) + "', 'fortran_order': " +
                         (fortran_order ? "True" : "False") + ", 'shape': " + shape + ", }";
    // Pad so the data starts on a 64-byte boundary; the header ends with a newline.
    const std::size_t unpadded = magic_size + 2 + 2 + header.size() + 1;
    header += std::string((64 - unpadded % 64) % 64, ' ') + "\n";
    if (header.size() > 65535) throw ValueError("save_npy(): header too long for shape " + shape_text(array.shape()));

    // The data in the requested order.
    Array ordered = array.copy();
    if (fortran_order && array.ndim() > 1) {
        Shape reversed(array.shape().rbegin(), array.shape().rend());
        Shape strides(array.strides().rbegin(), array.strides().rend());
        ordered = array.view(reversed, strides).copy();
    }

    // Format version 1.0, then the header's length, little-endian.
    const char preamble[4] = {1, 0, static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
    const std::string_view data(reinterpret_cast<const char*>(ordered.data()),
                                static_cast<std::size_t>(ordered.size() * dtype_size(ordered.dtype())));
    if (const std::string why = write_file_atomically(path, {{magic, magic_size}, {preamble, 4}, header, data});
        !why.empty())
        throw ValueError("save_npy(): cannot write " + path + ": " + why);
}

} // namespace kiln
