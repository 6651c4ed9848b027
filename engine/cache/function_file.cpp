// save_function and load_function. A saved function is one file:
//
//   kiln-saved-function 1
//   LENGTH                  then that many bytes: what the kernels were made for
//   cache format 1          (jit::cache_key_material: kiln's version and build,
//   kiln 0.1.0               and the target)
//   ...
//   LENGTH                  then the function's settings, a line each:
//   name train              its name, how it returns, its input conversions,
//   single_output 0         its linker, and its rewrite counts
//   allow_input_downcast unset
//   linker jit
//   rewrite 3 local_mul_canonizer
//   LENGTH                  then its optimized graph in the graph text format
//   COUNT                   kernels, each:
//   KEY LENGTH              its kernel key and its object code's size, then the code
//   checksum HEX            XXH3-128 of every byte before this line
#include "function_disk_cache.hpp"

#include "../api/function.hpp"
#include "../compile/backends.hpp"
#include "../compile/compiled_function.hpp"
#include "../runtime/executor.hpp"
#include "../text/graph_text.hpp"
#include "../text/numbers.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/files.hpp"
#include "../../ir/log.hpp"
#include "../../jit/disk_cache.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kiln {

namespace {

constexpr std::string_view file_header = "kiln-saved-function 1\n";

// What a file's kernels' code was made for: kiln's build and the backend's target.
std::string made_for(const jit::Backend& backend) {
    return jit::cache_key_material("saved function", backend.target_description());
}

void append_block(std::string& file, std::string_view block) {
    file += std::to_string(block.size()) + "\n";
    file += block;
}

// Reads a saved function's parts in order; every failure names the file.
class SavedFile {
public:
    SavedFile(std::string path, std::string bytes) : path_(std::move(path)), bytes_(std::move(bytes)) {}

    [[noreturn]] void fail(const std::string& why) const {
        throw ValueError("load_function(): '" + path_ + "' " + why);
    }
    std::string_view line() {
        const std::size_t end = bytes_.find('\n', position_);
        if (end == std::string::npos) fail("is truncated");
        const std::string_view text = std::string_view(bytes_).substr(position_, end - position_);
        position_ = end + 1;
        return text;
    }
    std::size_t number(std::string_view text) const {
        std::size_t value = 0;
        if (!parse_number(text, value)) fail("is damaged (a bad length)");
        return value;
    }
    std::string_view block() { return take(number(line())); }
    std::string_view take(std::size_t length) {
        if (length > bytes_.size() - position_) fail("is truncated");
        const std::string_view text = std::string_view(bytes_).substr(position_, length);
        position_ += length;
        return text;
    }
    // Checks the checksum line that ends the file against everything before it.
    void check_whole() const {
        const std::size_t last = bytes_.rfind("checksum ");
        if (last == std::string::npos || bytes_.back() != '\n') fail("is truncated (no checksum)");
        const std::string stored = bytes_.substr(last + 9, bytes_.size() - last - 10);
        if (hash_bytes(bytes_.data(), last).hex() != stored) fail("is damaged (its checksum does not match)");
    }
    bool at_checksum() const { return std::string_view(bytes_).substr(position_).starts_with("checksum "); }

private:
    std::string path_;
    std::string bytes_;
    std::size_t position_ = 0;
};

// "name=value" fields of a target description, or the whole line.
std::vector<std::string> fields(const std::string& line) {
    std::vector<std::string> parts;
    std::istringstream words(line);
    for (std::string word; words >> word;) parts.push_back(word);
    return parts;
}

// The first way the machine the file was saved for differs from this one,
// or "" when they are the same.
std::string first_difference(const std::string& there, const std::string& here) {
    std::istringstream there_lines(there), here_lines(here);
    std::string a, b;
    while (std::getline(there_lines, a) && std::getline(here_lines, b)) {
        if (a == b) continue;
        if (!a.starts_with("target ") || !b.starts_with("target ")) return "'" + a + "' there, '" + b + "' here";
        const std::vector<std::string> a_fields = fields(a), b_fields = fields(b);
        for (std::size_t i = 0; i < std::min(a_fields.size(), b_fields.size()); ++i) {
            if (a_fields[i] == b_fields[i]) continue;
            // The feature lists: name the first feature that differs.
            if (a_fields[i].starts_with("features=") && b_fields[i].starts_with("features=")) {
                std::istringstream a_list(a_fields[i].substr(9)), b_list(b_fields[i].substr(9));
                for (std::string fa, fb; std::getline(a_list, fa, ',') && std::getline(b_list, fb, ',');)
                    if (fa != fb) return "CPU feature " + fa + " there, " + fb + " here";
            }
            return a_fields[i] + " there, " + b_fields[i] + " here";
        }
        return "'" + a + "' there, '" + b + "' here";
    }
    return there == here ? std::string() : "what the kernels were made for";
}

// The file holds native code: only its owner may read or replace it.
void write_whole_file(const std::string& path, const std::string& bytes) {
    if (const std::string why = write_file_atomically(path, {bytes}, 0600); !why.empty())
        throw ValueError("save_function(): cannot write '" + path + "': " + why);
}

} // namespace

