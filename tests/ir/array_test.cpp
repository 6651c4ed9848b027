#include "ir/array.hpp"
#include "ir/errors.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

using namespace kiln;

namespace {

Array doubles(std::vector<double> v, Shape shape = {}) {
    if (shape.empty()) shape = {static_cast<std::int64_t>(v.size())};
    return Array::from_values(v, shape);
}

Array arange(std::int64_t n, DType dtype) {
    std::vector<double> v;
    for (std::int64_t i = 0; i < n; ++i) v.push_back(static_cast<double>(i));
    return doubles(v).astype(dtype);
}

} // namespace

// Expected texts are NumPy 1.2x's output for the same arrays.
TEST_CASE("repr of scalars and small arrays matches NumPy") {
    CHECK(Array::scalar(5.0).repr() == "array(5.)");
    CHECK(Array::scalar(std::int64_t{0}).repr() == "array(0)");
    CHECK(Array::scalar(std::int64_t{-1}).repr() == "array(-1)");
    CHECK(Array::scalar(5.0f).repr() == "array(5., dtype=float32)");
    CHECK(Array::scalar(std::int32_t{7}).repr() == "array(7, dtype=int32)");
    CHECK(doubles({11, 22, 33, 44}, {2, 2}).repr() == "array([[11., 22.],\n       [33., 44.]])");
    CHECK(doubles({1.5, 2.25}).repr() == "array([1.5 , 2.25])");
    CHECK(doubles({0.1, 100}).repr() == "array([  0.1, 100. ])");
    CHECK(doubles({1.0 / 3}).repr() == "array([0.33333333])");
    CHECK(doubles({1e-5, 1}).repr() == "array([1.e-05, 1.e+00])");
    CHECK(doubles({-1.5, 2}).repr() == "array([-1.5,  2. ])");
    CHECK(doubles({1, NAN}).repr() == "array([ 1., nan])");
    CHECK(doubles({-INFINITY, 0}).repr() == "array([-inf,   0.])");
    CHECK(Array::from_values<bool>({true, false}).repr() == "array([ True, False])");
    CHECK(Array::from_values<std::int32_t>({1, 2}).repr() == "array([1, 2], dtype=int32)");
    CHECK(Array::zeros(DType::float64, {0}).repr() == "array([], dtype=float64)");
}

TEST_CASE("long rows wrap at 75 columns like NumPy") {
    CHECK(arange(30, DType::float64).repr() ==
          "array([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12.,\n"
          "       13., 14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25.,\n"
          "       26., 27., 28., 29.])");
}

TEST_CASE("more than 1000 elements are summarised") {
    CHECK(arange(2000, DType::int64).repr() == "array([   0,    1,    2, ..., 1997, 1998, 1999])");
    CHECK(arange(2000, DType::float64).str() == "[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]");
}

TEST_CASE("str matches NumPy and Python scalars") {
    CHECK(doubles({11, 22, 33, 44}, {2, 2}).str() == "[[11. 22.]\n [33. 44.]]");
    CHECK(Array::scalar(std::int64_t{301}).str() == "301");
    CHECK(Array::scalar(0.0).str() == "0.0");
    CHECK(Array::scalar(1e-5).str() == "1e-05");
    CHECK(Array::scalar(2.5).str() == "2.5");
    CHECK(doubles({1.54379689, -0.0261255422}).str() == "[ 1.54379689 -0.02612554]");
    CHECK(doubles({1.54379689, -0.0000261255422}).str() == "[ 1.54379689e+00 -2.61255422e-05]");
}

TEST_CASE("views share buffers; copies and astype do not") {
    Array a = doubles({1, 2, 3, 4, 5, 6}, {2, 3});
    Array t = a.view({3, 2}, {1, 3}); // the transpose
    CHECK(t.shares_buffer_with(a));
    CHECK_FALSE(t.is_c_contiguous());
    CHECK(t.to_vector<double>() == std::vector<double>{1, 4, 2, 5, 3, 6});
    Array c = t.copy();
    CHECK_FALSE(c.shares_buffer_with(a));
    CHECK(c.is_c_contiguous());
    CHECK(c.to_vector<double>() == std::vector<double>{1, 4, 2, 5, 3, 6});
    CHECK(t.value_at<double>(3) == 5);
}

TEST_CASE("astype converts like NumPy: truncation toward zero, wrapping") {
    Array f = doubles({-1.7, -0.5, 0.5, 2.9});
    CHECK(f.astype(DType::int32).to_vector<std::int32_t>() == std::vector<std::int32_t>{-1, 0, 0, 2});
    Array i = Array::from_values<std::int64_t>({312, -1, 255});
    CHECK(i.astype(DType::uint8).to_vector<int>() == std::vector<int>{56, 255, 255});
    CHECK(i.astype(DType::int8).to_vector<int>() == std::vector<int>{56, -1, -1});
    CHECK(doubles({0, 2}).astype(DType::bool_).to_vector<bool>() == std::vector<bool>{false, true});
}

TEST_CASE("borrowed memory is used in place") {
    double data[6] = {1, 2, 3, 4, 5, 6};
    Array a = Array::borrow(data, DType::float64, {2, 3});
    data[4] = 50;
    CHECK(a.value_at<double>(4) == 50);
    Array column = Array::borrow(data + 1, DType::float64, {2}, {3});
    CHECK(column.to_vector<double>() == std::vector<double>{2, 50});
    CHECK_THROWS_AS(Array::borrow(data, DType::float64, {2, 3}, {1}), ValueError);
    // Ops write in place only into a buffer they alone hold: never borrowed memory.
    CHECK_FALSE(a.sole_owner());
}

