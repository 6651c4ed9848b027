// The catalogue of bad input: each case is a call or compile() a user could
// get wrong, the exception class it must raise and words its message must
// hold (naming the culprit). After every case, each shared variable holds
// exactly its old value and the on-disk cache is byte for byte as it was.
#include "test_helpers.hpp"

#include <functional>
#include <limits>
#include <map>

using namespace kiln;

namespace {

using Raises = bool (*)(const std::exception&);
template <class E> bool raises(const std::exception& error) { return dynamic_cast<const E*>(&error) != nullptr; }

struct BadInput {
    std::string what;
    std::function<void()> attempt;
    Raises expected_class;
    const char* expected_class_name;
    std::vector<std::string> message_holds;
};

#define RAISES(E) raises<E>, #E

// Every file under `folder`, with its bytes.
std::map<std::string, std::string> folder_contents(const std::filesystem::path& folder) {
    std::map<std::string, std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(folder))
        if (entry.is_regular_file()) files[entry.path().string()] = test::file_bytes(entry.path());
    return files;
}

} // namespace

TEST_CASE("the bad-input catalogue: a clear error naming the culprit, and nothing changed") {
    test::TempDir cache;
    const ConfigOverride disk_cache{{"disk_cache", "on"}, {"disk_cache_dir", cache.path.string()}};

    const SharedVar w = shared(std::vector<double>{1, 2, 3}, "w");
    const SharedVar b = shared(0.5, "b");
    const SharedVar count = shared(std::int64_t{7}, "count");
    const std::vector<SharedVar> shared_variables{w, b, count};

    const Var x = dvector("x"), y = dvector("y"), m = dmatrix("m"), i = lscalar("i"), n = lscalar("n");
    const Var f32 = fvector("f32");
    const Var ids = lvector("ids");
    // A training step: every call updates all three shared variables.
    const Function train = compile({x}, sum(w * x) + b,
                                   {.updates = {{w, w - 0.1 * x}, {b, b + 1.0}, {count, count + 1}}, .name = "train"});
    const Function guarded = compile({x}, sum(log(x) * w) + b,
                                     {.updates = {{w, w + x}, {b, b / sum(x)}}, .name = "guarded", .nan_guard = NanGuard::nan_inf});
    const Function add = compile({x, y}, x + y);
    const Function matrix_vector = compile({m, x}, dot(m, x));
    const Function pick = compile({x, i}, x[i]);
    const Function gather = compile({x, ids}, x[ids]);
    const Function fill = compile({n}, zeros({n, n}, DType::float64));
    const Function largest = compile({x}, max(x));
    const Function largest_at = compile({x}, argmax(x));
    const Function shrink = compile({f32}, f32 * 2.0f);
    const Function counting = compile({i}, count + i);
    const Function rows = compile({m}, sum(m, 1));

    const std::vector<double> three{1, 2, 3}, four{1, 2, 3, 4}, empty{};
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<BadInput> catalogue{
        // NaN and infinities: guarded functions name where they came from.
        {"a NaN input to a guarded function", [&] { guarded(std::vector<double>{1, nan, 3}); }, RAISES(ValueError),
         {"NaN guard", "input argument at index 0 ('x')", "nan at index (1,)"}},
        {"a guarded function producing NaN", [&] { guarded(std::vector<double>{1, -2, 3}); }, RAISES(ValueError),
         {"NaN guard", "nan at index (1,)", "log"}},
        {"a guarded function producing -inf", [&] { guarded(std::vector<double>{1, 0.5, 0}); }, RAISES(ValueError),
         {"NaN guard", "-inf at index (2,)", "log"}},
        // Types and ranks.
        {"too many arguments", [&] { train(three, three); }, RAISES(TypeError), {"train", "Too many parameters"}},
        {"too few arguments", [&] { add(three); }, RAISES(TypeError), {"Missing required input", "y"}},
        {"a matrix for a vector", [&] { train(test::doubles({1, 2, 3, 4}, {2, 2})); }, RAISES(TypeError),
         {"index 0 ('x')", "Wrong number of dimensions"}},
        {"float64 data for a float32 input", [&] { shrink(std::vector<double>{0.1, 0.2}); }, RAISES(TypeError),
         {"index 0 ('f32')", "float32", "allow_input_downcast"}},
        {"a fraction for an integer input", [&] { counting(2.5); }, RAISES(TypeError), {"index 0 ('i')"}},
        // Shapes.
        {"elementwise shapes that differ", [&] { add(three, four); }, RAISES(ValueError),
         {"Input dimension mis-match", "(3,)", "(4,)"}},
        {"dot of unaligned shapes", [&] { matrix_vector(test::doubles({1, 2, 3, 4, 5, 6}, {2, 3}), four); },
         RAISES(ValueError), {"(2, 3)", "(4,)"}},
        {"a training step with the wrong length", [&] { train(four); }, RAISES(ValueError), {"(3,)", "(4,)"}},
        // Indices.
        {"an index past the end", [&] { pick(three, 3); }, RAISES(IndexError), {"index 3", "size 3"}},
        {"a negative index past the start", [&] { pick(three, -4); }, RAISES(IndexError), {"-4"}},
        {"an index array with an index past the end", [&] { gather(three, std::vector<std::int64_t>{0, 7}); },
         RAISES(IndexError), {"7"}},
        // Sizes.
        {"a negative size", [&] { fill(-2); }, RAISES(ValueError), {"negative dimension", "(-2, -2)"}},
        {"a size whose square overflows", [&] { fill(std::int64_t{1} << 33); }, RAISES(ValueError),
         {"(8589934592, 8589934592)", "more bytes than int64 counts"}},
        // Empty arrays where they have no answer.
        {"max of nothing", [&] { largest(empty); }, RAISES(ValueError), {"max", "zero-size array"}},
        {"argmax of nothing", [&] { largest_at(empty); }, RAISES(ValueError), {"argmax", "empty sequence"}},
        {"an index into nothing", [&] { pick(empty, 0); }, RAISES(IndexError), {"index 0", "size 0"}},
        // compile() requests.
        {"an update of an input", [&] { compile({x}, sum(x), {.updates = {{x, x + 1}}}); }, RAISES(TypeError),
         {"x", "shared"}},
        {"two updates of one shared variable", [&] { compile({x}, sum(x), {.updates = {{w, w + x}, {w, w - x}}}); },
         RAISES(ValueError), {"w", "update"}},
        {"an update of another type", [&] { compile({x}, sum(x), {.updates = {{w, sum(w)}}}); }, RAISES(TypeError),
         {"w"}},
        {"givens that change a type", [&] { compile({m}, sum(x), {.givens = {{x, m}}}); }, RAISES(TypeError),
         {"x", "matrix"}},
        {"givens that replace a variable by an expression of itself",
         [&] { compile({x}, sum(x), {.givens = {{x, x * 2.0}}}); }, RAISES(Error), {"x"}},
        {"givens that replace a variable by an expression of itself (not an input)",
         [&] { compile({}, sum(x), {.givens = {{x, x * 2.0}}}); }, RAISES(Error), {"x"}},
        {"givens that replace two variables by each other",
         [&] { compile({}, sum(x + y), {.givens = {{x, y * 2.0}, {y, x * 2.0}}}); }, RAISES(Error), {"x"}},
        // set_value.
        {"set_value with another rank", [&] { w.set_value(test::doubles({1, 2, 3, 4}, {2, 2})); }, RAISES(TypeError),
         {"w", "Wrong number of dimensions"}},
        {"set_value of a fraction into an integer variable", [&] { count.set_value(2.5); }, RAISES(TypeError),
         {"count"}},
    };

    std::vector<Array> before;
    for (const SharedVar& variable : shared_variables) before.push_back(variable.get_value());
    const std::map<std::string, std::string> cache_before = folder_contents(cache.path);
    REQUIRE_FALSE(cache_before.empty());

    for (const BadInput& bad : catalogue) {
        CAPTURE(bad.what);
        std::string message;
        bool right_class = false;
        try {
            bad.attempt();
        } catch (const std::exception& error) {
            message = error.what();
            right_class = bad.expected_class(error);
        }
        CAPTURE(message);
        INFO("expected ", bad.expected_class_name);
        CHECK_FALSE(message.empty());
        CHECK(right_class);
        for (const std::string& words : bad.message_holds) {
            CAPTURE(words);
            CHECK(message.find(words) != std::string::npos);
        }
        for (std::size_t k = 0; k < shared_variables.size(); ++k) {
            CAPTURE(shared_variables[k].str());
            CHECK(shared_variables[k].get_value().identical_to(before[k]));
        }
        CHECK(folder_contents(cache.path) == cache_before);
    }

    // Still working, from the same compiled functions.
    CHECK(train(three)[0].value_at<double>(0) == doctest::Approx(14.5));
    CHECK(count.get_value().value_at<std::int64_t>(0) == 8);
}

