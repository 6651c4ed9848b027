// compile(): turns symbolic inputs and outputs into a callable Function,
// with updates to shared variables and givens substitutions.
#pragma once

#include "arg.hpp"
#include "config.hpp"
#include "shared.hpp"
#include "stage.hpp"
#include "var.hpp"

#include "../../ir/hash.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

/// The kernel IR of a fused loop (ir/kernel.hpp, for those who inspect it).
class Kernel;

struct CompileOptions {
    /// (shared variable, new value) pairs. Every new value is computed from
    /// the old values, after the outputs; then all are stored together.
    std::vector<std::pair<Var, Var>> updates;
    /// (variable, replacement) pairs substituted into the graph before
    /// compiling; each replacement must have its variable's type.
    std::vector<std::pair<Var, Var>> givens;
    /// true: convert any argument silently; unset: a C++ floating scalar may
    /// round to a floatX input; false: only exact conversions.
    std::optional<bool> allow_input_downcast;
    /// What to do with an input no output depends on (default: config).
    std::optional<OnUnusedInput> on_unused_input;
    /// Graph rewriting: fast_run, fast_compile or none (default: config "mode").
    std::optional<OptimizerMode> mode;
    /// Rewrites or phases to leave out, added to config "optimizer_excluding".
    std::vector<std::string> excluding;
    /// jit, interpreter or debug (default: config "linker").
    std::optional<Linker> linker;
    /// A label for error messages.
    std::string name;
    /// Where the function runs (default: config "device").
    std::optional<Device> device;
    /// Raise on NaN (or infinities) in inputs and in what each op produces
    /// (default: config "nan_guard"). Guarded calls never update in place.
    std::optional<NanGuard> nan_guard;
    /// Keep the LLVM IR and assembly of each kernel compiled now, so that
    /// dump() shows them without lowering the kernel again (compile() does
    /// this by itself when config "dump_dir" is set).
    bool keep_code_texts = false;
};

/// What a call returns: one array when compile() got one output variable,
/// else one array per output.
class Outputs {
public:
    Outputs(ArrayList values, bool single) : values_(std::move(values)), single_(single) {}

    std::size_t size() const { return values_.size(); }
    const Array& operator[](std::size_t index) const { return values_.at(index); }
    auto begin() const { return values_.begin(); }
    auto end() const { return values_.end(); }
    /// True when compiled with a single output variable (not a list).
    bool single() const { return single_; }
    /// The single output; throws TypeError for a list of outputs.
    operator const Array&() const;

    /// The single output's one element as a number: `double cost = f(x);`.
    /// Only where T holds every value of the output's dtype (a float32 or
    /// int32 output to double, an int8 one to int); TypeError otherwise,
    /// naming the dtype (item<T>() converts any value), and for a list of
    /// outputs or an output of more than one element.
    template <class T>
        requires has_dtype_v<T>
    operator T() const {
        return number_source(dtype_of<T>()).template item<T>();
    }

    /// The outputs as a fixed number of arrays, for structured bindings:
    /// `auto [prediction, cost] = train(x, y).unpack<2>();`. ValueError
    /// when the function returns another number of outputs.
    template <std::size_t N> std::array<Array, N> unpack() const {
        check_unpack(N);
        std::array<Array, N> arrays;
        for (std::size_t i = 0; i < N; ++i) arrays[i] = values_[i];
        return arrays;
    }

private:
    const Array& number_source(DType target) const;
    void check_unpack(std::size_t count) const;

    ArrayList values_;
    bool single_;
};

/// "array(5.)" for a single output, "[array(0), array(1.)]" for a list.
std::ostream& operator<<(std::ostream& os, const Outputs& outputs);

/// How often compile() found a request's compiled graph by its structure,
/// in memory (hits) or in the on-disk kernel cache (disk_hits), or
/// rewrote and compiled it (misses), in this process.
struct FunctionCacheCounters {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t disk_hits = 0;
};
FunctionCacheCounters function_cache_counters();
/// Forgets every compiled graph kept for reuse (kernels stay cached).
void clear_function_cache();

class CompiledFunction;

struct LoadOptions {
    /// A file saved on another machine, or by another build of kiln, is
    /// refused; with this set, its kernels are compiled here instead (its
    /// graph is still not rewritten).
    bool compile_if_incompatible = false;
};

/// One step of a compiled function: a fused loop (one kernel) or one op call.
struct FunctionStep {
    /// The kernel of a fused loop; null for an op call.
    const Kernel* kernel = nullptr;
    /// The graph nodes the step computes, in order.
    std::vector<ApplyPtr> nodes;
    /// Wall time to get a fused loop's machine code when the function was
    /// built: LLVM's work, or a kernel cache look-up (0 for an op call).
    double compile_seconds = 0;
    /// Whether the kernel cache had the loop's machine code.
    bool from_kernel_cache = false;
};

