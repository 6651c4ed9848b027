#include "commands.hpp"

#include "jit/disk_cache.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <sstream>

namespace kiln::dump {

namespace {

namespace fs = std::filesystem;

std::string local_time(fs::file_time_type time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(std::chrono::file_clock::to_sys(time));
    std::tm parts{};
    ::localtime_r(&seconds, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &parts);
    return text;
}

// The value of `name=` or the rest of a `name ` line in an entry's key material.
std::string key_part(const std::string& material, const std::string& name) {
    std::istringstream lines(material);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.starts_with(name + " ")) return line.substr(name.size() + 1);
        const std::size_t at = line.find(" " + name + "=");
        if (at != std::string::npos) {
            const std::size_t start = at + name.size() + 2;
            return line.substr(start, line.find(' ', start) - start);
        }
    }
    return "?";
}

// " 'train'": the function a function entry was compiled for, from its manifest.
std::string compiled_for(const jit::DiskCacheEntry& entry) {
    if (entry.kind != jit::EntryKind::function || !fs::exists(entry.manifest)) return {};
    const std::string name = key_part(read_file(entry.manifest.string()), "compiled for:");
    return name == "?" ? std::string() : " " + name;
}

} // namespace

void run_cache(const CommandLine& line, std::ostream& out) {
    if (!line.expression.empty()) throw UsageError("cache takes an action, not an expression");
    const std::string action = line.file.empty() ? "list" : line.file;
    const fs::path root = line.option("dir", config().get("disk_cache_dir"));
    if (root.empty()) throw UsageError("no kernel cache folder: give --dir, or set KILN_CACHE_DIR or HOME");
    if (!fs::is_directory(root / "kernels")) {
        out << "no kernel cache in " << root.string() << "\n";
        return;
    }
    const auto cache = jit::DiskCache::open(root);
    if (!cache) throw UsageError(root.string() + " is refused as a kernel cache (see the warning above)");

    if (action == "list" || action == "verify") {
        const std::vector<jit::DiskCacheEntry> entries = cache->entries();
        std::int64_t bytes = 0;
        std::size_t damaged = 0, functions = 0;
        for (const auto& entry : entries) {
            bytes += entry.bytes;
            damaged += !entry.problem.empty();
            functions += entry.kind == jit::EntryKind::function;
        }
        out << entries.size() << " entries (" << entries.size() - functions << " kernels, " << functions
            << " functions), " << bytes << " bytes in " << cache->directory().string()
            << " (most recently used first)\n";
        for (const auto& entry : entries) {
            if (action == "verify" && entry.problem.empty()) continue;
            const char* kind = jit::entry_kind_name(entry.kind);
            out << entry.name << "  " << kind << "  " << entry.bytes << " bytes  used " << local_time(entry.last_used);
            if (entry.problem.empty())
                out << "  " << kind << " " << key_part(entry.key_material, kind) << compiled_for(entry) << "  cpu "
                    << key_part(entry.key_material, "cpu") << "  kiln " << key_part(entry.key_material, "kiln") << "\n";
            else
                out << "  damaged: " << entry.problem << " (removed when next loaded)\n";
        }
        if (action == "verify") {
            if (damaged > 0)
                throw ValueError(std::to_string(damaged) + " of " + std::to_string(entries.size()) +
                                 " kernel cache entries are damaged");
            out << "every entry is whole\n";
        }
        return;
    }
    if (action == "show") {
        if (line.second_file.empty()) throw UsageError("show needs an entry's name (or the start of one), as list prints it");
        std::vector<jit::DiskCacheEntry> matches;
        for (auto& entry : cache->entries())
            if (entry.name.starts_with(line.second_file)) matches.push_back(std::move(entry));
        if (matches.size() != 1)
            throw UsageError(std::to_string(matches.size()) + " entries' names start with '" + line.second_file + "'");
        const fs::path& manifest = matches[0].manifest;
        out << (fs::exists(manifest) ? read_file(manifest.string()) : "(no manifest)\n");
        if (!matches[0].problem.empty()) out << "damaged: " << matches[0].problem << "\n";
        return;
    }
    if (action == "clear") {
        out << "removed " << cache->clear() << " entries from " << cache->directory().string() << "\n";
        return;
    }
    throw UsageError("unknown cache action '" + action + "': list, show NAME, verify or clear");
}

} // namespace kiln::dump
