// kiln's configuration: one registry of options, each with a default, a
// line of documentation and the values it accepts. No option changes the
// code a kernel compiles to (that is decided by the kernel and the
// backend's target, which kernel keys hold). Values come from KILN_FLAGS
// ("floatX=float32,on_unused_input=warn") and from set() at run time.
#pragma once

#include "../../ir/dtype.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

struct ConfigOption {
    std::string name;
    std::string doc;
    std::string default_value;
    /// The values accepted; empty means any text.
    std::vector<std::string> choices;
};

enum class OnUnusedInput { raise, warn, ignore };

/// Graph rewriting in compile() (config "mode"). fast_run: every phase;
/// fast_compile: merging and constant folding only; none: the graph as written.
enum class OptimizerMode { fast_run, fast_compile, none };
/// "fast_run", "fast_compile" or "none", as config "mode" spells them.
const char* optimizer_mode_name(OptimizerMode mode);
/// The mode config "mode" spells `name`; nothing for another word.
std::optional<OptimizerMode> optimizer_mode_from_name(std::string_view name);

/// How often each rewrite fired, by name.
using RewriteCounts = std::map<std::string, int>;

/// Where compiled functions run (config "device").
enum class Device {
    cpu, // native code for the host CPU
};

/// How compile() runs a graph (config "linker").
enum class Linker {
    jit,         // fused loops compiled to native code (the default)
    interpreter, // every node through its op's reference perform
    debug,       // jit, each fused loop checked against the interpreter
};
/// "jit", "interpreter" or "debug", as config "linker" spells them.
const char* linker_name(Linker linker);
/// The linker config "linker" spells `name`; nothing for another word.
std::optional<Linker> linker_from_name(std::string_view name);

/// What a call refuses to compute with (config "nan_guard", Theano's
/// NanGuardMode): nothing, NaN, or NaN and infinities. A guarded call raises
/// ValueError naming the input, or the first op, that held or produced one.
enum class NanGuard {
    off,
    nan,
    nan_inf,
};

/// When compiled loops write their outputs with non-temporal (streaming)
/// stores (config "streaming_stores").
enum class StreamingStores {
    by_size, // outputs of at least streaming_store_min_bytes(), of loops bound by memory
    always,
    never,
};

/// The output size from which streaming stores pay off: the last-level
/// cache's (32 MiB when the system does not say). Smaller outputs stay in
/// the cache, where the next step reads them faster (kiln-bench WS).
std::int64_t streaming_store_min_bytes();

class Config {
public:
    /// The process-wide configuration, read from KILN_FLAGS on first use.
    static Config& instance();

    /// Every option kiln knows, in a fixed order.
    static const std::vector<ConfigOption>& options();

    /// The current value of an option as text; throws ValueError for an unknown name.
    const std::string& get(const std::string& name) const;
    /// Sets an option; throws ValueError naming the option for an unknown
    /// name or a value outside its choices.
    void set(const std::string& name, const std::string& value);
    /// Applies "name=value,name=value" (the KILN_FLAGS syntax); throws
    /// ValueError for the first item it cannot apply. (KILN_FLAGS itself is
    /// applied item by item, each bad item a warning: a typo in the
    /// environment must not end a host program that did nothing wrong.)
    void apply_flags(const std::string& flags);

    // The options as their types, parsed when they are set.
    /// dtype of the un-prefixed constructors (scalar, vector, ...), of integer
    /// true division and of gradients of integer paths.
    DType floatX() const { return floatX_; }
    Device device() const { return device_; }
    OnUnusedInput on_unused_input() const { return on_unused_input_; }
    Linker linker() const { return linker_; }
    OptimizerMode mode() const { return mode_; }
    /// "optimizer_excluding", split at its colons.
    const std::vector<std::string>& optimizer_excluding() const { return optimizer_excluding_; }
    /// "" when compile() writes no dump folders.
    const std::string& dump_dir() const { return dump_dir_; }
    /// The on-disk kernel cache's folder, "" when it is off.
    const std::string& disk_cache_directory() const { return disk_cache_directory_; }
    std::int64_t disk_cache_limit_bytes() const { return disk_cache_limit_bytes_; }
    StreamingStores streaming_stores() const { return streaming_stores_; }
    NanGuard nan_guard() const { return nan_guard_; }

private:
    void apply_flag(const std::string& item);
    void apply_environment_flags(const std::string& flags);
    Config();
    /// Brings the typed value of option `index` up to date with its text.
    void parse(std::size_t index);
    std::vector<std::string> values_;
    DType floatX_ = DType::float64;
    Device device_ = Device::cpu;
    OnUnusedInput on_unused_input_ = OnUnusedInput::raise;
    Linker linker_ = Linker::jit;
    OptimizerMode mode_ = OptimizerMode::fast_run;
    std::vector<std::string> optimizer_excluding_;
    std::string dump_dir_;
    std::string disk_cache_directory_;
    std::int64_t disk_cache_limit_bytes_ = 0;
    StreamingStores streaming_stores_ = StreamingStores::by_size;
    NanGuard nan_guard_ = NanGuard::off;
};

inline Config& config() { return Config::instance(); }

/// Sets options for the life of the object and restores them after
/// (Theano's change_flags).
class ConfigOverride {
public:
    ConfigOverride(std::initializer_list<std::pair<std::string, std::string>> settings);
    ~ConfigOverride();
    ConfigOverride(const ConfigOverride&) = delete;
    ConfigOverride& operator=(const ConfigOverride&) = delete;

private:
    std::vector<std::pair<std::string, std::string>> saved_;
};

/// A dtype by the name users write: "float32", "int64", ..., or "floatX"
/// for config's floatX. TypeError naming `who` and the name otherwise.
DType dtype_named(std::string_view name, const char* who);

} // namespace kiln
