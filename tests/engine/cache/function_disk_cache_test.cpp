// Compiled functions found on disk by their function key: the next process
// (here: the process after clear_function_cache()) reads the optimized graph
// instead of rewriting, and computes exactly what a fresh compile computes.
#include "engine/cache/function_cache.hpp"
#include "engine/cache/function_disk_cache.hpp"
#include "../../../jit/disk_cache.hpp"

#include <kiln/kiln.hpp>

#include "../test_helpers.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace kiln;
namespace fs = std::filesystem;

namespace {

// One SGD step of a linear model with a step counter: updates that read
// their targets, an update of a variable nothing else reads, constants, and
// the explicit linker (the suite also runs with the debug linker).
Function sgd_step(const SharedVar& w, const SharedVar& b, const SharedVar& steps, Linker linker) {
    const Var x = dmatrix("x"), y = dvector("y");
    const Var error = dot(x, w) + b - y;
    const Var cost = mean(error * error) + 0.01 * sum(w * w);
    const auto g = grad(cost, {w, b});
    return compile({x, y}, std::vector<Var>{cost, argmax(error, 0)},
                   {.updates = {{w, w - 0.1 * g[0]}, {b, b - 0.1 * g[1]}, {steps, steps + 1}}, .linker = linker});
}

struct Model {
    SharedVar w = shared(Array::from_values<double>({0.5, -0.5, 0.25}), "w");
    SharedVar b = shared(0.125, "b");
    SharedVar steps = shared(Array::from_values<std::int64_t>({0}, {}), "steps");
    Function step;

    explicit Model(Linker linker = Linker::jit) : step(sgd_step(w, b, steps, linker)) {}
};

std::vector<fs::path> files_with(const fs::path& folder, const std::string& extension) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(folder / "kernels"))
        if (entry.path().extension() == extension) found.push_back(entry.path());
    return found;
}

const Array x = Array::from_values<double>({1, 2, 0.5, -1, 0, 3, 2, 2, -2, 0.25, 1, 1}, {4, 3});
const Array y = Array::from_values<double>({1, -1, 0.5, 2});

} // namespace

TEST_CASE("a function compiled in an earlier process is read from disk, not rewritten") {
    test::TempDir folder;
    const ConfigOverride on{{"disk_cache", "on"}, {"disk_cache_dir", folder.path.string()}};
    clear_function_cache();
    Model first;
    CHECK(files_with(folder.path, ".function").size() == 1);

    clear_function_cache(); // what a new process starts with
    const FunctionCacheCounters before = function_cache_counters();
    Model again;
    const FunctionCacheCounters after = function_cache_counters();
    CHECK(after.disk_hits == before.disk_hits + 1);
    CHECK(after.misses == before.misses);
    CHECK(again.step.compile_report().find("graph: read from the disk cache (not rewritten)") != std::string::npos);
    CHECK(again.step.compile_report().find("rewriting:") == std::string::npos);
    CHECK(again.step.rewrites_applied() == first.step.rewrites_applied());
    CHECK(again.step.steps_text() == first.step.steps_text());
    CHECK(again.step.graph_text(Stage::optimized) == first.step.graph_text(Stage::optimized));

    // Both compute the same costs and updates, call after call, on their own shared variables.
    for (int call = 0; call < 3; ++call) {
        const Outputs a = first.step(x, y), b = again.step(x, y);
        CHECK(a[0].value_at<double>(0) == b[0].value_at<double>(0));
        CHECK(a[1].value_at<std::int64_t>(0) == b[1].value_at<std::int64_t>(0));
    }
    CHECK(again.w.get_value().to_vector<double>() == first.w.get_value().to_vector<double>());
    CHECK(again.b.get_value().value_at<double>(0) == first.b.get_value().value_at<double>(0));
    CHECK(again.steps.get_value().value_at<std::int64_t>(0) == 3);

    // And what the reference interpreter computes.
    Model reference(Linker::interpreter);
    for (int call = 0; call < 3; ++call) reference.step(x, y);
    const std::vector<double> expected = reference.w.get_value().to_vector<double>();
    const std::vector<double> computed = again.w.get_value().to_vector<double>();
    for (std::size_t i = 0; i < expected.size(); ++i) CHECK(computed[i] == doctest::Approx(expected[i]).epsilon(1e-14));
}

