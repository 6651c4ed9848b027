#include "commands.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace kiln::dump {

namespace {

namespace fs = std::filesystem;

bool is_function_folder(const fs::path& folder) { return fs::is_regular_file(folder / "summary.txt"); }

} // namespace

void run_show(const CommandLine& line, std::ostream& out) {
    if (!line.expression.empty()) throw UsageError("show reads a dump folder, not an expression");
    if (!line.second_file.empty()) throw UsageError("unexpected argument '" + line.second_file + "': show reads one folder");
    if (line.file.empty()) throw UsageError("no folder: give the dump folder (KILN_DUMP_DIR) or one function's folder");
    const fs::path folder = line.file;
    if (!fs::is_directory(folder)) throw UsageError(folder.string() + " is not a folder");
    const std::string stage_text = line.option("stage", "");

    if (!is_function_folder(folder)) {
        // A dump root: one line per function folder, from its summary.
        std::vector<fs::path> functions;
        for (const fs::directory_entry& entry : fs::directory_iterator(folder))
            if (entry.is_directory() && is_function_folder(entry.path())) functions.push_back(entry.path());
        if (functions.empty()) throw UsageError(folder.string() + " holds no dump folders (each has a summary.txt)");
        if (!stage_text.empty()) throw UsageError("--stage needs one function's folder; " + folder.string() + " holds " +
                                                  std::to_string(functions.size()));
        std::sort(functions.begin(), functions.end());
        for (const fs::path& function : functions) {
            std::istringstream summary(read_file((function / "summary.txt").string()));
            std::string kernels, entry;
            while (std::getline(summary, entry))
                if (entry.starts_with("kernels: ")) kernels = entry.substr(9);
            out << function.filename().string() << ": kernels " << kernels << "\n";
        }
        return;
    }
    if (stage_text.empty()) {
        out << read_file((folder / "summary.txt").string());
        return;
    }
    Stage stage{};
    try {
        stage = stage_from_name(stage_text);
    } catch (const ValueError& error) {
        throw UsageError(error.what());
    }
    out << read_file((folder / stage_file(stage)).string());
}

} // namespace kiln::dump
