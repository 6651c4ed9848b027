// The CPU backend: compiles kernels to native loops with LLVM ORC for the
// host CPU and runs them with the loop driver. One per process, thread-safe;
// each distinct kernel is compiled once and kept in memory for the life of
// the process.
#pragma once

#include "../backend.hpp"

#include <memory>

namespace kiln::jit {

class CpuBackend final : public Backend {
public:
    /// The process's backend, created on first use; throws kiln::Error when
    /// LLVM cannot target the host.
    static CpuBackend& instance();

    std::string_view name() const override { return "cpu"; }
    /// Target triple, CPU, features, vector library, optimization level and
    /// LLVM version.
    const std::string& target_description() const override;
    const std::string& target_summary() const override;

    CompiledLoop compile(const Kernel& kernel, LoopVariant variant, const std::shared_ptr<DiskCache>& store,
                         KeepTexts keep_texts) override;
    /// Compiled on TBB's workers.
    std::shared_future<LoopFunction> compile_in_background(const Kernel& kernel, LoopVariant variant,
                                                           std::shared_ptr<DiskCache> store) override;

    std::int32_t run(LoopFunction loop, const Shape& shape, const std::vector<LoopBuffer>& buffers,
                     const std::uint64_t* params, const LoopReduction* reduction, bool whole_rows) const override;
    std::int32_t run_one_position(LoopFunction loop, std::span<void* const> data,
                                  const std::uint64_t* params) const override;

    /// The loop's object code (ELF for the host).
    std::shared_ptr<const std::string> compiled_code_of(const Kernel& kernel) const override;
    /// Links the object code; throws kiln::InternalError when LLVM cannot.
    void add_compiled_code(const Hash128& kernel_key, std::shared_ptr<const std::string> code) override;

    /// LLVM IR before and after its passes, and the host's assembly.
    std::shared_ptr<const CodeTexts> code_texts(const Kernel& kernel, LoopVariant variant) override;

    JitCounters counters() const override;

    ~CpuBackend() override;
    CpuBackend(const CpuBackend&) = delete;
    CpuBackend& operator=(const CpuBackend&) = delete;

private:
    CpuBackend();
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace kiln::jit