TEST_CASE("without a guard, NaN and infinities pass through as IEEE arithmetic gives them") {
    const Var x = dvector("x");
    const Function f = compile({x}, std::vector<Var>{log(x), 1.0 / x});
    const Outputs got = f(std::vector<double>{std::numeric_limits<double>::quiet_NaN(), -1.0, 0.0});
    const std::vector<double> logs = got[0].to_vector<double>(), reciprocals = got[1].to_vector<double>();
    CHECK(std::isnan(logs[0]));
    CHECK(std::isnan(logs[1]));
    CHECK(logs[2] == -std::numeric_limits<double>::infinity());
    CHECK(std::isnan(reciprocals[0]));
    CHECK(reciprocals[1] == -1.0);
    CHECK(reciprocals[2] == std::numeric_limits<double>::infinity());
}

TEST_CASE("the NaN guard names the first op inside a fused loop and leaves shared variables alone") {
    // exp(x) overflows to inf, then inf - inf is NaN: the guard names exp.
    const SharedVar total = shared(1.0, "total");
    const Var x = dvector("x");
    const Var big = exp(x);
    const Function f = compile({x}, sum(big - big * 1.0), {.updates = {{total, total + sum(x)}}, .nan_guard = NanGuard::nan_inf});
    CHECK_THROWS_WITH_AS(f(std::vector<double>{1, 1000}), doctest::Contains("exp"), ValueError);
    CHECK(total.get_value().value_at<double>(0) == 1.0);
    // Only NaN refused: the inf in between passes, the NaN after it does not.
    const Function g = compile({x}, sum(big - big), {.nan_guard = NanGuard::nan});
    CHECK_THROWS_WITH_AS(g(std::vector<double>{1, 1000}), doctest::Contains("nan at index (1,)"), ValueError);
    CHECK(g(std::vector<double>{1, 2})[0].value_at<double>(0) == 0);
    // The config sets the default.
    const ConfigOverride guard{{"nan_guard", "nan"}};
    const Function h = compile({x}, log(x));
    CHECK_THROWS_WITH_AS(h(std::vector<double>{-1}), doctest::Contains("NaN guard"), ValueError);
}
