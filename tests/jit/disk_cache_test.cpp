// The on-disk kernel cache: entries come back whole or not at all, damaged
// ones are removed, unsafe directories are refused, and writers race safely.
#include "jit/cpu/cpu_backend.hpp"
#include "jit/disk_cache.hpp"

#include <kiln/kiln.hpp>

#include "../engine/test_helpers.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

using namespace kiln;
namespace fs = std::filesystem;

namespace {

// A fresh folder under the system's temporary one, removed afterwards.



unsigned mode_of(const fs::path& path) {
    struct stat status {};
    ::stat(path.c_str(), &status);
    return status.st_mode & 0777;
}

const std::string material = "kiln kernel cache format 1\nkernel 0123\ntarget test\n";
const Hash128 key = hash_bytes(material.data(), material.size());

// Object code is binary: every byte value, NULs and newlines included.
std::string binary_payload() {
    std::string payload;
    for (int round = 0; round < 40; ++round)
        for (int byte = 0; byte < 256; ++byte) payload.push_back(static_cast<char>(byte));
    return payload;
}

} // namespace

TEST_CASE("an entry comes back for its key material and nothing else") {
    test::TempDir folder;
    auto cache = jit::DiskCache::open(folder.path / "cache");
    REQUIRE(cache);
    CHECK(mode_of(folder.path / "cache") == 0700);
    CHECK(mode_of(folder.path / "cache" / "kernels") == 0700);
    CHECK_FALSE(cache->load(jit::EntryKind::kernel, key, material).has_value());
    const std::string payload = binary_payload();
    REQUIRE(cache->store(jit::EntryKind::kernel, key, material, payload, "kernel IR:\nkernel() -> ()\n"));
    CHECK(cache->load(jit::EntryKind::kernel, key, material) == payload);
    // The manifest beside it says, in plain text, what the entry was made for.
    const std::string manifest = test::file_bytes(cache->manifest_path(jit::EntryKind::kernel, key));
    CHECK(manifest.find(material) == 0);
    CHECK(manifest.find("payload " + std::to_string(payload.size()) + " bytes") != std::string::npos);
    CHECK(manifest.find("kernel IR:") != std::string::npos);
    // A second process's cache over the same folder reads the same entry.
    auto other = jit::DiskCache::open(folder.path / "cache");
    CHECK(other->load(jit::EntryKind::kernel, key, material) == payload);
    // The same file name asked for with other key material is a foreign entry.
    CHECK_FALSE(cache->load(jit::EntryKind::kernel, key, material + "features +avx512f\n").has_value());
    CHECK_FALSE(fs::exists(cache->entry_path(jit::EntryKind::kernel, key)));
    CHECK_FALSE(fs::exists(cache->manifest_path(jit::EntryKind::kernel, key)));
}

TEST_CASE("a damaged entry is a miss and is removed") {
    test::TempDir folder;
    auto cache = jit::DiskCache::open(folder.path);
    REQUIRE(cache);
    const std::string payload = binary_payload();
    REQUIRE(cache->store(jit::EntryKind::kernel, key, material, payload));
    const std::string whole = test::file_bytes(cache->entry_path(jit::EntryKind::kernel, key));
    struct Damage {
        const char* what;
        std::string bytes;
    };
    std::string flipped = whole;
    flipped[flipped.size() - 100] ^= 0x20;
    const Damage damages[] = {
        {"truncated", whole.substr(0, whole.size() - 1)},
        {"cut in its header", whole.substr(0, 30)},
        {"empty", ""},
        {"a flipped payload bit", flipped},
        {"grown", whole + "x"},
        {"another format", "kiln-kernel-cache 2\n" + whole.substr(whole.find('\n') + 1)},
    };
    for (const Damage& damage : damages) {
        CAPTURE(damage.what);
        test::write_bytes(cache->entry_path(jit::EntryKind::kernel, key), damage.bytes);
        CHECK_FALSE(cache->load(jit::EntryKind::kernel, key, material).has_value());
        CHECK_FALSE(fs::exists(cache->entry_path(jit::EntryKind::kernel, key)));
    }
    // Stored again, it is whole again.
    REQUIRE(cache->store(jit::EntryKind::kernel, key, material, payload));
    CHECK(cache->load(jit::EntryKind::kernel, key, material) == payload);
}

