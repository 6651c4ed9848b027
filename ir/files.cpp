#include "files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>

namespace kiln {

std::filesystem::path write_synced_temporary(const std::filesystem::path& final_path,
                                             std::initializer_list<std::string_view> pieces, std::string& why,
                                             unsigned mode) {
    static std::atomic<std::uint64_t> counter{0};
    const std::filesystem::path temporary =
        final_path.parent_path() /
        (".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id())) +
         "-" + std::to_string(counter++));
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) {
        why = std::strerror(errno);
        return {};
    }
    bool whole = true;
    for (const std::string_view bytes : pieces) {
        std::size_t written = 0;
        while (written < bytes.size()) {
            const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            written += static_cast<std::size_t>(n);
        }
        whole = written == bytes.size();
        if (!whole) break;
    }
    if (!whole) why = std::strerror(errno);
    const bool synced = whole && ::fsync(fd) == 0;
    if (whole && !synced) why = std::strerror(errno);
    ::close(fd);
    if (!synced) {
        ::unlink(temporary.c_str());
        return {};
    }
    return temporary;
}

std::string write_file_atomically(const std::filesystem::path& path, std::initializer_list<std::string_view> pieces,
                                  unsigned mode) {
    std::string why;
    const std::filesystem::path temporary = write_synced_temporary(path, pieces, why, mode);
    if (temporary.empty()) return why.empty() ? std::string("cannot write") : why;
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (!error) return {};
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return error.message();
}

} // namespace kiln
