#include "array.hpp"

#include "buffers.hpp"
#include "errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <utility>
#include <vector>
#include <limits>
#include <ostream>

namespace kiln {

namespace {

// "2.0 TiB": a byte count as people read it.
std::string byte_size_text(std::int64_t bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 6) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

} // namespace

namespace {

// A zero extent: no element, however large the other extents (whose
// product may pass int64).
bool has_zero_extent(const Shape& shape) { return std::find(shape.begin(), shape.end(), 0) != shape.end(); }

} // namespace

std::int64_t shape_size(const Shape& shape) {
    if (has_zero_extent(shape)) return 0;
    std::int64_t n = 1;
    for (std::int64_t d : shape) n *= d;
    return n;
}

std::int64_t checked_multiply(std::int64_t a, std::int64_t b, const std::string& what) {
    std::int64_t product = 0;
    if (__builtin_mul_overflow(a, b, &product))
        throw ValueError(what + ": " + std::to_string(a) + " * " + std::to_string(b) + " overflows int64");
    return product;
}

std::int64_t checked_add(std::int64_t a, std::int64_t b, const std::string& what) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum))
        throw ValueError(what + ": " + std::to_string(a) + " + " + std::to_string(b) + " overflows int64");
    return sum;
}

std::int64_t checked_array_bytes(DType dtype, const Shape& shape) {
    for (std::int64_t d : shape)
        if (d < 0) throw ValueError("negative dimension in shape " + shape_text(shape));
    if (has_zero_extent(shape)) return 0; // NumPy makes these, however large the rest
    std::int64_t bytes = dtype_size(dtype);
    for (std::int64_t d : shape) {
        if (__builtin_mul_overflow(bytes, d, &bytes))
            throw ValueError("an array of shape " + shape_text(shape) + " and dtype " + std::string(dtype_name(dtype)) +
                             " would hold more bytes than int64 counts");
    }
    return bytes;
}

Shape c_strides(const Shape& shape) {
    if (shape.empty()) return {};
    Shape strides(shape.size());
    std::int64_t step = 1;
    for (std::size_t i = shape.size(); i-- > 0;) {
        strides[i] = step;
        // Only an empty array's extents overflow (others were checked when
        // allocated): its strides are never used to reach an element.
        if (__builtin_mul_overflow(step, std::max<std::int64_t>(shape[i], 1), &step)) step = 0;
    }
    return strides;
}

std::string shape_text(const Shape& shape) {
    std::string text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) text += ", ";
        text += std::to_string(shape[i]);
    }
    if (shape.size() == 1) text += ",";
    return text + ")";
}

void throw_size_mismatch(std::size_t count, const Shape& shape) {
    throw ValueError("Array::from_values(): " + std::to_string(count) +
                     " values cannot fill shape " + shape_text(shape));
}

Array::Array() : buffer_(new std::byte[sizeof(double)]()) {}

Array Array::uninitialized(DType dtype, Shape shape) {
    if (shape.empty()) {
        // 0-d values are most of a scalar function's calls: nothing to check or lay out.
        AlignedBuffer buffer = allocate_buffer(dtype_size(dtype));
        return Array(dtype, {}, {}, std::move(buffer.owner), buffer.offset);
    }
    const std::int64_t bytes = checked_array_bytes(dtype, shape);
    Shape strides = c_strides(shape);
    AlignedBuffer buffer;
    try {
        buffer = allocate_buffer(std::max<std::int64_t>(bytes, dtype_size(dtype)));
    } catch (const std::bad_alloc&) {
        throw MemoryError("cannot allocate " + std::to_string(bytes) + " bytes (" + byte_size_text(bytes) + ") for an array of shape " +
                          shape_text(shape) + " and dtype " + std::string(dtype_name(dtype)));
    }
    return Array(dtype, std::move(shape), std::move(strides), std::move(buffer.owner), buffer.offset);
}

Array Array::zeros(DType dtype, Shape shape) {
    Array out = uninitialized(dtype, std::move(shape));
    std::memset(out.mutable_data(), 0, static_cast<std::size_t>(std::max<std::int64_t>(out.size(), 1) * dtype_size(dtype)));
    return out;
}

Array Array::full(DType dtype, Shape shape, double value) {
    Array out = zeros(dtype, std::move(shape));
    visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        std::fill_n(out.mutable_data_as<T>(), out.size(), static_cast<T>(value));
    });
    return out;
}

Array Array::borrow(void* data, std::int64_t bytes, DType dtype, Shape shape, Shape strides) {
    if (strides.empty()) strides = c_strides(shape);
    Array out = borrow(data, dtype, shape, strides);
    // The elements' span in element steps from data: [lowest, highest].
    bool empty = false;
    std::int64_t lowest = 0, highest = 0;
    for (std::size_t d = 0; d < shape.size(); ++d) {
        empty = empty || shape[d] == 0;
        std::int64_t reach = 0;
        if (shape[d] > 0 && __builtin_mul_overflow(shape[d] - 1, strides[d], &reach))
            throw ValueError("Array::borrow(): shape " + shape_text(shape) + " with strides " + shape_text(strides) +
                             " reaches beyond what int64 counts");
        if (__builtin_add_overflow(reach < 0 ? lowest : highest, reach, reach < 0 ? &lowest : &highest))
            throw ValueError("Array::borrow(): shape " + shape_text(shape) + " with strides " + shape_text(strides) +
                             " reaches beyond what int64 counts");
    }
    if (!empty && (lowest < 0 || highest >= bytes / dtype_size(dtype)))
        throw ValueError("Array::borrow(): shape " + shape_text(shape) + " with element strides " + shape_text(strides) +
                         " of " + std::string(dtype_name(dtype)) + " reaches elements " + std::to_string(lowest) +
                         " to " + std::to_string(highest) + " from the data pointer, outside the " +
                         std::to_string(bytes) + " bytes given");
    return out;
}