TEST_CASE("two entries whose files were swapped are both found out") {
    test::TempDir folder;
    auto cache = jit::DiskCache::open(folder.path);
    REQUIRE(cache);
    const std::string other_material = material + "features +avx512f\n";
    const Hash128 other_key = hash_bytes(other_material.data(), other_material.size());
    REQUIRE(cache->store(jit::EntryKind::kernel, key, material, "first payload"));
    REQUIRE(cache->store(jit::EntryKind::kernel, other_key, other_material, "second payload"));
    // Whole and checksummed, each in the other's place.
    const fs::path a = cache->entry_path(jit::EntryKind::kernel, key), b = cache->entry_path(jit::EntryKind::kernel, other_key);
    fs::rename(a, folder.path / "swap");
    fs::rename(b, a);
    fs::rename(folder.path / "swap", b);
    CHECK_FALSE(cache->load(jit::EntryKind::kernel, key, material).has_value());
    CHECK_FALSE(cache->load(jit::EntryKind::kernel, other_key, other_material).has_value());
    CHECK_FALSE(fs::exists(a));
    CHECK_FALSE(fs::exists(b));
    // An entry of one kind is never found as the other.
    REQUIRE(cache->store(jit::EntryKind::kernel, key, material, "kernel payload"));
    CHECK_FALSE(cache->load(jit::EntryKind::function, key, material).has_value());
    CHECK(cache->load(jit::EntryKind::kernel, key, material) == "kernel payload");
}

TEST_CASE("an entry that cannot be read is a miss and stays") {
    test::TempDir folder;
    auto cache = jit::DiskCache::open(folder.path);
    REQUIRE(cache);
    // Reading a folder fails with an I/O error, whoever runs the test.
    fs::create_directories(cache->entry_path(jit::EntryKind::kernel, key));
    CHECK_FALSE(cache->load(jit::EntryKind::kernel, key, material).has_value());
    CHECK(fs::is_directory(cache->entry_path(jit::EntryKind::kernel, key)));
}

TEST_CASE("folders others could write to, or that are no folders, are refused") {
    test::TempDir folder;
    const fs::path shared_folder = folder.path / "shared";
    fs::create_directories(shared_folder);
    ::chmod(shared_folder.c_str(), 0777);
    CHECK_FALSE(jit::DiskCache::open(shared_folder));
    ::chmod(shared_folder.c_str(), 0770);
    CHECK_FALSE(jit::DiskCache::open(shared_folder));
    ::chmod(shared_folder.c_str(), 0755);
    CHECK(jit::DiskCache::open(shared_folder));
    const fs::path file = folder.path / "file";
    test::write_bytes(file, "not a folder");
    CHECK_FALSE(jit::DiskCache::open(file));
    if (::geteuid() == 0) {
        // Only root can hand a folder to another user.
        const fs::path foreign = folder.path / "foreign";
        fs::create_directories(foreign);
        ::chmod(foreign.c_str(), 0700);
        REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0);
        CHECK_FALSE(jit::DiskCache::open(foreign));
    }
}

TEST_CASE("a cache that can no longer write says so and keeps nothing half-written") {
    test::TempDir folder;
    auto cache = jit::DiskCache::open(folder.path);
    REQUIRE(cache);
    fs::remove_all(cache->directory());
    CHECK_FALSE(cache->store(jit::EntryKind::kernel, key, material, binary_payload()));
    CHECK_FALSE(cache->load(jit::EntryKind::kernel, key, material).has_value());
}