TEST_CASE("a stored graph that does not fit the request is refused, naming what differs") {
    test::TempDir folder;
    const ConfigOverride on{{"disk_cache", "on"}, {"disk_cache_dir", folder.path.string()}};
    clear_function_cache();
    Model model;
    const auto cache = jit::DiskCache::open(folder.path);
    REQUIRE(cache);
    std::vector<jit::DiskCacheEntry> functions;
    for (auto& entry : cache->entries())
        if (entry.kind == jit::EntryKind::function) functions.push_back(std::move(entry));
    REQUIRE(functions.size() == 1);
    const std::string material = functions[0].key_material;
    const Hash128 disk_key = hash_bytes(material.data(), material.size());
    const std::string payload = *cache->load(jit::EntryKind::function, disk_key, material);

    std::vector<VariablePtr> inputs = {dmatrix("x").node(), dvector("y").node()};
    std::vector<VariablePtr> shared_leaves = {model.w.node(), model.b.node(), model.steps.node()};
    const auto read = [&](const std::string& text) { return read_compiled_graph_payload(text, inputs, shared_leaves, 5); };
    const auto refusal = [&](const std::string& text) -> std::string {
        try {
            read(text);
        } catch (const Error& error) {
            return error.what();
        }
        return "accepted";
    };
    const auto replaced = [&](const std::string& from, const std::string& to) {
        std::string text = payload;
        const std::size_t at = text.find(from);
        REQUIRE(at != std::string::npos);
        return text.replace(at, from.size(), to);
    };
    REQUIRE(read(payload)->implicit_leaves.size() >= 3);
    CHECK(refusal(replaced("inputs 2", "inputs 3")).find("has 3 inputs where the function has 2") != std::string::npos);
    CHECK(refusal(replaced("leaf shared 0", "leaf shared 7")).find("binds shared variable 7 of 3") != std::string::npos);
    CHECK(refusal(replaced("leaf shared 0", "leaf constant")).find("lists a constant where its graph reads") !=
          std::string::npos);
    inputs[0] = fmatrix("x").node();
    CHECK(refusal(payload).find("reads input 0 as TensorType(float64, matrix), not TensorType(float32, matrix)") !=
          std::string::npos);
    inputs[0] = dmatrix("x").node();
    CHECK(refusal(replaced("output ", "# output ")).find("roots where the function has 5") != std::string::npos);
    CHECK(refusal(payload.substr(0, payload.find("graph\n"))).find("ends before its graph") != std::string::npos);
    CHECK(refusal("kiln-compiled-graph 2\n").find("header") != std::string::npos);
    // The shared variables in another order: each leaf's type says which it is.
    std::swap(shared_leaves[0], shared_leaves[2]);
    CHECK(refusal(payload).find("does not read shared variable") != std::string::npos);
    std::swap(shared_leaves[0], shared_leaves[2]);

    // Stored whole, for this very key, yet not this function's graph: the
    // next compile removes it, rewrites, and computes the right values.
    fs::remove(cache->entry_path(jit::EntryKind::function, disk_key));
    REQUIRE(cache->store(jit::EntryKind::function, disk_key, material, replaced("leaf shared 0", "leaf constant")));
    clear_function_cache();
    const FunctionCacheCounters before = function_cache_counters();
    Model rebuilt;
    CHECK(function_cache_counters().misses == before.misses + 1);
    CHECK(function_cache_counters().disk_hits == before.disk_hits);
    CHECK(rebuilt.step.compile_report().find("graph: compiled now") != std::string::npos);
    CHECK(rebuilt.step(x, y)[0].value_at<double>(0) == model.step(x, y)[0].value_at<double>(0));
}

TEST_CASE("a function with large constants is not stored on disk, and still computes") {
    test::TempDir folder;
    const ConfigOverride on{{"disk_cache", "on"}, {"disk_cache_dir", folder.path.string()}};
    std::vector<double> table(300000);
    for (std::size_t i = 0; i < table.size(); ++i) table[i] = 0.5 * static_cast<double>(i);
    const Var i = lscalar("i");
    const Var big = constant(Array::from_values(table));
    const Var small = constant(Array::from_values<double>({1, 2, 3}));
    const Function large = compile({i}, big[i] * 2.0, {.linker = Linker::jit});
    CHECK(files_with(folder.path, ".function").empty());
    CHECK(large(std::int64_t{7})[0].value_at<double>(0) == 7.0);
    const Function modest = compile({i}, small[i] * 2.0, {.linker = Linker::jit});
    CHECK(files_with(folder.path, ".function").size() == 1);
    CHECK(modest(std::int64_t{2})[0].value_at<double>(0) == 6.0);
}

TEST_CASE("a function compiled without rewriting is not stored on disk") {
    test::TempDir folder;
    const ConfigOverride on{{"disk_cache", "on"}, {"disk_cache_dir", folder.path.string()}};
    const Var x = dvector("x");
    const Function unrewritten = compile({x}, exp(x) * 3.0, {.mode = OptimizerMode::none, .linker = Linker::jit});
    CHECK(files_with(folder.path, ".function").empty());
    CHECK(unrewritten(std::vector<double>{0})[0].value_at<double>(0) == 3.0);
    const Function rewritten = compile({x}, exp(x) * 3.0, {.linker = Linker::jit});
    CHECK(files_with(folder.path, ".function").size() == 1);
}