void save_function(const Function& function, const std::string& path) {
    const CompiledFunction& f = *function.impl_;
    std::string linker = "jit";
    for (const KeyComponent& component : f.key_components)
        if (component.name == "linker") linker = component.value;
    std::string settings = "name " + f.name + "\n";
    settings += "single_output " + std::to_string(f.single_output) + "\n";
    settings += "allow_input_downcast " +
                std::string(!f.allow_input_downcast ? "unset" : *f.allow_input_downcast ? "true" : "false") + "\n";
    settings += "linker " + linker + "\n";
    settings += rewrite_count_lines(f.rewrites);

    jit::Backend& backend = f.executable->backend();
    std::string file(file_header);
    append_block(file, made_for(backend));
    append_block(file, settings);
    append_block(file, function.graph_text(Stage::optimized));
    const std::vector<const Kernel*> kernels = function.kernels();
    file += std::to_string(kernels.size()) + "\n";
    for (const Kernel* kernel : kernels) {
        std::shared_ptr<const std::string> code = backend.compiled_code_of(*kernel);
        if (!code) { // a function of another linker: its kernels were never compiled
            backend.compile(*kernel, LoopVariant::plain, nullptr, jit::KeepTexts::no);
            code = backend.compiled_code_of(*kernel);
        }
        KILN_CHECK(code != nullptr, "no compiled code for kernel " + kernel->key().hex());
        file += kernel->key().hex() + " ";
        append_block(file, *code);
    }
    file += "checksum " + hash_bytes(file.data(), file.size()).hex() + "\n";
    write_whole_file(path, file);
    logging::get("engine")->debug("saved {} to {} ({} bytes, {} kernels)", f.label(), path, file.size(), kernels.size());
}

Function load_function(const std::string& path, const LoadOptions& options) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) throw ValueError("load_function(): cannot read '" + path + "': " + std::strerror(errno));
    std::ostringstream contents;
    contents << stream.rdbuf();
    SavedFile file(path, contents.str());
    if (file.line() != file_header.substr(0, file_header.size() - 1)) file.fail("is not a saved kiln function");
    file.check_whole();

    jit::Backend& backend = configured_backend();
    const std::string there(file.block()), here = made_for(backend);
    const std::string difference = first_difference(there, here);
    if (!difference.empty() && !options.compile_if_incompatible)
        file.fail("was saved for another machine or build of kiln (" + difference +
                  "); pass LoadOptions{.compile_if_incompatible = true} to compile its kernels here");

    CompileOptions compile_options{.on_unused_input = OnUnusedInput::ignore, .mode = OptimizerMode::none};
    RewriteCounts rewrites;
    bool single_output = false;
    std::istringstream settings{std::string(file.block())};
    for (std::string line; std::getline(settings, line);) {
        const std::size_t space = line.find(' ');
        const std::string key = line.substr(0, space), value = space == std::string::npos ? "" : line.substr(space + 1);
        if (key == "name") compile_options.name = value;
        else if (key == "single_output") single_output = value == "1";
        else if (key == "allow_input_downcast" && value != "unset") compile_options.allow_input_downcast = value == "true";
        else if (key == "linker" && linker_from_name(value)) compile_options.linker = linker_from_name(value);
        else if (line != "allow_input_downcast unset" && !read_rewrite_count_line(line, rewrites))
            file.fail("has an unknown setting '" + line + "'");
    }
    ParsedGraph graph;
    try {
        graph = read_graph_text(file.block());
    } catch (const Error& error) {
        file.fail(std::string("holds a graph kiln cannot read: ") + error.what());
    }
    compile_options.updates = graph.updates;
    const std::size_t kernel_count = file.number(file.line());
    std::vector<std::pair<Hash128, std::shared_ptr<const std::string>>> kernels;
    for (std::size_t k = 0; k < kernel_count; ++k) {
        const std::string_view header = file.line(); // "KEY LENGTH", then the code
        const std::size_t space = header.find(' ');
        const std::optional<Hash128> key = Hash128::from_hex(header.substr(0, space));
        if (!key || space == std::string_view::npos) file.fail("is damaged (a bad kernel key)");
        const std::string_view code = file.take(file.number(header.substr(space + 1)));
        kernels.emplace_back(*key, std::make_shared<const std::string>(code));
    }
    if (!file.at_checksum()) file.fail("is damaged (bytes after its kernels)");

    // The same machine and build: link the saved code, so nothing compiles.
    if (difference.empty())
        for (auto& [key, code] : kernels) backend.add_compiled_code(key, std::move(code));
    const Function loaded = single_output && graph.outputs.size() == 1
                                ? compile(graph.inputs, graph.outputs[0], compile_options)
                                : compile(graph.inputs, graph.outputs, compile_options);
    auto impl = std::make_shared<CompiledFunction>(*loaded.impl_);
    impl->rewrites = std::move(rewrites);
    impl->graph_source = GraphSource::file;
    return Function(std::move(impl));
}

} // namespace kiln