TEST_CASE("writers racing on one key all leave one whole entry") {
    test::TempDir folder;
    auto cache = jit::DiskCache::open(folder.path);
    REQUIRE(cache);
    const std::string payload = binary_payload();
    std::vector<std::thread> writers;
    std::atomic<int> failed{0};
    for (int w = 0; w < 8; ++w)
        writers.emplace_back([&] {
            auto own = jit::DiskCache::open(folder.path);
            for (int round = 0; round < 20; ++round) {
                if (!own->store(jit::EntryKind::kernel, key, material, payload)) ++failed;
                const auto loaded = own->load(jit::EntryKind::kernel, key, material);
                if (!loaded || *loaded != payload) ++failed;
            }
        });
    for (auto& writer : writers) writer.join();
    CHECK(failed == 0);
    CHECK(cache->load(jit::EntryKind::kernel, key, material) == payload);
    int files = 0;
    for (const auto& entry : fs::directory_iterator(cache->directory())) {
        CHECK(entry.path().filename().string().rfind(".tmp", 0) != 0);
        ++files;
    }
    CHECK(files == 2);
}

TEST_CASE("beyond its limit the cache drops the least recently used entries and dead writers' files") {
    test::TempDir folder;
    const std::string payload(10000, 'k');
    const auto key_of = [](int n) {
        const std::string text = material + "entry " + std::to_string(n) + "\n";
        return std::pair{hash_bytes(text.data(), text.size()), text};
    };
    // One entry and its manifest, as stored.
    std::int64_t entry_bytes = 0;
    {
        test::TempDir probe;
        auto measure = jit::DiskCache::open(probe.path);
        const auto [k, m] = key_of(0);
        REQUIRE(measure->store(jit::EntryKind::kernel, k, m, payload));
        entry_bytes = static_cast<std::int64_t>(fs::file_size(measure->entry_path(jit::EntryKind::kernel, k)) + fs::file_size(measure->manifest_path(jit::EntryKind::kernel, k)));
    }
    auto cache = jit::DiskCache::open(folder.path, entry_bytes * 7 / 2);
    REQUIRE(cache);
    // A writer that died long ago, and one that is writing now.
    const fs::path dead = cache->directory() / ".tmp-1-2-3";
    const fs::path live = cache->directory() / ".tmp-4-5-6";
    test::write_bytes(dead, "half");
    test::write_bytes(live, "half");
    fs::last_write_time(dead, fs::file_time_type::clock::now() - std::chrono::hours(2));
    // Entries 1, 2, 3 used 300, 200 and 100 seconds ago; then 1 is used again.
    for (int n = 1; n <= 3; ++n) {
        const auto [k, m] = key_of(n);
        REQUIRE(cache->store(jit::EntryKind::kernel, k, m, payload));
        fs::last_write_time(cache->entry_path(jit::EntryKind::kernel, k), fs::file_time_type::clock::now() - std::chrono::seconds(400 - 100 * n));
    }
    CHECK_FALSE(fs::exists(dead));
    CHECK(fs::exists(live));
    CHECK(cache->load(jit::EntryKind::kernel, key_of(1).first, key_of(1).second) == payload);
    // Two more: each time over the limit, the oldest use goes.
    for (int n = 4; n <= 5; ++n) REQUIRE(cache->store(jit::EntryKind::kernel, key_of(n).first, key_of(n).second, payload));
    for (int n : {1, 4, 5}) CHECK(cache->load(jit::EntryKind::kernel, key_of(n).first, key_of(n).second) == payload);
    for (int n : {2, 3}) {
        CHECK_FALSE(fs::exists(cache->entry_path(jit::EntryKind::kernel, key_of(n).first)));
        CHECK_FALSE(fs::exists(cache->manifest_path(jit::EntryKind::kernel, key_of(n).first)));
    }
}

