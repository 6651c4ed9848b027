#include "ir/files.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace kiln;
namespace fs = std::filesystem;

namespace {

struct Folder {
    fs::path path = fs::temp_directory_path() / ("kiln-files-test-" + std::to_string(::getpid()));
    Folder() { fs::create_directories(path); }
    ~Folder() { fs::remove_all(path); }
    std::size_t entries() const {
        std::size_t count = 0;
        for ([[maybe_unused]] const auto& entry : fs::directory_iterator(path)) ++count;
        return count;
    }
};

std::string contents(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

TEST_CASE("write_file_atomically writes its pieces in order and replaces the file whole") {
    Folder folder;
    const fs::path file = folder.path / "a.txt";
    CHECK(write_file_atomically(file, {"one ", "two"}) == "");
    CHECK(contents(file) == "one two");
    CHECK(write_file_atomically(file, {std::string_view("\0x", 2)}) == "");
    CHECK(contents(file) == std::string("\0x", 2));
    CHECK(folder.entries() == 1); // no temporary left beside it
}

TEST_CASE("a failed write says why and leaves the old file and no temporary") {
    Folder folder;
    const fs::path file = folder.path / "kept.txt";
    REQUIRE(write_file_atomically(file, {"old"}) == "");
    // Renaming onto a folder fails after the temporary was written.
    const fs::path onto_folder = folder.path / "sub";
    fs::create_directories(onto_folder / "inside");
    CHECK(write_file_atomically(onto_folder, {"new"}) != "");
    CHECK(fs::is_directory(onto_folder));
    // A folder that does not exist: nothing can be written.
    CHECK(write_file_atomically(folder.path / "missing" / "x.txt", {"new"}) != "");
    CHECK(contents(file) == "old");
    CHECK(folder.entries() == 2); // kept.txt and sub
}

TEST_CASE("the file gets the mode asked for, less the umask") {
    Folder folder;
    const fs::path file = folder.path / "private";
    REQUIRE(write_file_atomically(file, {"code"}, 0600) == "");
    struct stat status {};
    REQUIRE(::stat(file.c_str(), &status) == 0);
    CHECK((status.st_mode & 0777) == 0600);
}
