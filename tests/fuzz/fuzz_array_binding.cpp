// libFuzzer target for arrays over memory the host owns, and for binding
// them to a function: a dtype, a shape and element strides from the input
// over a buffer of the input's remaining bytes. Array::borrow refuses, with
// ValueError, every view that reaches outside the buffer; a view it takes,
// passed to f(x) = x + 0, gives the elements a hand-written loop reads
// through the same strides (in the dtype f computes in).
#include "fuzz_checks.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

namespace {

const kiln::DType dtypes[] = {kiln::DType::float64, kiln::DType::float32, kiln::DType::int64,
                              kiln::DType::int32,   kiln::DType::int16,   kiln::DType::uint8};

struct Reader {
    const std::uint8_t* data;
    std::size_t size;
    std::uint8_t byte() {
        if (size == 0) return 0;
        --size;
        return *data++;
    }
};

const kiln::Function& identity_of(kiln::DType dtype, int rank) {
    static std::map<std::pair<kiln::DType, int>, kiln::Function> made;
    const auto found = made.find({dtype, rank});
    if (found != made.end()) return found->second;
    const kiln::Var x = kiln::tensor(dtype, std::vector<bool>(static_cast<std::size_t>(rank), false), "x");
    return made.emplace(std::pair{dtype, rank}, kiln::compile({x}, x + 0)).first->second;
}

// The elements a view reads, gathered by hand in C order.
kiln::Array gathered(const std::byte* base, kiln::DType dtype, const kiln::Shape& shape, const kiln::Shape& strides) {
    kiln::Array out = kiln::Array::zeros(dtype, shape);
    const int size = kiln::dtype_size(dtype);
    kiln::Shape index(shape.size(), 0);
    for (std::int64_t flat = 0; flat < out.size(); ++flat) {
        std::int64_t offset = 0;
        for (std::size_t d = 0; d < shape.size(); ++d) offset += index[d] * strides[d];
        std::memcpy(out.mutable_data() + flat * size, base + offset * size, static_cast<std::size_t>(size));
        for (std::size_t d = shape.size(); d-- > 0;) {
            if (++index[d] < shape[d]) break;
            index[d] = 0;
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    Reader reader{data, size};
    const kiln::DType dtype = dtypes[reader.byte() % std::size(dtypes)];
    const int rank = reader.byte() % 4;
    kiln::Shape shape, strides;
    for (int d = 0; d < rank; ++d) shape.push_back(static_cast<std::int8_t>(reader.byte()) % 9);
    for (int d = 0; d < rank; ++d) strides.push_back(static_cast<std::int8_t>(reader.byte()));
    const std::size_t start = reader.byte() % 16;
    // The rest is the buffer, copied to memory aligned for any dtype.
    std::vector<std::max_align_t> storage(reader.size / sizeof(std::max_align_t) + 1);
    std::memcpy(storage.data(), reader.data, reader.size);
    const auto bytes = static_cast<std::int64_t>(reader.size);
    const int element = kiln::dtype_size(dtype);
    const std::int64_t first = std::min<std::int64_t>(static_cast<std::int64_t>(start) * element, bytes);
    std::byte* base = reinterpret_cast<std::byte*>(storage.data()) + first;
    kiln::Array view;
    try {
        view = kiln::Array::borrow(base, bytes - first, dtype, shape, strides);
    } catch (const kiln::ValueError&) {
        return 0;
    }
    const kiln::Array expected = gathered(base, dtype, shape, strides);
    if (!view.copy().identical_to(expected))
        kiln::fuzz::finding("a borrowed view reads other elements than its strides say", input, view.repr());
    // x + 0 may widen the dtype (uint8 + int8 is int16): every value stays exact.
    const kiln::Outputs result = identity_of(dtype, rank)(view);
    if (!result[0].identical_to(expected.astype(result[0].dtype())))
        kiln::fuzz::finding("f(x) = x + 0 of a borrowed view differs from its elements", input,
                            result[0].repr() + "\n" + expected.repr());
    return 0;
}