TEST_CASE("compile() keeps each new kernel in the disk cache the config names") {
    test::TempDir folder;
    const ConfigOverride on{{"disk_cache", "on"}, {"disk_cache_dir", folder.path.string()}};
    // A kernel no other test compiles: a chain of ops drawn at random.
    std::random_device random;
    const Var x = dvector("x");
    Var chain = x;
    const unsigned draw = random();
    for (int i = 0; i < 6; ++i) {
        const unsigned pick = (draw >> (2 * i)) & 3;
        chain = pick == 0 ? sin(chain) : pick == 1 ? tanh(chain) : pick == 2 ? chain + 1.5 : chain * 0.5;
    }
    chain = chain * 0.25 + x;
    const auto before = jit::CpuBackend::instance().counters();
    const Function f = compile({x}, chain);
    const auto after = jit::CpuBackend::instance().counters();
    std::vector<fs::path> entries, functions, manifests;
    for (const auto& entry : fs::directory_iterator(folder.path / "kernels")) {
        const fs::path extension = entry.path().extension();
        (extension == ".kernel" ? entries : extension == ".function" ? functions : manifests).push_back(entry.path());
    }
    // Compiled now, or loaded from memory when this draw came up before.
    CHECK(entries.size() == after.compiled - before.compiled);
    CHECK(functions.size() <= 1);
    CHECK(manifests.size() == entries.size() + functions.size());
    for (const fs::path& manifest : manifests) {
        if (fs::exists(fs::path(manifest).replace_extension(".function"))) continue;
        const std::string text = test::file_bytes(manifest);
        CHECK(text.find("kernel IR:") != std::string::npos);
        CHECK(text.find("LLVM IR:") != std::string::npos);
        CHECK(text.find("define void @kiln_loop_") != std::string::npos);
        CHECK(text.find("target triple=") != std::string::npos);
        CHECK(text.find("kiln ") != std::string::npos);
        // The build's own identity: a rebuilt kiln of the same version misses.
        CHECK(text.find("\nbuild build-id ") != std::string::npos);
    }
    // The compiled function computes what the interpreter does.
    const Function reference = compile({x}, chain, {.linker = Linker::interpreter});
    const Array input = Array::from_values<double>({0.5, -1.25, 2.0});
    const std::vector<double> compiled = f(input)[0].to_vector<double>(), expected = reference(input)[0].to_vector<double>();
    for (std::size_t i = 0; i < expected.size(); ++i) CHECK(compiled[i] == doctest::Approx(expected[i]).epsilon(1e-14));
    // Off, nothing more is written.
    const ConfigOverride off{{"disk_cache", "off"}};
    const Function g = compile({x}, chain * 3.0 - x);
    CHECK(std::distance(fs::directory_iterator(folder.path / "kernels"), fs::directory_iterator()) ==
          static_cast<std::ptrdiff_t>(entries.size() + functions.size() + manifests.size()));
}

TEST_CASE("a whole entry that LLVM cannot link is removed, and the kernel compiled again") {
    test::TempDir folder;
    // A kernel no other test compiles: out0 = in0 * (a literal drawn at random).
    std::random_device random;
    const double factor = 1.0 + static_cast<double>(random() % 1000000) / 7.0;
    Kernel kernel;
    const int x = kernel.load(kernel.add_input(DType::float64, false));
    kernel.add_output(kernel.apply(ScalarOp::mul, {x, kernel.literal(DType::float64, factor, 0)}, DType::float64));

    jit::CpuBackend& backend = jit::CpuBackend::instance();
    const std::shared_ptr<jit::DiskCache> cache = jit::DiskCache::open(folder.path / "cache");
    REQUIRE(cache);
    const std::string entry_material = jit::cache_key_material("kernel " + kernel.key().hex(), backend.target_description());
    const Hash128 entry_key = hash_bytes(entry_material.data(), entry_material.size());
    // Checksummed and made for exactly this kernel, but not object code.
    REQUIRE(cache->store(jit::EntryKind::kernel, entry_key, entry_material, "not an ELF object"));
    CHECK_THROWS_AS(backend.compile(kernel, LoopVariant::plain, cache, jit::KeepTexts::no), InternalError);
    CHECK_FALSE(fs::exists(cache->entry_path(jit::EntryKind::kernel, entry_key)));

    const auto before = backend.counters();
    const jit::CompiledLoop loop = backend.compile(kernel, LoopVariant::plain, cache, jit::KeepTexts::no);
    CHECK(backend.counters().compiled == before.compiled + 1);
    CHECK(fs::exists(cache->entry_path(jit::EntryKind::kernel, entry_key)));
    std::vector<double> in = {1.5, -2, 0.25}, out(3);
    void* data[] = {in.data(), out.data()};
    const std::int64_t strides[] = {1, 1};
    std::int32_t status = 0;
    call_loop(loop.function, 3, data, strides, nullptr, &status);
    for (std::size_t i = 0; i < in.size(); ++i) CHECK(out[i] == in[i] * factor);
}
