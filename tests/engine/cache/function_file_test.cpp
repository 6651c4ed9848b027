// save_function and load_function: a saved function comes back with its
// graph, shared values, updates and settings, computes what the original
// computes, and a damaged file or one made for another machine is refused
// with the reason.
#include "../../../jit/cpu/cpu_backend.hpp"

#include <kiln/kiln.hpp>

#include "../test_helpers.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace kiln;
namespace fs = std::filesystem;

namespace {

// The file with `from` replaced by `to` (of the same length, so every block
// keeps its length) and its checksum made right again: what a file written
// on another machine looks like.
std::string resealed(std::string bytes, const std::string& from, const std::string& to) {
    REQUIRE(from.size() == to.size());
    const std::size_t at = bytes.find(from);
    REQUIRE(at != std::string::npos);
    bytes.replace(at, from.size(), to);
    const std::size_t checksum = bytes.rfind("checksum ");
    bytes.resize(checksum);
    return bytes + "checksum " + hash_bytes(bytes.data(), checksum).hex() + "\n";
}

std::string refusal(const fs::path& path, const LoadOptions& options = {}) {
    try {
        load_function(path.string(), options);
    } catch (const ValueError& error) {
        return error.what();
    }
    return "loaded";
}

// Logistic regression's training step (the tutorial's), with a step counter.
Function train_step(const SharedVar& w, const SharedVar& b, const SharedVar& count) {
    const Var x = dmatrix("x"), y = dvector("y");
    const Var p_1 = 1 / (1 + exp(-dot(x, w) - b));
    const Var xent = -y * log(p_1) - (1 - y) * log(1 - p_1);
    const Var cost = mean(xent) + 0.01 * sum(pow(w, 2));
    const std::vector<Var> g = grad(cost, {w, b});
    return compile({x, y}, std::vector<Var>{p_1 > 0.5, cost},
                   {.updates = {{w, w - 0.1 * g[0]}, {b, b - 0.1 * g[1]}, {count, count + 1}},
                    .linker = Linker::jit, .name = "train"});
}

const Array X = Array::from_values<double>({0.5, 1, -1, 2, 0, 0.25, 3, -2, 1, 1, -0.5, 0.75}, {4, 3});
const Array Y = Array::from_values<double>({1, 0, 1, 0});

} // namespace

TEST_CASE("a saved function loads with its shared values and trains on as the original does") {
    test::TempDir folder;
    SharedVar w = shared(Array::from_values<double>({0.1, -0.2, 0.3}), "w");
    SharedVar b = shared(0.0, "b");
    SharedVar count = shared(Array::from_values<std::int64_t>({0}, {}), "count");
    const Function train = train_step(w, b, count);
    for (int i = 0; i < 3; ++i) train(X, Y);
    const fs::path path = folder.path / "train.kfn";
    save_function(train, path.string());
    const std::vector<double> w_saved = w.get_value().to_vector<double>();

    const Function loaded = load_function(path.string());
    CHECK(loaded.name() == "train");
    CHECK(loaded.rewrites_applied() == train.rewrites_applied());
    CHECK(loaded.steps_text() == train.steps_text());
    CHECK(loaded.compile_report().find("graph: loaded from a saved function (not rewritten)") != std::string::npos);
    const std::vector<SharedVar> state = loaded.shared_variables();
    REQUIRE(state.size() == 3);
    CHECK(state[0].node() != w.node());
    for (const SharedVar& v : state) {
        if (v.name() == "w") CHECK(v.get_value().to_vector<double>() == w_saved);
        if (v.name() == "count") CHECK(v.get_value().value_at<std::int64_t>(0) == 3);
    }

    // Both train on from the same state, each on its own shared variables.
    for (int i = 0; i < 4; ++i) {
        const Outputs a = train(X, Y), c = loaded(X, Y);
        CHECK(a[0].to_vector<bool>() == c[0].to_vector<bool>());
        CHECK(a[1].value_at<double>(0) == c[1].value_at<double>(0));
    }
    for (const SharedVar& v : state) {
        if (v.name() == "w") CHECK(v.get_value().to_vector<double>() == w.get_value().to_vector<double>());
        if (v.name() == "b") CHECK(v.get_value().value_at<double>(0) == b.get_value().value_at<double>(0));
        if (v.name() == "count") CHECK(v.get_value().value_at<std::int64_t>(0) == 7);
    }
    CHECK(count.get_value().value_at<std::int64_t>(0) == 7);

    // A single-output function returns its array, as compile() of one Var does.
    const Var x = dvector("x");
    save_function(compile({x}, sum(x * 2.0)), (folder.path / "single.kfn").string());
    const Function single = load_function((folder.path / "single.kfn").string());
    CHECK(static_cast<const Array&>(single(std::vector<double>{1, 2, 3})).value_at<double>(0) == 12.0);
}

