// Fusion's reasons, as the schedule dump prints them: an op step says why
// it is no loop, and a loop names each producer that did not join it.
#include "../test_helpers.hpp"

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace kiln {

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    return lines;
}

// The schedule lines under the step whose own line contains `step`.
std::vector<std::string> notes_of(const Function& f, const std::string& step) {
    const std::vector<std::string> lines = lines_of(f.dump(Stage::schedule));
    std::vector<std::string> notes;
    bool inside = false;
    for (const std::string& line : lines) {
        if (line.starts_with("#")) inside = line.find(step) != std::string::npos;
        else if (inside && line.starts_with("    ")) notes.push_back(line.substr(4));
    }
    return notes;
}

bool has_note(const std::vector<std::string>& notes, const std::string& start, const std::string& words) {
    for (const std::string& note : notes)
        if (note.starts_with(start) && note.find(words) != std::string::npos) return true;
    return false;
}

} // namespace

TEST_CASE("a matrix product runs as an op step, and the schedule says why") {
    const Var x = dmatrix("x"), w = dvector("w");
    const Function f = compile({x, w}, exp(dot(x, w)));
    const auto notes = notes_of(f, "op dot");
    CHECK(has_note(notes, "not fused: ", "dot is not elementwise"));
    // The loop after it reads the product from memory, as any loop input.
    CHECK(notes_of(f, "loop [exp]").size() == 1);
    const Array out = f(test::doubles({1, 2, 3, 4}, {2, 2}), test::doubles({0.5, -1}, {2}))[0];
    test::check_close(out, {std::exp(1 * 0.5 - 2), std::exp(3 * 0.5 - 4)});
}

TEST_CASE("a producer whose result is also an output does not join a reduction loop") {
    const Var x = dvector("x");
    const Var y = exp(x);
    const Function f = compile({x}, std::vector<Var>{sum(y), y});
    const auto notes = notes_of(f, "Sum");
    CHECK(has_note(notes, "did not join: exp -> TensorType(float64, vector)", "reduction loop writes only"));
    const Outputs out = f(test::doubles({0, 1}, {2}));
    test::check_close(out[0], {1 + std::exp(1.0)});
    test::check_close(out[1], {1, std::exp(1.0)});
}

TEST_CASE("a producer of another loop shape does not join, and the reason names both shapes") {
    const Var m = dmatrix("m"), r = drow("r");
    const Function f = compile({m, r}, m * exp(r));
    const auto notes = notes_of(f, "loop [mul]");
    CHECK(has_note(notes, "did not join: exp -> TensorType(float64, row)", "another loop shape"));
    CHECK(has_note(notes, "did not join: exp", "TensorType(float64, matrix)"));
}

TEST_CASE("a chain that fuses whole has no notes, and nothing is said when nothing is fused") {
    const Var a = dvector("a"), b = dvector("b");
    const Var chain = sigmoid(a * b + 1.5);
    const Function fused = compile({a, b}, chain);
    for (const std::string& line : lines_of(fused.dump(Stage::schedule))) {
        CHECK(line.find("did not join") == std::string::npos);
        CHECK(line.find("not fused") == std::string::npos);
    }
    const Function interpreted = compile({a, b}, chain, {.linker = Linker::interpreter});
    CHECK(interpreted.dump(Stage::schedule).find("not fused") == std::string::npos);
}

} // namespace kiln
