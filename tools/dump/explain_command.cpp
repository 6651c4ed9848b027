#include "commands.hpp"

#include <filesystem>
#include <set>
#include <sstream>

namespace kiln::dump {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> read_lines(const fs::path& path) {
    std::istringstream in(read_file(path.string()));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The value of the summary line "label: value", or empty.
std::string field(const std::vector<std::string>& summary, const std::string& label) {
    for (const std::string& line : summary)
        if (line.starts_with(label + ": ")) return line.substr(label.size() + 2);
    return {};
}

std::vector<std::string> key_lines(const std::vector<std::string>& summary) {
    std::vector<std::string> keys;
    for (const std::string& line : summary)
        if (line.starts_with("key ")) keys.push_back(line);
    return keys;
}

std::set<std::string> kernel_keys(const std::vector<std::string>& summary) {
    std::set<std::string> keys;
    for (const std::string& line : summary)
        if (const std::size_t at = line.find(": kernel key "); line.starts_with("  loop #") && at != std::string::npos)
            keys.insert(line.substr(at + 13, line.find(' ', at + 13) - (at + 13)));  // the key, not its time
    return keys;
}

// The first line where two texts differ, each side quoted.
std::string first_difference(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        const std::string left = i < a.size() ? a[i] : "(ends)", right = i < b.size() ? b[i] : "(ends)";
        if (left != right)
            return "  line " + std::to_string(i + 1) + ":\n    A: " + left + "\n    B: " + right + "\n";
    }
    return {};
}

} // namespace

void run_explain(const CommandLine& line, std::ostream& out) {
    if (line.file.empty() || line.second_file.empty())
        throw UsageError("explain compares two function dump folders: kiln-dump explain DIR_A DIR_B");
    const fs::path a = line.file, b = line.second_file;
    for (const fs::path& folder : {a, b})
        if (!fs::is_regular_file(folder / "summary.txt"))
            throw UsageError("no " + (folder / "summary.txt").string() + ": " + folder.string() +
                             " is not a function's dump folder (see kiln-dump show)");
    const std::vector<std::string> summary_a = read_lines(a / "summary.txt"), summary_b = read_lines(b / "summary.txt");

    const std::string key_a = field(summary_a, "function key"), key_b = field(summary_b, "function key");
    if (key_a == key_b) {
        out << "same function key " << key_a << ": compile() built the same function from both\n";
    } else {
        out << "different function keys: A " << key_a << ", B " << key_b << "\n";
        const std::vector<std::string> parts_a = key_lines(summary_a), parts_b = key_lines(summary_b);
        for (std::size_t i = 0; i < std::max(parts_a.size(), parts_b.size()); ++i) {
            const std::string left = i < parts_a.size() ? parts_a[i] : "(none)";
            const std::string right = i < parts_b.size() ? parts_b[i] : "(none)";
            if (left == right) continue;
            out << "first differing key component:\n  A: " << left << "\n  B: " << right << "\n";
            break;
        }
        const std::string graph = first_difference(read_lines(a / "graph.txt"), read_lines(b / "graph.txt"));
        out << (graph.empty() ? "the graphs print the same (the difference is in names, options or constants "
                                "debugprint does not show)\n"
                              : "first difference in the graphs:\n" + graph);
    }

    const std::set<std::string> kernels_a = kernel_keys(summary_a), kernels_b = kernel_keys(summary_b);
    std::size_t shared = 0;
    for (const std::string& key : kernels_a) shared += kernels_b.count(key);
    out << "kernels: " << kernels_a.size() << " in A, " << kernels_b.size() << " in B, " << shared << " shared\n";
    for (const std::string& key : kernels_a)
        if (!kernels_b.count(key)) out << "  only in A: " << key << "\n";
    for (const std::string& key : kernels_b)
        if (!kernels_a.count(key)) out << "  only in B: " << key << "\n";
    if (kernels_a != kernels_b) {
        // The headers name the keys, already listed; compare the IR itself.
        const auto kernel_ir = [](const fs::path& folder) {
            std::vector<std::string> lines;
            for (std::string& entry : read_lines(folder / "kernel.txt"))
                if (!entry.starts_with("; loop #")) lines.push_back(std::move(entry));
            return lines;
        };
        const std::string kernel = first_difference(kernel_ir(a), kernel_ir(b));
        if (!kernel.empty()) out << "first difference in the kernel IR:\n" << kernel;
    }
    const std::string target_a = field(summary_a, "target"), target_b = field(summary_b, "target");
    if (target_a != target_b) {
        out << "targets differ, so the machine code does even for shared kernels:\n  A: " << target_a
            << "\n  B: " << target_b << "\n";
    }
}

} // namespace kiln::dump