class Function {
public:
    /// Calls with one argument per input, in order. Arguments are C++
    /// scalars, nested braces, std::vectors or Arrays; each is checked
    /// against its input's type. A failed call changes no shared variable.
    ///
    /// Threads: any function may be called from many threads at once. A
    /// call holds the shared variables it uses from before it reads them
    /// until its updates are committed: those it updates exclusively, so
    /// calls updating one variable (of this function or another) run one
    /// after the other and lose no update; those it only reads shared, so
    /// calls that update nothing run side by side. get_value and set_value
    /// wait for such calls: they see a value from before or after a call,
    /// never one half-written.
    Outputs operator()() const { return call_arguments({}); }
    Outputs operator()(const Arg& a) const { return call_with(a); }
    Outputs operator()(const Arg& a, const Arg& b) const { return call_with(a, b); }
    Outputs operator()(const Arg& a, const Arg& b, const Arg& c) const { return call_with(a, b, c); }
    Outputs operator()(const Arg& a, const Arg& b, const Arg& c, const Arg& d) const { return call_with(a, b, c, d); }
    Outputs operator()(const Arg& a, const Arg& b, const Arg& c, const Arg& d, const Arg& e) const {
        return call_with(a, b, c, d, e);
    }
    Outputs operator()(const Arg& a, const Arg& b, const Arg& c, const Arg& d, const Arg& e, const Arg& f) const {
        return call_with(a, b, c, d, e, f);
    }
    Outputs call(const std::vector<Arg>& arguments) const;

    /// The explicit inputs, as given to compile().
    const std::vector<Var>& inputs() const;
    /// The outputs of the compiled graph (givens applied): pp() them to see
    /// what the function computes.
    const std::vector<Var>& outputs() const;
    /// The compiled update pairs (shared variable, new value).
    const std::vector<std::pair<Var, Var>>& updates() const;
    /// The shared variables the function reads or updates, in the order
    /// its graph meets them, then update targets it does not read.
    std::vector<SharedVar> shared_variables() const;
    const std::string& name() const;
    /// How often each rewrite fired while compiling.
    const RewriteCounts& rewrites_applied() const;
    /// The steps the function runs (fused loops and op calls), one per line,
    /// each followed by its buffer plan: the buffers it reads and writes
    /// (an op may write into an input's buffer) and those freed after it.
    std::string steps_text() const;
    /// The kernel IR of each fused loop, in step order.
    std::vector<const Kernel*> kernels() const;
    /// The steps with the nodes each computes, in the order they run.
    std::vector<FunctionStep> steps() const;
    /// What compile() looked the function up by: the graph's structure,
    /// constants and names, its options and the configuration that matters.
    const Hash128& key() const;
    /// One stage of what compile() did, as text (the kernel stages list
    /// every fused loop under a header with its step and kernel key).
    std::string dump(Stage stage) const;
    /// The graph of Stage::graph (before rewriting) or Stage::optimized in
    /// the graph text format, inputs, shared values and updates included,
    /// so read_graph_text() gives it back; ValueError for other stages.
    std::string graph_text(Stage stage) const;
    /// How the function was compiled: its key, whether its graph was found
    /// by structure, the time spent rewriting and lowering, how many
    /// kernels LLVM compiled and how many came from the kernel cache, and
    /// the target.
    std::string compile_report() const;

private:
    template <class... Args> Outputs call_with(const Args&... arguments) const {
        const Arg* pointers[] = {&arguments...};
        return call_arguments(pointers);
    }
    /// The call itself; arguments are not copied.
    Outputs call_arguments(std::span<const Arg* const> arguments) const;

    friend Function compile(const std::vector<Var>&, const std::vector<Var>&, const CompileOptions&);
    friend Function compile(const std::vector<Var>&, const Var&, const CompileOptions&);
    friend Function load_function(const std::string&, const LoadOptions&);
    friend void save_function(const Function&, const std::string&);
    explicit Function(std::shared_ptr<const CompiledFunction> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const CompiledFunction> impl_;
};

/// A function of `inputs` returning a list with one array per output.
Function compile(const std::vector<Var>& inputs, const std::vector<Var>& outputs, const CompileOptions& options = {});
/// A function of `inputs` returning the single output's array.
Function compile(const std::vector<Var>& inputs, const Var& output, const CompileOptions& options = {});
/// A braced list of outputs gives a list, even of one (Theano's
/// function([x], [y])); `{}` compiles a function of updates only.
Function compile(const std::vector<Var>& inputs, std::initializer_list<Var> outputs, const CompileOptions& options = {});

/// Saves a compiled function to one file: its optimized graph (the shared
/// variables' current values included), its updates and options, and each
/// kernel's object code, with what that code was made for (kiln's version
/// and build, the target). The file appears whole or not at all.
void save_function(const Function& function, const std::string& path);
/// Loads a function save_function wrote, without rewriting or compiling:
/// its kernels are linked from the file. Its shared variables are new ones
/// holding the saved values (see Function::shared_variables). The file's
/// code runs in this process: load only files you trust, as you would a
/// shared library. Throws kiln::ValueError for a damaged file, and for one
/// saved for another machine or build of kiln, naming what differs (unless
/// options.compile_if_incompatible).
Function load_function(const std::string& path, const LoadOptions& options = {});

} // namespace kiln