TEST_CASE("a damaged saved function is refused, naming the damage") {
    test::TempDir folder;
    SharedVar w = shared(Array::from_values<double>({0.1, -0.2, 0.3}), "w");
    SharedVar b = shared(0.0, "b");
    SharedVar count = shared(Array::from_values<std::int64_t>({0}, {}), "count");
    const fs::path path = folder.path / "train.kfn", broken = folder.path / "broken.kfn";
    save_function(train_step(w, b, count), path.string());
    const std::string whole = test::file_bytes(path);

    CHECK(refusal(folder.path / "missing.kfn").find("cannot read") != std::string::npos);
    test::write_bytes(broken, "kiln-graph 1\n");
    CHECK(refusal(broken).find("is not a saved kiln function") != std::string::npos);
    test::write_bytes(broken, whole.substr(0, whole.size() / 2));
    CHECK(refusal(broken).find("truncated") != std::string::npos);
    std::string flipped = whole;
    flipped[whole.size() / 2] ^= 0x01;
    test::write_bytes(broken, flipped);
    CHECK(refusal(broken).find("its checksum does not match") != std::string::npos);
    // Whole, but not a graph kiln can read.
    test::write_bytes(broken, resealed(whole, "Elemwise{", "Elemwize{"));
    CHECK(refusal(broken).find("holds a graph kiln cannot read") != std::string::npos);
    test::write_bytes(broken, resealed(whole, "\nlinker jit\n", "\ncolour jit\n"));
    CHECK(refusal(broken).find("unknown setting 'colour jit'") != std::string::npos);
}

TEST_CASE("a function saved for another machine or build is refused, naming what differs") {
    test::TempDir folder;
    const Var x = dvector("x");
    const Function f = compile({x}, tanh(x) * 3.0 + 1.0, {.linker = Linker::jit});
    const fs::path path = folder.path / "f.kfn", other = folder.path / "other.kfn";
    save_function(f, path.string());
    const std::string whole = test::file_bytes(path);
    const std::string& target = jit::CpuBackend::instance().target_description();
    const std::size_t cpu_at = target.find(" cpu=") + 5;
    const std::string cpu = target.substr(cpu_at, target.find(' ', cpu_at) - cpu_at);
    const std::string other_cpu(cpu.size(), 'q');

    test::write_bytes(other, resealed(whole, " cpu=" + cpu + " ", " cpu=" + other_cpu + " "));
    CHECK(refusal(other).find("was saved for another machine or build of kiln (cpu=" + other_cpu + " there, cpu=" + cpu +
                              " here)") != std::string::npos);
    test::write_bytes(other, resealed(whole, "\nkiln ", "\nkiln~"));
    CHECK(refusal(other).find("'kiln~") != std::string::npos);
    test::write_bytes(other, resealed(whole, "\nbuild ", "\nbuild~"));
    CHECK(refusal(other).find("'build~") != std::string::npos);
    test::write_bytes(other, resealed(whole, " llvm=", " llvm~"));
    CHECK(refusal(other).find("llvm~") != std::string::npos);
    const std::size_t features = target.find("features=") + 9;
    const std::string first_feature = target.substr(features, target.find_first_of(", ", features) - features);
    std::string flipped = first_feature;
    flipped[0] = flipped[0] == '+' ? '-' : '+';
    test::write_bytes(other, resealed(whole, "features=" + first_feature, "features=" + flipped));
    CHECK(refusal(other).find("CPU feature " + flipped + " there, " + first_feature + " here") != std::string::npos);

    // Asked to, kiln compiles such a function's kernels here instead.
    test::write_bytes(other, resealed(whole, " cpu=" + cpu + " ", " cpu=" + other_cpu + " "));
    const auto before = jit::CpuBackend::instance().counters();
    const Function compiled_here = load_function(other.string(), {.compile_if_incompatible = true});
    CHECK(jit::CpuBackend::instance().counters().given == before.given);
    const std::vector<double> values = {0.5, -2, 4};
    CHECK(compiled_here(values)[0].to_vector<double>() == f(values)[0].to_vector<double>());
}

TEST_CASE("a save that cannot be written leaves what was there") {
    test::TempDir folder;
    const Var x = dvector("x");
    const Function f = compile({x}, x + 1.0);
    // The path is a folder: the rename fails, and the folder stays as it was.
    const fs::path taken = folder.path / "taken";
    fs::create_directories(taken / "inside");
    try {
        save_function(f, taken.string());
        FAIL("saving over a folder succeeded");
    } catch (const ValueError& error) {
        CHECK(std::string(error.what()).find(taken.string()) != std::string::npos);
    }
    CHECK(fs::is_directory(taken / "inside"));
    CHECK(std::distance(fs::directory_iterator(folder.path), fs::directory_iterator()) == 1);
    CHECK_THROWS_AS(save_function(f, (folder.path / "no" / "such" / "f.kfn").string()), ValueError);
}
