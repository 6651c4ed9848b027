// The runtime n-d array: a dtype, a shape, element strides and a shared
// buffer. Copies of an Array share the buffer (like NumPy views); copy() and
// astype() make new buffers.
#pragma once

#include "buffers.hpp"
#include "dtype.hpp"

#include <array>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace kiln {

using Shape = std::vector<std::int64_t>;

/// The C++ type that stores each dtype.
template <DType D> struct dtype_storage;
template <> struct dtype_storage<DType::bool_> { using type = bool; };
template <> struct dtype_storage<DType::int8> { using type = std::int8_t; };
template <> struct dtype_storage<DType::int16> { using type = std::int16_t; };
template <> struct dtype_storage<DType::int32> { using type = std::int32_t; };
template <> struct dtype_storage<DType::int64> { using type = std::int64_t; };
template <> struct dtype_storage<DType::uint8> { using type = std::uint8_t; };
template <> struct dtype_storage<DType::uint16> { using type = std::uint16_t; };
template <> struct dtype_storage<DType::uint32> { using type = std::uint32_t; };
template <> struct dtype_storage<DType::uint64> { using type = std::uint64_t; };
template <> struct dtype_storage<DType::float32> { using type = float; };
template <> struct dtype_storage<DType::float64> { using type = double; };

/// The dtype stored as C++ type T (bool, int8_t, ..., double).
template <class T> constexpr DType dtype_of() {
    if constexpr (std::is_same_v<T, bool>) return DType::bool_;
    else if constexpr (std::is_same_v<T, std::int8_t>) return DType::int8;
    else if constexpr (std::is_same_v<T, std::int16_t>) return DType::int16;
    else if constexpr (std::is_same_v<T, std::int32_t>) return DType::int32;
    else if constexpr (std::is_same_v<T, std::int64_t>) return DType::int64;
    else if constexpr (std::is_same_v<T, std::uint8_t>) return DType::uint8;
    else if constexpr (std::is_same_v<T, std::uint16_t>) return DType::uint16;
    else if constexpr (std::is_same_v<T, std::uint32_t>) return DType::uint32;
    else if constexpr (std::is_same_v<T, std::uint64_t>) return DType::uint64;
    else if constexpr (std::is_same_v<T, float>) return DType::float32;
    else if constexpr (std::is_same_v<T, double>) return DType::float64;
    else static_assert(sizeof(T) == 0, "no kiln dtype stores this C++ type");
}

/// Whether some dtype is stored as C++ type T (dtype_of<T>() compiles).
template <class T>
constexpr bool has_dtype_v = std::is_same_v<T, bool> || std::is_same_v<T, std::int8_t> ||
                             std::is_same_v<T, std::int16_t> || std::is_same_v<T, std::int32_t> ||
                             std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint8_t> ||
                             std::is_same_v<T, std::uint16_t> || std::is_same_v<T, std::uint32_t> ||
                             std::is_same_v<T, std::uint64_t> || std::is_same_v<T, float> || std::is_same_v<T, double>;

/// Calls f with a value of the C++ type that stores `dtype` (f(double{}) for
/// float64), so generic code can name the type as decltype(tag).
template <class F> decltype(auto) visit_dtype(DType dtype, F&& f) {
    switch (dtype) {
    case DType::bool_: return f(bool{});
    case DType::int8: return f(std::int8_t{});
    case DType::int16: return f(std::int16_t{});
    case DType::int32: return f(std::int32_t{});
    case DType::int64: return f(std::int64_t{});
    case DType::uint8: return f(std::uint8_t{});
    case DType::uint16: return f(std::uint16_t{});
    case DType::uint32: return f(std::uint32_t{});
    case DType::uint64: return f(std::uint64_t{});
    case DType::float32: return f(float{});
    case DType::float64: break;
    }
    return f(double{});
}

