#include "config.hpp"

#include "../text/numbers.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/log.hpp"
#include "../../jit/disk_cache.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

namespace kiln {

namespace {

bool same_ignoring_case(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::size_t option_index(const std::string& name) {
    const auto& options = Config::options();
    for (std::size_t i = 0; i < options.size(); ++i)
        if (options[i].name == name) return i;
    std::string known, suggestion;
    for (const auto& option : options) {
        known += (known.empty() ? "" : ", ") + option.name;
        if (same_ignoring_case(option.name, name)) suggestion = "; did you mean '" + option.name + "'?";
    }
    throw ValueError("config: unknown option '" + name + "'" + suggestion + " (known options: " + known + ")");
}

// Calls apply(item) for each comma-separated item of flags.
template <class F> void for_each_flag(const std::string& flags, F&& apply) {
    std::size_t start = 0;
    while (start <= flags.size()) {
        const std::size_t comma = std::min(flags.find(',', start), flags.size());
        const std::string item = flags.substr(start, comma - start);
        start = comma + 1;
        if (!item.empty()) apply(item);
    }
}

// The size of the largest cache CPU 0 uses, as Linux describes it (what
// this core shares; glibc's sysconf reports a whole EPYC socket's L3
// here, ten times that), or 0 when it does not say.
std::int64_t last_level_cache_bytes() {
    std::int64_t largest = 0;
    for (int index = 0;; ++index) {
        std::ifstream file("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
        std::int64_t size = 0;
        char unit = 0;
        if (!(file >> size)) return largest;
        if (file >> unit) size <<= unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : 0;
        largest = std::max(largest, size);
    }
}

// "1G", "512M", "65536K" or a plain count of bytes; -1 when it is none.
std::int64_t byte_count(const std::string& text) {
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0 || digits > 15) return -1;
    const std::string unit = text.substr(digits);
    const int shift = unit.empty() ? 0 : unit == "K" ? 10 : unit == "M" ? 20 : unit == "G" ? 30 : -1;
    if (shift < 0) return -1;
    std::int64_t count = 0;
    parse_number(std::string_view(text).substr(0, digits), count); // digits only: it reads
    return count << shift;
}

} // namespace

const std::vector<ConfigOption>& Config::options() {
    static const std::vector<ConfigOption> registry = {
        {"floatX", "dtype of scalar()/vector()/matrix()..., of integer true division and of gradients "
                   "of integer paths", "float64", {"float64", "float32"}},
        {"on_unused_input", "what compile() does with an input no output depends on", "raise",
         {"raise", "warn", "ignore"}},
        {"mode", "graph rewriting in compile(): fast_run (all phases), fast_compile (merge and constant "
                 "folding), none", "fast_run", {"fast_run", "fast_compile", "none"}},
        {"linker", "how compile() runs a graph: jit (fused loops compiled to native code), interpreter (each "
                   "op's reference implementation), debug (jit, every fused loop checked against the interpreter)",
         "jit", {"jit", "interpreter", "debug"}},
        {"dump_dir", "a folder where every compile() writes what it did with its function, one folder per "
                     "function (see kiln-dump show); empty: none. Also set by KILN_DUMP_DIR", "", {}},
        {"optimizer_excluding", "rewrites, phases, 'merge' or 'constant_folding' that compile() leaves out, "
                                "separated by ':'", "", {}},
        {"streaming_stores", "when compiled loops write outputs with non-temporal stores, which bypass the caches: "
                             "auto (outputs at least as large as the last-level cache, of loops that call no math "
                             "function), always, never", "auto",
         {"auto", "always", "never"}},
        {"disk_cache", "whether compiled kernels are kept in, and loaded from, the on-disk kernel cache "
                       "(KILN_CACHE=off turns it off)", "on", {"on", "off"}},
        {"disk_cache_limit", "the most the on-disk kernel cache holds, in bytes (suffixes K, M, G): beyond it, the "
                             "least recently used kernels go", "1G", {}},
        {"disk_cache_dir", "the on-disk kernel cache's folder: KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else "
                           "~/.cache/kiln; refused unless it belongs to the user and nobody else can write to it",
         "", {}},
        {"device", "where compiled functions run: cpu (native code for the host CPU)", "cpu", {"cpu"}},
        {"nan_guard", "what calls refuse to compute with, naming the input or the first op that held or produced it "
                      "(Theano's NanGuardMode): off, nan, nan_inf (NaN and infinities)", "off",
         {"off", "nan", "nan_inf"}},
    };
    return registry;
}

Config::Config() {
    for (const auto& option : options()) values_.push_back(option.default_value);
    if (const char* folder = std::getenv("KILN_DUMP_DIR")) values_[option_index("dump_dir")] = folder;
    values_[option_index("disk_cache_dir")] = jit::disk_cache_directory_from_environment();
    if (!jit::disk_cache_enabled_by_environment()) values_[option_index("disk_cache")] = "off";
    for (std::size_t index = 0; index < values_.size(); ++index) parse(index);
    if (const char* flags = std::getenv("KILN_FLAGS")) apply_environment_flags(flags);
}

// set() admits only the choices (and byte counts), so each text parses.
void Config::parse(std::size_t index) {
    const std::string& name = options()[index].name;
    const std::string& value = values_[index];
    if (name == "floatX") {
        floatX_ = dtype_from_name(value);
    } else if (name == "device") {
        device_ = Device::cpu;
    } else if (name == "on_unused_input") {
        on_unused_input_ = value == "warn" ? OnUnusedInput::warn : value == "ignore" ? OnUnusedInput::ignore
                                                                                     : OnUnusedInput::raise;
    } else if (name == "linker") {
        linker_ = linker_from_name(value).value_or(Linker::jit);
    } else if (name == "mode") {
        mode_ = optimizer_mode_from_name(value).value_or(OptimizerMode::fast_run);
    } else if (name == "optimizer_excluding") {
        optimizer_excluding_.clear();
        for (std::size_t start = 0; start < value.size();) {
            const std::size_t colon = std::min(value.find(':', start), value.size());
            if (colon > start) optimizer_excluding_.push_back(value.substr(start, colon - start));
            start = colon + 1;
        }
    } else if (name == "dump_dir") {
        dump_dir_ = value;
    } else if (name == "disk_cache" || name == "disk_cache_dir") {
        disk_cache_directory_ = get("disk_cache") == "on" ? get("disk_cache_dir") : std::string();
    } else if (name == "disk_cache_limit") {
        disk_cache_limit_bytes_ = byte_count(value);
    } else if (name == "nan_guard") {
        nan_guard_ = value == "nan" ? NanGuard::nan : value == "nan_inf" ? NanGuard::nan_inf : NanGuard::off;
    } else if (name == "streaming_stores") {
        streaming_stores_ = value == "always"  ? StreamingStores::always
                            : value == "never" ? StreamingStores::never
                                               : StreamingStores::by_size;
    }
}

std::int64_t streaming_store_min_bytes() {
    static const std::int64_t bytes = [] {
        const std::int64_t cache = last_level_cache_bytes();
        return cache > 0 ? cache : std::int64_t{32} << 20;
    }();
    return bytes;
}

Config& Config::instance() {
    static Config config;
    return config;
}

const std::string& Config::get(const std::string& name) const { return values_[option_index(name)]; }

void Config::set(const std::string& name, const std::string& value) {
    const std::size_t index = option_index(name);
    const auto& choices = options()[index].choices;
    if (!choices.empty() && std::find(choices.begin(), choices.end(), value) == choices.end()) {
        std::string allowed;
        for (const auto& choice : choices) allowed += (allowed.empty() ? "" : ", ") + choice;
        throw ValueError("config: option '" + name + "' cannot be '" + value + "' (choose one of " + allowed + ")");
    }
    if (name == "disk_cache_limit" && byte_count(value) < 0)
        throw ValueError("config: option 'disk_cache_limit' cannot be '" + value +
                         "' (a count of bytes, with K, M or G after it for 2^10, 2^20 or 2^30)");
    values_[index] = value;
    parse(index);
}

void Config::apply_flag(const std::string& item) {
    const std::size_t equals = item.find('=');
    if (equals == std::string::npos) throw ValueError("config: flag '" + item + "' is not of the form name=value");
    set(item.substr(0, equals), item.substr(equals + 1));
}

void Config::apply_flags(const std::string& flags) {
    for_each_flag(flags, [this](const std::string& item) { apply_flag(item); });
}

void Config::apply_environment_flags(const std::string& flags) {
    for_each_flag(flags, [this](const std::string& item) {
        try {
            apply_flag(item);
        } catch (const Error& refused) {
            logging::get("engine")->warn("KILN_FLAGS: '{}' ignored: {}", item, refused.what());
        }
    });
}

const char* optimizer_mode_name(OptimizerMode mode) {
    return mode == OptimizerMode::fast_run ? "fast_run" : mode == OptimizerMode::fast_compile ? "fast_compile" : "none";
}

std::optional<OptimizerMode> optimizer_mode_from_name(std::string_view name) {
    for (const OptimizerMode mode : {OptimizerMode::fast_run, OptimizerMode::fast_compile, OptimizerMode::none})
        if (name == optimizer_mode_name(mode)) return mode;
    return std::nullopt;
}

const char* linker_name(Linker linker) {
    return linker == Linker::jit ? "jit" : linker == Linker::interpreter ? "interpreter" : "debug";
}

std::optional<Linker> linker_from_name(std::string_view name) {
    for (const Linker linker : {Linker::jit, Linker::interpreter, Linker::debug})
        if (name == linker_name(linker)) return linker;
    return std::nullopt;
}

ConfigOverride::ConfigOverride(std::initializer_list<std::pair<std::string, std::string>> settings) {
    for (const auto& [name, value] : settings) {
        const std::string previous = config().get(name);
        config().set(name, value);
        saved_.emplace_back(name, previous);
    }
}

ConfigOverride::~ConfigOverride() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) config().set(it->first, it->second);
}

DType dtype_named(std::string_view name, const char* who) {
    if (name == "floatX") return config().floatX();
    try {
        return dtype_from_name(name);
    } catch (const TypeError&) {
        throw TypeError(std::string(who) + ": unknown dtype '" + std::string(name) +
                        "' (expected bool, int8..int64, uint8..uint64, float32, float64 or floatX)");
    }
}

} // namespace kiln
