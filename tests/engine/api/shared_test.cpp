#include <kiln/kiln.hpp>

#include <doctest/doctest.h>

using namespace kiln;

TEST_CASE("shared() types follow Theano: int64, float64, or the array's dtype") {
    CHECK(shared(0).type() == lscalar);
    CHECK(shared(1.5).type() == dscalar);
    CHECK(shared(true).type().dtype() == DType::bool_);
    CHECK(shared(Array::from_values<float>({1, 2})).type() == fvector);
    CHECK(shared({{1.0, 2.0}}).type() == dmatrix); // no dimension is broadcastable
    CHECK(shared(0, "state").str() == "state");
}

TEST_CASE("get_value copies unless borrowed; set_value checks like an input") {
    Array data = Array::from_values<double>({1, 2, 3});
    SharedVar w = shared(data, "w");
    CHECK_FALSE(w.get_value(true).shares_buffer_with(data));
    CHECK_FALSE(w.get_value().shares_buffer_with(w.get_value(true)));
    SharedVar borrowed = shared(data, "b", true);
    CHECK(borrowed.get_value(true).shares_buffer_with(data));

    w.set_value({4.0, 5.0}); // the shape may change
    CHECK(w.get_value().to_vector<double>() == std::vector<double>{4, 5});
    CHECK_THROWS_WITH_AS(w.set_value({{1.0}}), doctest::Contains("Wrong number of dimensions"), TypeError);
    w.set_value(Array::from_values<std::int32_t>({4, 5})); // a safe upcast
    CHECK(w.get_value().dtype() == DType::float64);
    SharedVar single = shared(Array::from_values<float>({1}), "single");
    CHECK_THROWS_WITH_AS(single.set_value(Array::from_values<double>({1})),
                         doctest::Contains("cannot store a value of dtype float64"), TypeError);
    CHECK(w.get_value().to_vector<double>() == std::vector<double>{4, 5}); // unchanged by the refusals

    SharedVar n = shared(0, "n");
    CHECK_THROWS_WITH_AS(n.set_value(1.5),
                         doctest::Contains("TensorType(int64, scalar) cannot store accurately value 1.5"), TypeError);
    // The refusal names what this caller can do, and set_value has the option it names.
    CHECK_THROWS_WITH_AS(n.set_value(1.5), doctest::Contains("1) cast your data to int64 yourself "
                                                             "(Array::astype(DType::int64)), or 2) call "
                                                             "set_value(value, {.allow_downcast = true})"),
                         TypeError);
    n.set_value(1.5, {.allow_downcast = true});
    CHECK(n.get_value().item<std::int64_t>() == 1);
    n.set_value(7);
    CHECK(n.get_value().value_at<int>(0) == 7);

    Array mine = Array::from_values<double>({9, 9});
    w.set_value(mine);
    CHECK_FALSE(w.get_value(true).shares_buffer_with(mine));
    w.set_value(mine, true);
    CHECK(w.get_value(true).shares_buffer_with(mine));
}

TEST_CASE("one shared variable serves several functions") {
    SharedVar s = shared(10.0, "s");
    Var x = dscalar("x");
    Function add = compile({x}, s, {.updates = {{s, s + x}}});
    Function read = compile({}, s * 1);
    add(5);
    CHECK(read()[0].value_at<double>(0) == 15.0);
    s.set_value(1.0);
    CHECK(read()[0].value_at<double>(0) == 1.0);
}