/// Number of elements of a shape (1 for a scalar).
std::int64_t shape_size(const Shape& shape);
/// The bytes an array of `dtype` and `shape` holds. Throws ValueError
/// naming the shape when a dimension is negative or the count does not fit
/// in int64 (shapes from user values go through this before allocating).
std::int64_t checked_array_bytes(DType dtype, const Shape& shape);
/// a * b, or ValueError "<what>: <a> * <b> overflows int64".
std::int64_t checked_multiply(std::int64_t a, std::int64_t b, const std::string& what);
/// a + b, or ValueError "<what>: <a> + <b> overflows int64".
std::int64_t checked_add(std::int64_t a, std::int64_t b, const std::string& what);
/// C-order element strides of a shape.
Shape c_strides(const Shape& shape);
/// "(2, 3)" as NumPy prints shapes; "()" for a scalar, "(4,)" for a vector.
std::string shape_text(const Shape& shape);
[[noreturn]] void throw_size_mismatch(std::size_t count, const Shape& shape);

class Array {
public:
    /// A 0-d float64 array holding 0.
    Array();

    /// A C-contiguous array of zeros.
    static Array zeros(DType dtype, Shape shape);
    /// A C-contiguous array whose elements are not set (for results about
    /// to be written in full).
    static Array uninitialized(DType dtype, Shape shape);
    /// A C-contiguous array with every element set to value (converted like a C++ cast).
    static Array full(DType dtype, Shape shape, double value);
    /// A 0-d array holding value, with the dtype that stores T.
    template <class T> static Array scalar(T value) {
        Array out = uninitialized(dtype_of<T>(), {});
        *out.mutable_data_as<T>() = value;
        return out;
    }
    /// A C-contiguous array holding a copy of values; shape defaults to a vector.
    template <class T> static Array from_values(const std::vector<T>& values, Shape shape);
    template <class T> static Array from_values(const std::vector<T>& values) {
        return from_values(values, Shape{static_cast<std::int64_t>(values.size())});
    }
    /// Wraps memory the caller owns and keeps alive for the life of every copy
    /// of the returned array; strides are in elements (empty means C order).
    /// `data` is element (0, ..., 0) and must be aligned for the dtype.
    /// Throws ValueError for a misaligned pointer, a negative dimension or
    /// a stride count that does not match the shape.
    static Array borrow(void* data, DType dtype, Shape shape, Shape strides = {});
    /// The same for `bytes` bytes of memory from `data`: also throws
    /// ValueError, naming the shape and strides, when an element would lie
    /// outside them (a negative stride must not reach before `data`).
    static Array borrow(void* data, std::int64_t bytes, DType dtype, Shape shape, Shape strides = {});

    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    /// Element strides (not bytes), one per dimension.
    const Shape& strides() const { return strides_; }
    int ndim() const { return static_cast<int>(shape_.size()); }
    std::int64_t size() const { return shape_size(shape_); }
    bool is_c_contiguous() const;

    /// Address of element (0, ..., 0).
    const std::byte* data() const { return buffer_.get() + byte_offset_; }
    std::byte* mutable_data() { return buffer_.get() + byte_offset_; }
    template <class T> const T* data_as() const {
        check_access(dtype_of<T>());
        return reinterpret_cast<const T*>(data());
    }
    template <class T> T* mutable_data_as() {
        check_access(dtype_of<T>());
        return reinterpret_cast<T*>(mutable_data());
    }

    /// Element at a C-order flat position, converted to T.
    template <class T> T value_at(std::int64_t flat_index) const;
    /// The one element of an array of size 1 (any shape), converted to T
    /// (NumPy's item()); ValueError for any other size.
    template <class T> T item() const {
        check_single_element();
        return value_at<T>(0);
    }
    /// Every element in C order, converted to T.
    template <class T> std::vector<T> to_vector() const;

    /// A C-contiguous copy with its own buffer.
    Array copy() const;
    /// A C-contiguous copy converted element by element (C++ conversion rules:
    /// float to int truncates toward zero, like NumPy's astype).
    Array astype(DType dtype) const;
    /// The same elements seen with another shape of equal size (needs C order).
    Array reshaped(Shape shape) const;
    /// The same buffer seen with another shape and element strides, starting
    /// `element_offset` elements after this array's first element (the caller
    /// keeps every access inside the buffer).
    Array view(Shape shape, Shape strides, std::int64_t element_offset = 0) const;
    /// True when no other array (copy or view) refers to this one's buffer
    /// and kiln allocated it: writing into it changes nothing anyone else
    /// can see.
    bool sole_owner() const { return buffer_.use_count() == 1; }
    /// True when an op may write its result into this array's memory: the
    /// sole owner of a buffer it lays out in C order.
    bool writable_in_place() const { return sole_owner() && is_c_contiguous(); }
    /// True when both arrays view the same buffer.
    bool shares_buffer_with(const Array& other) const { return buffer_ == other.buffer_; }

