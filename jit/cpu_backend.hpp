// The CPU backend: compiles kernels to native loops with LLVM ORC for the
// host CPU. One per process, thread-safe; each distinct kernel is compiled
// once and kept in memory for the life of the process.
#pragma once

#include "../ir/kernel.hpp"

#include <cstdint>
#include <future>
#include <memory>
#include <string>

namespace kiln::jit {

class DiskCache;

struct JitCounters {
    /// Kernels LLVM compiled.
    std::uint64_t compiled = 0;
    /// Requests answered from the in-memory kernel cache.
    std::uint64_t memory_hits = 0;
    /// Streaming-stores variants compiled (not counted above: they compile
    /// in the background, when a call's outputs first turn out large).
    std::uint64_t streaming_variants_compiled = 0;
    /// Kernels (of either variant) loaded from the on-disk kernel cache.
    std::uint64_t disk_hits = 0;
    /// Kernels linked from object code given to add_object_code (a saved function's).
    std::uint64_t given = 0;
};

/// A kernel's native loop, and whether the kernel cache had it (in memory:
/// compiled earlier, or by another thread meanwhile; or on disk).
struct CompiledLoop {
    LoopFunction function = nullptr;
    bool from_cache = false;
};

class CpuBackend {
public:
    /// The process's backend, created on first use; throws kiln::Error when
    /// LLVM cannot target the host.
    static CpuBackend& instance();

    /// The native loop of `kernel`. Throws kiln::InternalError (naming the
    /// kernel) when LLVM fails; never leaves the backend unusable.
    CompiledLoop compile(const Kernel& kernel, LoopVariant variant = LoopVariant::plain);
    /// The same, compiled on TBB's workers: returns at once. The backend
    /// waits for such compiles before it is destroyed.
    std::shared_future<LoopFunction> compile_in_background(const Kernel& kernel, LoopVariant variant);
    /// Keeps compiled kernels in the on-disk kernel cache in `directory`
    /// (at most `limit_bytes` of them) from now on, and loads them from
    /// there ("" for none). A directory that is not safe to load code from
    /// is refused with a warning. Returns that cache (null for none), where
    /// compiled functions are kept too.
    std::shared_ptr<DiskCache> use_disk_cache(const std::string& directory, std::int64_t limit_bytes);

    /// The object code of `kernel`'s loop as this process linked it, null
    /// when it was never compiled or loaded here.
    std::shared_ptr<const std::string> object_code_of(const Kernel& kernel) const;
    /// Links object code made for the kernel whose key is `kernel_key` (by
    /// object_code_of in a process with this target), so that compiling that
    /// kernel finds it; nothing when the kernel is here already. Throws
    /// kiln::InternalError when LLVM cannot link it.
    void add_object_code(const Hash128& kernel_key, std::shared_ptr<const std::string> code);

    /// Stages of a kernel's compilation, as text, for dumps and tests.
    std::string llvm_ir(const Kernel& kernel, LoopVariant variant = LoopVariant::plain) const;
    std::string optimized_llvm_ir(const Kernel& kernel, LoopVariant variant = LoopVariant::plain) const;
    std::string assembly(const Kernel& kernel, LoopVariant variant = LoopVariant::plain) const;

    JitCounters counters() const;
    /// What besides the kernel decides the machine code: target triple, CPU,
    /// features, vector library, optimization level and LLVM version.
    const std::string& target_description() const;

    ~CpuBackend();
    CpuBackend(const CpuBackend&) = delete;
    CpuBackend& operator=(const CpuBackend&) = delete;

private:
    CpuBackend();
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace kiln::jit
