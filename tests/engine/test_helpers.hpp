// Helpers shared by the engine tests.
#pragma once

#include <kiln/kiln.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <random>
#include <vector>

namespace kiln::test {

/// Evaluates one output of a fresh function of `inputs`.
inline Array run(const Var& out, const std::vector<Var>& inputs, const std::vector<Arg>& args) {
    return compile(inputs, std::vector<Var>{out}, {.on_unused_input = OnUnusedInput::ignore}).call(args)[0];
}

/// Values in [low, high) from a fixed seed.
inline std::vector<double> uniform(std::size_t n, double low, double high, unsigned seed = 7) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> d(low, high);
    std::vector<double> v(n);
    for (double& x : v) x = d(rng);
    return v;
}

inline Array doubles(const std::vector<double>& values, Shape shape) { return Array::from_values(values, shape); }

/// Checks every element against expected within a relative tolerance.
inline void check_close(const Array& actual, const std::vector<double>& expected, double tolerance = 1e-12) {
    const std::vector<double> got = actual.to_vector<double>();
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        if (std::isnan(expected[i])) CHECK(std::isnan(got[i]));
        else if (std::isinf(expected[i])) CHECK(got[i] == expected[i]);
        else CHECK(got[i] == doctest::Approx(expected[i]).epsilon(tolerance).scale(1));
    }
}

/// A fresh directory for one test's files, removed with everything in it.
/// Never the name of an earlier one: the JIT backend keeps the disk cache
/// folder it was last given open by name.
struct TempDir {
    std::filesystem::path path = [] {
        static std::atomic<unsigned> made{0};
        return std::filesystem::temp_directory_path() /
               ("kiln_test_" + std::to_string(::getpid()) + "_" + std::to_string(made++));
    }();
    TempDir() { std::filesystem::create_directories(path); }
    ~TempDir() {
        std::error_code ignored; // a destructor must not throw
        std::filesystem::remove_all(path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path / name).string(); }
};

/// The whole of a file, as bytes.
inline std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << file.rdbuf();
    return bytes.str();
}

/// Replaces a file's contents with `bytes`.
inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

} // namespace kiln::test