Array Array::borrow(void* data, DType dtype, Shape shape, Shape strides) {
    if (strides.empty()) strides = c_strides(shape);
    if (strides.size() != shape.size())
        throw ValueError("Array::borrow(): " + std::to_string(strides.size()) +
                         " strides for shape " + shape_text(shape));
    for (std::int64_t d : shape)
        if (d < 0) throw ValueError("Array::borrow(): negative dimension in shape " + shape_text(shape));
    if (reinterpret_cast<std::uintptr_t>(data) % static_cast<std::uintptr_t>(dtype_size(dtype)) != 0)
        throw ValueError("Array::borrow(): the data pointer is not aligned for " + std::string(dtype_name(dtype)) +
                         " (" + std::to_string(dtype_size(dtype)) + " bytes)");
    // The caller owns the memory: the buffer shares the ownership of a token
    // that lives for the whole program, so nothing frees the memory, and the
    // array is never its buffer's sole owner.
    static const auto* token = new std::shared_ptr<std::byte>(std::make_shared<std::byte>());
    return Array(dtype, std::move(shape), std::move(strides),
                 std::shared_ptr<std::byte[]>(*token, static_cast<std::byte*>(data)), 0);
}

bool Array::is_c_contiguous() const {
    if (has_zero_extent(shape_)) return true; // no element to lay out: any strides will do, as NumPy says
    std::int64_t step = 1;
    for (std::size_t i = shape_.size(); i-- > 0;) {
        if (shape_[i] != 1 && strides_[i] != step) return false;
        step *= shape_[i];
    }
    return true;
}

void Array::check_access(DType requested) const {
    if (requested != dtype_)
        throw TypeError("Array: elements are " + std::string(dtype_name(dtype_)) +
                        ", not " + std::string(dtype_name(requested)));
}

std::int64_t Array::element_offset(std::int64_t flat_index) const {
    if (flat_index < 0 || flat_index >= size())
        throw IndexError("Array: flat index " + std::to_string(flat_index) +
                         " is out of bounds for shape " + shape_text(shape_));
    std::int64_t offset = 0;
    for (std::size_t i = shape_.size(); i-- > 0;) {
        offset += (flat_index % shape_[i]) * strides_[i];
        flat_index /= shape_[i];
    }
    return offset;
}

namespace {

// A C++ cast, except that a floating value an integer type cannot hold
// (NaN, infinities, out of range) becomes the type's minimum, as NumPy's
// conversion does on x86, instead of undefined behaviour.
template <class To, class From> To convert(From value) {
    if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To> && !std::is_same_v<To, bool>) {
        constexpr long double low = static_cast<long double>(std::numeric_limits<To>::min()) - 1;
        constexpr long double high = static_cast<long double>(std::numeric_limits<To>::max()) + 1;
        if (!(value > low && value < high)) return std::numeric_limits<To>::min();
    }
    return static_cast<To>(value);
}

} // namespace

Array Array::copy() const { return astype(dtype_); }

void Array::check_single_element() const {
    if (size() != 1)
        throw ValueError("item(): can only convert an array of size 1 to a C++ scalar, not one of shape " +
                         shape_text(shape_));
}

Array Array::astype(DType dtype) const {
    Array out = uninitialized(dtype, shape_);
    if (dtype == dtype_ && is_c_contiguous() && size() > 0) {
        std::memcpy(out.mutable_data(), data(), static_cast<std::size_t>(size() * dtype_size(dtype)));
        return out;
    }
    visit_dtype(dtype_, [&](auto from_tag) {
        using From = decltype(from_tag);
        visit_dtype(dtype, [&](auto to_tag) {
            using To = decltype(to_tag);
            const auto* src = reinterpret_cast<const From*>(data());
            To* dst = out.mutable_data_as<To>();
            walk_strided<1>(shape_, {&strides_},
                            [&](const auto& at) { *dst++ = convert<To>(src[at[0]]); });
        });
    });
    return out;
}

Array Array::reshaped(Shape shape) const {
    if (shape_size(shape) != size())
        throw ValueError("Array::reshaped(): cannot reshape array of size " +
                         std::to_string(size()) + " into shape " + shape_text(shape));
    Array out = is_c_contiguous() ? *this : copy();
    out.strides_ = c_strides(shape);
    out.shape_ = std::move(shape);
    return out;
}

Array Array::view(Shape shape, Shape strides, std::int64_t element_offset) const {
    KILN_CHECK(shape.size() == strides.size(), "Array::view(): " + std::to_string(strides.size()) +
                                                   " strides for shape " + shape_text(shape));
    Array out = *this;
    out.shape_ = std::move(shape);
    out.strides_ = std::move(strides);
    out.byte_offset_ += element_offset * dtype_size(dtype_);
    return out;
}

bool Array::identical_to(const Array& other) const {
    if (dtype_ != other.dtype_ || shape_ != other.shape_) return false;
    bool same = true;
    visit_dtype(dtype_, [&](auto tag) {
        using T = decltype(tag);
        const auto a = to_vector<T>();
        const auto b = other.to_vector<T>();
        for (std::size_t i = 0; i < a.size() && same; ++i) {
            if constexpr (std::is_floating_point_v<T>) {
                if (std::isnan(a[i]) && std::isnan(b[i])) continue;
            }
            same = a[i] == b[i];
        }
    });
    return same;
}

std::ostream& operator<<(std::ostream& os, const Array& array) { return os << array.repr(); }

} // namespace kiln
