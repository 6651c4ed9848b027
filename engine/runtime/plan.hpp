// The plan an Executable runs (internal to the engine): its steps as runs
// over numbered value slots, which slots each step reads, writes and frees,
// and the compiled loops. compile/plan.cpp builds it; runtime/executor.cpp
// runs it; runtime/debug_linker.cpp checks its loops against the interpreter.
#pragma once

#include "executor.hpp"
#include "interpreter.hpp"

#include "../../jit/backend.hpp"

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

namespace kiln {

struct OpRun {
    const Apply* node = nullptr;
    std::size_t position = 0;
    std::vector<int> inputs;
    std::vector<int> outputs;
    /// The input whose value this step takes out of its slot, so that the
    /// op may write its result into that buffer (-1 for none): the op's
    /// overwritable input, where no later step or root reads it.
    int given_up = -1;
};

// A kernel's streaming-stores variant, asked for the first time a call's
// outputs are large enough; calls run the plain loop until it is compiled.
class StreamingLoop {
public:
    /// The variant when it is ready (at once with `wait`), else null; the
    /// first request has `backend` compile it in the background.
    LoopFunction get(const Kernel& kernel, bool wait, jit::Backend& backend,
                     const std::shared_ptr<jit::DiskCache>& store);

private:
    std::once_flag requested_;
    std::shared_future<LoopFunction> compiled_;
    std::atomic<LoopFunction> ready_{nullptr};
    std::atomic<bool> failed_{false};
};

struct LoopRun {
    const FusedLoop* loop = nullptr;
    /// Each fused node's position in the function's schedule, for errors.
    std::vector<std::size_t> node_positions;
    LoopFunction function = nullptr;
    /// Wall time to get `function` from the backend, and whether its
    /// kernel cache had it.
    double compile_seconds = 0;
    bool from_kernel_cache = false;
    std::vector<int> inputs;
    std::vector<int> params;
    std::vector<int> outputs;
    std::vector<std::vector<bool>> input_broadcastable;
    /// What the kernel writes, and each output variable's dtype, which
    /// differs for a float32 sum (it accumulates in float64).
    std::vector<DType> kernel_dtypes;
    std::vector<DType> output_dtypes;
    std::vector<int> output_ranks;
    /// Rank of the iteration space.
    int rank = 0;
    /// Every value 0-d and few enough buffers for the scalar path.
    bool scalar = false;
    /// Set where the kernel can stream its stores.
    std::shared_ptr<StreamingLoop> streaming;
    /// The kernel calls math functions (see calls_math_functions).
    bool computes_math = false;
    /// The input whose buffer the loop's one output may overwrite (-1 for
    /// none): a leaf the output replaces after the run (see in_place_from).
    int in_place_input = -1;
};

constexpr std::size_t max_scalar_loop_buffers = 16;

struct Executable::Plan {
    Linker linker = Linker::jit;
    /// What compiles and runs the fused loops, and the store their code
    /// goes through (null for none).
    jit::Backend* backend = nullptr;
    std::shared_ptr<jit::DiskCache> store;
    std::vector<Step> steps;
    std::vector<std::variant<OpRun, LoopRun>> runs;
    std::vector<std::vector<int>> release_after;
    std::size_t leaf_count = 0;
    int slot_count = 0;
    /// What each leaf slot holds, for the schedule text: "x", "TensorConstant{2.0}".
    std::vector<std::string> leaf_labels;
    std::vector<int> root_slots;
    std::vector<bool> root_moves;
    /// The steps from here on are loops that may compute an update into its
    /// shared variable's buffer. They run after every other step, and only
    /// once each of them has checked its shapes (they cannot fail after
    /// that), so that a failed call leaves every shared variable as it was.
    std::size_t in_place_from = 0;

    using Slots = Executable::Slots;

    /// The loop a call runs: the plain loop, or its streaming-stores variant.
    LoopFunction loop_function(const LoopRun& run, const Shape& shape) const;
    /// Runs a compiled loop and puts its outputs in their slots; with
    /// `may_overwrite`, into its in-place input's buffer where that is free.
    void run_loop_step(const LoopRun& run, Frame& frame, bool may_overwrite = false) const;
    /// The iteration space of a loop over these inputs; false when their
    /// shapes disagree.
    bool loop_shape(const LoopRun& run, const Slots& slots, Shape& shape) const;
    /// Whether every loop from in_place_from on has shapes that agree, so
    /// that none of them can fail once one has overwritten a value.
    bool in_place_loops_can_run(const Slots& slots) const {
        Shape shape;
        for (std::size_t s = in_place_from; s < runs.size(); ++s)
            if (!loop_shape(std::get<LoopRun>(runs[s]), slots, shape)) return false;
        return true;
    }
    /// The same for a loop over 0-d values: no shapes or strides to work out.
    void run_scalar_loop_step(const LoopRun& run, Slots& slots) const;
    /// Raises the interpreter's error for a failed loop, or casts outputs
    /// that were computed in a wider type.
    void finish_loop_step(const LoopRun& run, Slots& slots, std::int32_t status) const;
    /// The fused nodes through the interpreter: the reference outputs, and
    /// the exact error the user gets when the inputs are wrong.
    std::vector<Array> interpret_loop(const LoopRun& run, const Slots& slots) const;
    /// Every value the fused nodes compute, through the interpreter.
    ValueMap interpret_values(const LoopRun& run, const Slots& slots) const;
    /// The NaN guard's check of step `step`'s outputs: ValueError naming the
    /// first node that produced a guarded value (nan_guard.cpp).
    void check_guarded_values(std::size_t step, const Slots& slots, NanGuard guard) const;
    /// The debug linker's check of a compiled loop's outputs.
    void check_against_interpreter(std::size_t step, const LoopRun& run, const Slots& slots) const;
};

} // namespace kiln