    /// Element-by-element equality of dtype, shape and values (NaN equals NaN).
    bool identical_to(const Array& other) const;

    /// NumPy's repr: "array([[11., 22.],\n       [33., 44.]])".
    std::string repr() const;
    /// NumPy's str: "[[11. 22.]\n [33. 44.]]".
    std::string str() const;

private:
    void check_single_element() const;
    /// What the factories build, every member given.
    Array(DType dtype, Shape shape, Shape strides, std::shared_ptr<std::byte[]> buffer, std::int64_t byte_offset)
        : dtype_(dtype), shape_(std::move(shape)), strides_(std::move(strides)), buffer_(std::move(buffer)),
          byte_offset_(byte_offset) {}

    void check_access(DType requested) const;
    std::int64_t element_offset(std::int64_t flat_index) const;

    DType dtype_ = DType::float64;
    Shape shape_;
    Shape strides_;
    std::shared_ptr<std::byte[]> buffer_;
    std::int64_t byte_offset_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Array& array);

/// A short list of arrays, such as a call's results, allocated from the
/// per-thread small-block cache.
using ArrayList = std::vector<Array, SmallBlockAllocator<Array>>;

/// Calls f(offsets) for every position of `shape` in C order, where offsets[k]
/// is the element offset of that position under strides[k].
template <std::size_t N, class F>
void walk_strided(const Shape& shape, const std::array<const Shape*, N>& strides, F&& f) {
    const int ndim = static_cast<int>(shape.size());
    std::array<std::int64_t, N> offsets{};
    if (shape_size(shape) == 0) return;
    if (ndim == 0) {
        f(offsets);
        return;
    }
    std::vector<std::int64_t> index(ndim, 0);
    const std::int64_t inner = shape[ndim - 1];
    std::array<std::int64_t, N> inner_step{};
    for (std::size_t k = 0; k < N; ++k) inner_step[k] = (*strides[k])[ndim - 1];
    while (true) {
        std::array<std::int64_t, N> at = offsets;
        for (std::int64_t i = 0; i < inner; ++i) {
            f(at);
            for (std::size_t k = 0; k < N; ++k) at[k] += inner_step[k];
        }
        int axis = ndim - 2;
        for (; axis >= 0; --axis) {
            for (std::size_t k = 0; k < N; ++k) offsets[k] += (*strides[k])[axis];
            if (++index[axis] < shape[axis]) break;
            for (std::size_t k = 0; k < N; ++k) offsets[k] -= (*strides[k])[axis] * shape[axis];
            index[axis] = 0;
        }
        if (axis < 0) return;
    }
}

template <class T> Array Array::from_values(const std::vector<T>& values, Shape shape) {
    Array out = zeros(dtype_of<T>(), std::move(shape));
    if (static_cast<std::int64_t>(values.size()) != out.size())
        throw_size_mismatch(values.size(), out.shape());
    std::copy(values.begin(), values.end(), out.mutable_data_as<T>());
    return out;
}


template <class T> T Array::value_at(std::int64_t flat_index) const {
    const std::int64_t offset = element_offset(flat_index);
    return visit_dtype(dtype_, [&](auto tag) -> T {
        using Stored = decltype(tag);
        return static_cast<T>(reinterpret_cast<const Stored*>(data())[offset]);
    });
}

template <class T> std::vector<T> Array::to_vector() const {
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(size()));
    visit_dtype(dtype_, [&](auto tag) {
        using Stored = decltype(tag);
        const auto* base = reinterpret_cast<const Stored*>(data());
        walk_strided<1>(shape_, {&strides_},
                        [&](const auto& at) { out.push_back(static_cast<T>(base[at[0]])); });
    });
    return out;
}

} // namespace kiln
