// What the file-reader fuzz targets share: the input written to a file of
// this process's own, for readers that take a path.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace kiln::fuzz {

/// A path in the temporary folder named for this process and `name`.
inline std::string scratch_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("kiln_fuzz_" + std::to_string(::getpid()) + "_" + name)).string();
}

/// Writes `bytes` to `path`, replacing what was there; returns the path.
inline const std::string& write_file(const std::string& path, std::string_view bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
}

} // namespace kiln::fuzz
