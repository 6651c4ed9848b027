// Writing a file whole or not at all, the one way kiln does it: the bytes go
// to a new temporary file beside the target, are synced to the disk, then
// take the target's name in one step. A reader sees the old file or the new
// one, never a part; a failed write leaves what was there and no temporary.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

namespace kiln {

/// Writes `pieces`, one after another, to a new file with permissions
/// `mode` (less the umask) in the folder of `final_path`, synced to the
/// disk; returns its path, or "" after setting `why` (a partly written file
/// is removed). Renaming or linking it into place then publishes it whole.
std::filesystem::path write_synced_temporary(const std::filesystem::path& final_path,
                                             std::initializer_list<std::string_view> pieces, std::string& why,
                                             unsigned mode = 0600);

/// Replaces (or creates) `path` with `pieces` through such a temporary
/// file; returns "" or what went wrong, the file then being as it was.
std::string write_file_atomically(const std::filesystem::path& path, std::initializer_list<std::string_view> pieces,
                                  unsigned mode = 0666);

} // namespace kiln