TEST_CASE("borrowing memory of a known size refuses views that reach outside it") {
    alignas(8) double data[6] = {1, 2, 3, 4, 5, 6};
    const std::int64_t bytes = sizeof data;
    // Inside: the whole buffer, a column, a reversed row, an empty view with any strides.
    CHECK(Array::borrow(data, bytes, DType::float64, {2, 3}).to_vector<double>() == std::vector<double>{1, 2, 3, 4, 5, 6});
    CHECK(Array::borrow(data + 2, bytes - 16, DType::float64, {2}, {3}).to_vector<double>() == std::vector<double>{3, 6});
    CHECK(Array::borrow(data + 5, 8, DType::float64, {1}, {-7}).to_vector<double>() == std::vector<double>{6});
    CHECK(Array::borrow(data, 0, DType::float64, {0, 1000}, {1000000, -1000000}).size() == 0);
    // Outside: one element past the end, before the start, strides whose reach overflows.
    CHECK_THROWS_WITH_AS(Array::borrow(data, bytes, DType::float64, {7}), doctest::Contains("outside the 48 bytes"),
                         ValueError);
    CHECK_THROWS_WITH_AS(Array::borrow(data + 5, 8, DType::float64, {2}, {-1}), doctest::Contains("elements -1 to 0"),
                         ValueError);
    CHECK_THROWS_WITH_AS(Array::borrow(data, bytes, DType::float64, {3, 3}, {std::int64_t{1} << 62, 1}),
                         doctest::Contains("beyond what int64 counts"), ValueError);
    // Either form: negative dimensions, and pointers misaligned for the dtype.
    CHECK_THROWS_WITH_AS(Array::borrow(data, bytes, DType::float64, {-1}), doctest::Contains("negative dimension"),
                         ValueError);
    CHECK_THROWS_WITH_AS(Array::borrow(reinterpret_cast<char*>(data) + 1, DType::float64, {2}),
                         doctest::Contains("not aligned"), ValueError);
    CHECK(Array::borrow(reinterpret_cast<char*>(data) + 1, 8, DType::uint8, {8}).size() == 8);
}

TEST_CASE("sole_owner: an array alone on its buffer, until a copy or view shares it") {
    Array a = Array::zeros(DType::float64, {3});
    CHECK(a.sole_owner());
    {
        const Array view = a.view({1}, {1}, 2);
        CHECK_FALSE(a.sole_owner());
        CHECK_FALSE(view.sole_owner());
    }
    CHECK(a.sole_owner());
    const Array copied = a.copy();
    CHECK(a.sole_owner());
    CHECK(copied.sole_owner());
}

TEST_CASE("reshaped keeps C order and refuses a size change") {
    Array a = doubles({1, 2, 3, 4, 5, 6}, {2, 3});
    CHECK(a.reshaped({3, 2}).shape() == Shape{3, 2});
    CHECK(a.reshaped({6}).to_vector<double>() == a.to_vector<double>());
    CHECK_THROWS_WITH_AS(a.reshaped({4}), doctest::Contains("cannot reshape array of size 6 into shape (4,)"),
                         ValueError);
    CHECK_THROWS_AS(Array::from_values<double>({1, 2, 3}, {2, 2}), ValueError);
    CHECK_THROWS_AS(Array::zeros(DType::int8, {-1}), ValueError);
}

TEST_CASE("identical_to compares dtype, shape and values with NaN equal to NaN") {
    CHECK(doubles({1, NAN}).identical_to(doubles({1, NAN})));
    CHECK_FALSE(doubles({1, 2}).identical_to(doubles({1, 3})));
    CHECK_FALSE(doubles({1, 2}).identical_to(doubles({1, 2}).astype(DType::float32)));
    CHECK_FALSE(doubles({1, 2}).identical_to(doubles({1, 2}, {2, 1})));
}

TEST_CASE("small arrays made on one thread and freed on another keep their values") {
    // Small buffers are recycled per thread; a buffer freed on another
    // thread joins that thread's list and must never be handed out twice.
    constexpr int rounds = 50, per_round = 200;
    int wrong = 0;
    for (int round = 0; round < rounds; ++round) {
        std::vector<Array> made;
        for (int i = 0; i < per_round; ++i) made.push_back(Array::scalar<double>(round * per_round + i));
        std::vector<Array> remade;
        std::thread consumer([&] {
            for (int i = 0; i < per_round; ++i) {
                if (made[i].value_at<double>(0) != round * per_round + i) ++wrong;
                made[i] = Array();
                remade.push_back(Array::scalar<std::int64_t>(-i));
            }
        });
        consumer.join();
        for (int i = 0; i < per_round; ++i)
            if (remade[i].value_at<std::int64_t>(0) != -i) ++wrong;
        // Blocks the consumer freed are now on its (finished) thread; new ones here are distinct.
        std::vector<Array> again;
        for (int i = 0; i < per_round; ++i) again.push_back(Array::scalar<double>(i));
        for (int i = 0; i < per_round; ++i)
            if (again[i].value_at<double>(0) != i || remade[i].value_at<std::int64_t>(0) != -i) ++wrong;
    }
    CHECK(wrong == 0);
}
