// The seam between the engine and the code generators: a Backend turns
// kernel IR into loops it can run, runs them over an iteration space, and
// prints the stages of its compilation. The engine holds a Backend& and
// never names a concrete one outside engine/compile/backends.cpp.
//
// A backend is thread-safe and keeps each distinct kernel it compiled for
// the life of the process. Kernels go through the on-disk store given to
// compile (DiskCache, shared with the function cache): the engine opens it
// once per compile() and hands it over; a backend never opens one itself.
#pragma once

#include "../ir/array.hpp"
#include "../ir/hash.hpp"
#include "../ir/kernel.hpp"
#include "../ir/loop_abi.hpp"

#include <cstdint>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::jit {

class DiskCache;

struct JitCounters {
    /// Kernels compiled.
    std::uint64_t compiled = 0;
    /// Requests answered from the in-memory kernel cache.
    std::uint64_t memory_hits = 0;
    /// Streaming-stores variants compiled (not counted above: they compile
    /// in the background, when a call's outputs first turn out large).
    std::uint64_t streaming_variants_compiled = 0;
    /// Kernels (of either variant) loaded from the on-disk kernel cache.
    std::uint64_t disk_hits = 0;
    /// Kernels linked from code given to add_compiled_code (a saved function's).
    std::uint64_t given = 0;
    /// Kernels lowered only to show their code (code_texts of a kernel
    /// compiled without keeping its texts, or loaded from a store).
    std::uint64_t lowered_for_texts = 0;
};

/// A kernel's loop, runnable by the backend that compiled it, and whether
/// the kernel cache had it (in memory: compiled earlier, or by another
/// thread meanwhile; or on disk).
struct CompiledLoop {
    LoopFunction function = nullptr;
    bool from_cache = false;
};

/// One buffer of a loop run: its first element and its element strides over
/// the iteration space (0 where it broadcasts).
struct LoopBuffer {
    std::byte* data = nullptr;
    int element_size = 1;
    Shape strides;
    /// The loop reads this buffer at its base along the inner run.
    bool broadcast_inner = false;
};

/// A reduction loop's output: the last buffer, a C-contiguous array that
/// holds the reduction's identity, seen with stride 0 along reduced axes.
struct LoopReduction {
    ReduceKind kind = ReduceKind::sum;
    Array* output = nullptr;
};

/// The texts a backend produces on the way from kernel IR to machine code,
/// all from one lowering of the kernel.
struct CodeTexts {
    std::string ir;           // its IR as lowered (LLVM IR)
    std::string ir_optimized; // the same after optimization
    std::string machine;      // what the machine runs (host assembly, PTX)
};

/// Whether compiling a kernel keeps its CodeTexts, so that dumps show the
/// code that was compiled without lowering the kernel again.
enum class KeepTexts : bool { no, yes };

class Backend {
public:
    virtual ~Backend() = default;

    /// "cpu", "cuda": what config `device` calls it.
    virtual std::string_view name() const = 0;
    /// Everything besides the kernel that decides the generated code
    /// (target, CPU or GPU architecture, features, optimization level,
    /// compiler version): part of every key of code made by this backend.
    virtual const std::string& target_description() const = 0;
    /// The part of it a reader needs, in one short line (the CPU, its
    /// vector width, the math library, LLVM), for reports and dumps.
    virtual const std::string& target_summary() const = 0;

    /// The runnable loop of `kernel`, through `store` when one is given
    /// (loaded from it, or compiled and kept there). Throws
    /// kiln::InternalError naming the kernel when compiling fails; never
    /// leaves the backend unusable.
    virtual CompiledLoop compile(const Kernel& kernel, LoopVariant variant, const std::shared_ptr<DiskCache>& store,
                                 KeepTexts keep_texts) = 0;
    /// The same, compiled in the background: returns at once. The backend
    /// waits for such compiles before it is destroyed.
    virtual std::shared_future<LoopFunction> compile_in_background(const Kernel& kernel, LoopVariant variant,
                                                                   std::shared_ptr<DiskCache> store) = 0;

    /// Runs `loop` for every position of `shape`; returns the first non-zero
    /// status it reported (0 when none did). `whole_rows`: a row kernel,
    /// called once per whole row of the innermost dimension.
    virtual std::int32_t run(LoopFunction loop, const Shape& shape, const std::vector<LoopBuffer>& buffers,
                             const std::uint64_t* params, const LoopReduction* reduction, bool whole_rows) const = 0;
    /// Runs `loop` at its one position (every value 0-d), buffer b at data[b].
    virtual std::int32_t run_one_position(LoopFunction loop, std::span<void* const> data,
                                          const std::uint64_t* params) const = 0;

    /// The code of `kernel`'s plain loop as this process has it, null when
    /// it was never compiled or loaded here (what a saved function keeps).
    virtual std::shared_ptr<const std::string> compiled_code_of(const Kernel& kernel) const = 0;
    /// Takes code made for the kernel whose key is `kernel_key` (by
    /// compiled_code_of in a process with this target), so that compiling
    /// that kernel finds it; nothing when the kernel is here already.
    /// Throws kiln::InternalError when the code cannot be used.
    virtual void add_compiled_code(const Hash128& kernel_key, std::shared_ptr<const std::string> code) = 0;

    /// The texts of `kernel`'s compilation, for dumps and tests: those kept
    /// when it was compiled, else made by lowering it once (counted in
    /// lowered_for_texts) and kept from then on.
    virtual std::shared_ptr<const CodeTexts> code_texts(const Kernel& kernel, LoopVariant variant) = 0;

    virtual JitCounters counters() const = 0;
};

} // namespace kiln::jit
