#include <kiln/kiln.hpp>

#include <doctest/doctest.h>

using namespace kiln;

TEST_CASE("floatX chooses the dtype of the un-prefixed constructors") {
    CHECK(scalar().dtype() == DType::float64);
    CHECK(matrix("m").type() == dmatrix);
    {
        ConfigOverride float32({{"floatX", "float32"}});
        CHECK(vector().type() == fvector);
        CHECK(TensorType(matrix) == fmatrix);
    }
    CHECK(vector().type() == dvector);
    auto [a, b] = matrices("a", "b");
    CHECK(a.name() == "a");
    CHECK(b.type() == dmatrix);
}

TEST_CASE("options are validated and flags parsed") {
    Config& c = config();
    CHECK_THROWS_WITH_AS(c.set("floatX", "float16"), doctest::Contains("option 'floatX' cannot be 'float16'"),
                         ValueError);
    CHECK_THROWS_WITH_AS(c.get("nope"), doctest::Contains("unknown option 'nope'"), ValueError);
    CHECK_THROWS_AS(c.apply_flags("floatX"), ValueError);
    c.apply_flags("floatX=float32,on_unused_input=warn");
    CHECK(c.floatX() == DType::float32);
    CHECK(c.on_unused_input() == OnUnusedInput::warn);
    c.apply_flags("floatX=float64,on_unused_input=raise");
    CHECK(c.floatX() == DType::float64);
    CHECK(c.streaming_stores() == StreamingStores::by_size);
    c.apply_flags("streaming_stores=never");
    CHECK(c.streaming_stores() == StreamingStores::never);
    CHECK_THROWS_WITH_AS(c.set("streaming_stores", "sometimes"),
                         doctest::Contains("choose one of auto, always, never"), ValueError);
    CHECK(c.streaming_stores() == StreamingStores::never);
    {
        ConfigOverride always({{"streaming_stores", "always"}});
        CHECK(c.streaming_stores() == StreamingStores::always);
    }
    CHECK(c.streaming_stores() == StreamingStores::never);
    c.set("streaming_stores", "auto");
    CHECK(c.streaming_stores() == StreamingStores::by_size);
    // The disk cache: a folder, on or off, and a size limit in bytes.
    {
        ConfigOverride cache({{"disk_cache", "on"}, {"disk_cache_dir", "/somewhere/kiln"}, {"disk_cache_limit", "64M"}});
        CHECK(c.disk_cache_directory() == "/somewhere/kiln");
        CHECK(c.disk_cache_limit_bytes() == std::int64_t{64} << 20);
        c.set("disk_cache", "off");
        CHECK(c.disk_cache_directory().empty());
        c.set("disk_cache_limit", "1048576");
        CHECK(c.disk_cache_limit_bytes() == 1048576);
        for (const char* wrong : {"12X", "", "G", "-5M", "1.5G"})
            CHECK_THROWS_WITH_AS(c.set("disk_cache_limit", wrong), doctest::Contains("'disk_cache_limit' cannot be"),
                                 ValueError);
        CHECK(c.disk_cache_limit_bytes() == 1048576);
    }
    for (const ConfigOption& option : Config::options()) CHECK_FALSE(option.doc.empty());
}

TEST_CASE("typed constructors cover every prefix and kind") {
    CHECK(bscalar().dtype() == DType::int8);
    CHECK(wvector().dtype() == DType::int16);
    CHECK(imatrix().dtype() == DType::int32);
    CHECK(lrow().broadcastable() == std::vector<bool>{true, false});
    CHECK(fcol().broadcastable() == std::vector<bool>{false, true});
    CHECK(dtensor3().ndim() == 3);
    CHECK(dtensor4().type().str() == "TensorType(float64, 4D)");
    auto [x, y, z] = dscalars("x", "y", "z");
    CHECK(z.name() == "z");
    CHECK(x.type() == y.type());
    CHECK_FALSE(x.is(y));
}
