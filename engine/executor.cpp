#include "executor.hpp"

#include "dimshuffle.hpp"
#include "interpreter.hpp"
#include "loop_driver.hpp"

#include "../ir/errors.hpp"
#include "../ir/log.hpp"
#include "../ir/print.hpp"
#include "../jit/cpu_backend.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace kiln {

namespace {

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
    /// The variant when it is ready (at once with `wait`), else null.
    LoopFunction get(const Kernel& kernel, bool wait) {
        if (LoopFunction ready = ready_.load(std::memory_order_acquire)) return ready;
        if (failed_.load(std::memory_order_relaxed)) return nullptr;
        std::call_once(requested_, [&] {
            compiled_ = jit::CpuBackend::instance().compile_in_background(kernel, LoopVariant::streaming_stores);
        });
        if (!wait && compiled_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return nullptr;
        try {
            ready_.store(compiled_.get(), std::memory_order_release);
        } catch (const std::exception& e) {
            // The plain loop serves instead; say so once.
            if (!failed_.exchange(true))
                logging::get("engine")->warn("streaming stores stay off for a kernel that failed to compile: {}",
                                             e.what());
            return nullptr;
        }
        return ready_.load(std::memory_order_acquire);
    }

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

// A loop's scalar parameters, as the kernel reads them (raw bits).
class LoopParams {
public:
    LoopParams(const LoopRun& run, const Executable::Slots& slots) {
        if (run.params.size() > inline_.size()) heap_.resize(run.params.size());
        std::uint64_t* params = data();
        for (std::size_t p = 0; p < run.params.size(); ++p) {
            const Array& value = *slots[run.params[p]];
            params[p] = 0;
            std::memcpy(&params[p], value.data(), static_cast<std::size_t>(dtype_size(value.dtype())));
        }
    }
    const std::uint64_t* data() const { return heap_.empty() ? inline_.data() : heap_.data(); }

private:
    std::uint64_t* data() { return heap_.empty() ? inline_.data() : heap_.data(); }
    std::array<std::uint64_t, 8> inline_;
    std::vector<std::uint64_t> heap_;
};

// Differences the debug linker accepts between a compiled loop and the
// interpreter: vector math libraries differ from libm by a few ulps.
// `magnitudes` (for a float sum): the sum of the terms' absolute values for
// each element. A sum in another order may differ by a small multiple of
// it, which says nothing about the result's own size when terms cancel.
std::string difference(const Array& expected, const Array& actual, const Array* magnitudes) {
    if (expected.dtype() != actual.dtype() || expected.shape() != actual.shape())
        return "expected " + std::string(dtype_name(expected.dtype())) + " " + shape_text(expected.shape()) +
               ", got " + std::string(dtype_name(actual.dtype())) + " " + shape_text(actual.shape());
    const bool single = expected.dtype() == DType::float32;
    const double rtol = single ? 1e-5 : 1e-11;
    const double atol = single ? 1e-6 : 1e-14;
    for (std::int64_t i = 0; i < expected.size(); ++i) {
        if (is_float(expected.dtype())) {
            const double e = expected.value_at<double>(i);
            const double a = actual.value_at<double>(i);
            if (std::isnan(e) && std::isnan(a)) continue;
            const double reordering = magnitudes ? 1e-13 * std::abs(magnitudes->value_at<double>(i)) : 0.0;
            if (e == a || std::abs(e - a) <= atol + rtol * std::abs(e) + reordering) continue;
            return "element " + std::to_string(i) + ": expected " + std::to_string(e) + ", got " + std::to_string(a);
        }
        if (expected.value_at<std::int64_t>(i) != actual.value_at<std::int64_t>(i) ||
            expected.value_at<std::uint64_t>(i) != actual.value_at<std::uint64_t>(i))
            return "element " + std::to_string(i) + ": expected " + std::to_string(expected.value_at<std::int64_t>(i)) +
                   ", got " + std::to_string(actual.value_at<std::int64_t>(i));
    }
    return {};
}

// The loop a call runs: the streaming-stores variant where the config
// asks for it and the kernel allows it (by size: where the outputs are too
// large to stay in the cache, once the variant is compiled, and only for a
// loop bound by memory: on a Zen 5 machine a streamed sigmoid chain ran 30%
// slower, while a triad gained; kiln-bench W1).
LoopFunction loop_function(const LoopRun& run, const Shape& shape) {
    if (!run.streaming) return run.function;
    const StreamingStores setting = config().streaming_stores();
    if (setting == StreamingStores::never) return run.function;
    if (setting == StreamingStores::by_size) {
        if (run.computes_math) return run.function;
        std::int64_t bytes = 0;
        for (DType dtype : run.kernel_dtypes) bytes += dtype_size(dtype);
        for (std::int64_t extent : shape) bytes *= extent;
        if (bytes < streaming_store_min_bytes()) return run.function;
    }
    const LoopFunction streaming = run.streaming->get(run.loop->kernel, setting == StreamingStores::always);
    return streaming ? streaming : run.function;
}

// The rank of a loop's iteration space: its inputs' and outputs' highest.
int loop_rank(const FusedLoop& loop) {
    int rank = 0;
    for (std::size_t k = 0; k < loop.inputs.size(); ++k) rank = std::max(rank, loop_input_type(loop, k).ndim());
    for (const VariablePtr& v : loop.outputs) rank = std::max(rank, v->type().ndim());
    return rank;
}

bool step_reads(const Step& step, const Variable* value) {
    const auto is_value = [value](const VariablePtr& v) { return v.get() == value; };
    if (const auto* op = std::get_if<OpStep>(&step)) return std::ranges::any_of(op->node->inputs(), is_value);
    const auto& loop = std::get<FusedLoop>(step);
    return std::ranges::any_of(loop.inputs, is_value) || std::ranges::any_of(loop.params, is_value);
}

// The input of `step` whose buffer its output may overwrite, or -1: the
// step is an elementwise loop that cannot stop half-way, over at least one
// dimension, whose one output is a root read by no step and returned once,
// that replaces a leaf the loop reads at the same positions it writes and
// that is no root itself.
int in_place_input(const Step& step, const std::vector<Step>& steps, const std::vector<VariablePtr>& leaves,
                   const std::vector<VariablePtr>& roots, const std::vector<Executable::Replacement>& replacements) {
    const auto* loop = std::get_if<FusedLoop>(&step);
    if (!loop || loop->kernel.reduction() || loop->kernel.row_kernel() || can_report_errors(loop->kernel) ||
        loop->outputs.size() != 1)
        return -1;
    const VariablePtr& output = loop->outputs[0];
    if (output->type().ndim() == 0 || output->type().ndim() != loop_rank(*loop)) return -1;
    if (std::ranges::count(roots, output) != 1) return -1;
    for (const Step& other : steps)
        if (step_reads(other, output.get())) return -1;
    for (const Executable::Replacement& replacement : replacements) {
        if (roots[replacement.root] != output) continue;
        const VariablePtr& leaf = leaves[replacement.leaf];
        if (std::ranges::count(roots, leaf) != 0 || leaf->type() != output->type()) return -1;
        for (std::size_t k = 0; k < loop->inputs.size(); ++k)
            if (loop->inputs[k] == leaf && loop->input_orders[k].empty() && !loop->kernel.inputs()[k].broadcast_inner &&
                loop->kernel.outputs()[0].dtype == output->type().dtype())
                return static_cast<int>(k);
    }
    return -1;
}

} // namespace

struct Executable::Plan {
    Linker linker = Linker::jit;
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
    /// The debug linker's check of a compiled loop's outputs.
    void check_against_interpreter(std::size_t step, const LoopRun& run, const Slots& slots) const;
};

Executable::Executable(const std::vector<VariablePtr>& leaves, const std::vector<VariablePtr>& roots,
                       const std::vector<ApplyPtr>& schedule, Linker linker,
                       const std::vector<Replacement>& replacements)
    : plan_(std::make_unique<Plan>()) {
    using Clock = std::chrono::steady_clock;
    const auto seconds_since = [](Clock::time_point start) {
        return std::chrono::duration<double>(Clock::now() - start).count();
    };
    const Clock::time_point start = Clock::now();
    Plan& plan = *plan_;
    plan.linker = linker;
    if (linker == Linker::interpreter) {
        for (const ApplyPtr& node : schedule) plan.steps.push_back(OpStep{node});
    } else {
        plan.steps = fuse(schedule, roots);
    }
    // Loops that may compute an update in place go last; one whose target
    // another of them reads stays where it was.
    std::vector<int> in_place(plan.steps.size(), -1);
    if (linker == Linker::jit)
        for (std::size_t s = 0; s < plan.steps.size(); ++s)
            in_place[s] = in_place_input(plan.steps[s], plan.steps, leaves, roots, replacements);
    std::vector<std::size_t> order;
    for (std::size_t s = 0; s < plan.steps.size(); ++s) {
        if (in_place[s] < 0) continue;
        const Variable* target = std::get<FusedLoop>(plan.steps[s]).inputs[static_cast<std::size_t>(in_place[s])].get();
        for (std::size_t t = 0; t < plan.steps.size(); ++t)
            if (t != s && in_place[t] >= 0 && step_reads(plan.steps[t], target)) in_place[s] = -1;
    }
    for (std::size_t s = 0; s < plan.steps.size(); ++s)
        if (in_place[s] < 0) order.push_back(s);
    plan.in_place_from = order.size();
    for (std::size_t s = 0; s < plan.steps.size(); ++s)
        if (in_place[s] >= 0) order.push_back(s);
    {
        std::vector<Step> ordered;
        for (std::size_t s : order) ordered.push_back(std::move(plan.steps[s]));
        plan.steps = std::move(ordered);
    }

    std::unordered_map<const Variable*, int> slot_of;
    auto slot = [&](const VariablePtr& v) {
        auto [it, added] = slot_of.emplace(v.get(), plan.slot_count);
        if (added) ++plan.slot_count;
        return it->second;
    };
    for (const VariablePtr& leaf : leaves) {
        slot(leaf);
        plan.leaf_labels.push_back(leaf->str());
    }
    plan.leaf_count = leaves.size();

    std::unordered_map<const Apply*, std::size_t> position;
    for (std::size_t i = 0; i < schedule.size(); ++i) position[schedule[i].get()] = i;
    for (const Step& step : plan.steps) {
        if (const auto* op = std::get_if<OpStep>(&step)) {
            OpRun run;
            run.node = op->node.get();
            run.position = position.at(run.node);
            for (const VariablePtr& input : op->node->inputs()) run.inputs.push_back(slot(input));
            for (int i = 0; i < op->node->num_outputs(); ++i) run.outputs.push_back(slot(op->node->output(i)));
            plan.runs.emplace_back(std::move(run));
            continue;
        }
        const auto& loop = std::get<FusedLoop>(step);
        LoopRun run;
        run.loop = &loop;
        for (const ApplyPtr& node : loop.nodes) run.node_positions.push_back(position.at(node.get()));
        run.rank = loop.reduced.empty() ? loop_rank(loop) : static_cast<int>(loop.reduced.size());
        for (std::size_t k = 0; k < loop.inputs.size(); ++k) {
            run.inputs.push_back(slot(loop.inputs[k]));
            // A row kernel's per-row inputs (labels) have no row dimension.
            std::vector<bool> broadcastable = loop_input_type(loop, k).broadcastable();
            broadcastable.resize(static_cast<std::size_t>(run.rank), true);
            run.input_broadcastable.push_back(std::move(broadcastable));
        }
        for (const VariablePtr& param : loop.params) run.params.push_back(slot(param));
        for (std::size_t j = 0; j < loop.outputs.size(); ++j) {
            run.outputs.push_back(slot(loop.outputs[j]));
            run.kernel_dtypes.push_back(loop.kernel.outputs()[j].dtype);
            run.output_dtypes.push_back(loop.outputs[j]->type().dtype());
            run.output_ranks.push_back(loop.outputs[j]->type().ndim());
        }
        run.scalar = run.rank == 0 && !loop.kernel.row_kernel() &&
                     run.inputs.size() + run.outputs.size() <= max_scalar_loop_buffers;
        if (can_stream_stores(loop.kernel)) run.streaming = std::make_shared<StreamingLoop>();
        run.computes_math = calls_math_functions(loop.kernel);
        run.in_place_input = in_place[order[plan.runs.size()]];
        plan.runs.emplace_back(std::move(run));
    }
    for (const VariablePtr& root : roots) plan.root_slots.push_back(slot(root));
    // A computed root leaves its slot by move at its last listing; leaves stay (they are the caller's).
    for (std::size_t r = 0; r < plan.root_slots.size(); ++r) {
        const int root = plan.root_slots[r];
        const bool listed_later = std::find(plan.root_slots.begin() + static_cast<std::ptrdiff_t>(r) + 1,
                                            plan.root_slots.end(), root) != plan.root_slots.end();
        plan.root_moves.push_back(root >= static_cast<int>(plan.leaf_count) && !listed_later);
    }

    // The kernels compile in parallel: LLVM takes milliseconds per kernel,
    // and the backend compiles distinct kernels concurrently.
    std::vector<LoopRun*> loops;
    for (auto& run : plan.runs)
        if (auto* loop = std::get_if<LoopRun>(&run)) loops.push_back(loop);
    const Clock::time_point kernels_start = Clock::now();
    if (!loops.empty())
        jit::CpuBackend::instance().use_disk_cache(config().disk_cache_directory(), config().disk_cache_limit_bytes());
    tbb::parallel_for(std::size_t{0}, loops.size(), [&](std::size_t i) {
        const Clock::time_point kernel_start = Clock::now();
        const jit::CompiledLoop compiled = jit::CpuBackend::instance().compile(loops[i]->loop->kernel);
        loops[i]->function = compiled.function;
        loops[i]->from_kernel_cache = compiled.from_cache;
        loops[i]->compile_seconds = seconds_since(kernel_start);
    });
    build_costs_.kernels_seconds = seconds_since(kernels_start);

    // Free each intermediate after the last step that reads it.
    std::vector<int> last_reader(plan.slot_count, -1);
    for (std::size_t s = 0; s < plan.runs.size(); ++s) {
        std::visit([&](const auto& run) {
            for (int input : run.inputs) last_reader[input] = static_cast<int>(s);
            if constexpr (std::is_same_v<std::decay_t<decltype(run)>, LoopRun>)
                for (int param : run.params) last_reader[param] = static_cast<int>(s);
        }, plan.runs[s]);
    }
    for (int root : plan.root_slots) last_reader[root] = -1;
    plan.release_after.resize(plan.runs.size());
    for (int s = static_cast<int>(plan.leaf_count); s < plan.slot_count; ++s)
        if (last_reader[s] >= 0) plan.release_after[last_reader[s]].push_back(s);
    for (std::size_t s = 0; s < plan.runs.size(); ++s) {
        auto* op = std::get_if<OpRun>(&plan.runs[s]);
        const int k = op ? op->node->op().overwritable_input() : -1;
        if (k < 0) continue;
        const int input = op->inputs[static_cast<std::size_t>(k)];
        const bool computed = input >= static_cast<int>(plan.leaf_count);
        if (computed && last_reader[input] == static_cast<int>(s) &&
            std::count(op->inputs.begin(), op->inputs.end(), input) == 1)
            op->given_up = k;
    }
    build_costs_.planning_seconds = seconds_since(start) - build_costs_.kernels_seconds;
    logging::get("engine")->debug("executable: {} steps over {} slots\n{}", plan.runs.size(), plan.slot_count,
                                  kiln::steps_text(plan.steps));
}

Executable::~Executable() {
    for (std::atomic<Frame*>& spare : spare_frames_) delete spare.load();
}

std::vector<Array> Executable::Plan::interpret_loop(const LoopRun& run, const Slots& slots) const {
    const ValueMap values = interpret_values(run, slots);
    std::vector<Array> outputs;
    for (const VariablePtr& output : run.loop->outputs) outputs.push_back(values.at(output.get()));
    return outputs;
}

void Executable::Plan::check_against_interpreter(std::size_t step, const LoopRun& run, const Slots& slots) const {
    const ValueMap values = interpret_values(run, slots);
    // A float sum's tolerance grows with its terms' magnitudes.
    std::optional<Array> magnitudes;
    const Apply& last = *run.loop->nodes.back();
    if (run.loop->kernel.reduction() == ReduceKind::sum && is_float(last.output(0)->type().dtype())) {
        Array terms = values.at(last.inputs()[0].get()).astype(DType::float64);
        double* data = terms.mutable_data_as<double>();
        for (std::int64_t i = 0; i < terms.size(); ++i) data[i] = std::abs(data[i]);
        magnitudes = last.op().perform(last, {terms})[0].astype(DType::float64);
    }
    for (std::size_t j = 0; j < run.loop->outputs.size(); ++j) {
        const Array& expected = values.at(run.loop->outputs[j].get());
        const bool summed = magnitudes && run.loop->outputs[j] == last.output(0);
        if (const std::string why = difference(expected, *slots[run.outputs[j]], summed ? &*magnitudes : nullptr);
            !why.empty())
            throw InternalError("debug linker: step #" + std::to_string(step) + " (fused loop ending in " +
                                apply_text(last) + "), output " + std::to_string(j) + " (" +
                                apply_text(*run.loop->outputs[j]->owner()) + ") differs from the interpreter: " + why +
                                "\nKernel:\n" + run.loop->kernel.text());
    }
}

ValueMap Executable::Plan::interpret_values(const LoopRun& run, const Slots& slots) const {
    ValueMap values;
    for (std::size_t k = 0; k < run.inputs.size(); ++k) values[run.loop->inputs[k].get()] = *slots[run.inputs[k]];
    for (std::size_t k = 0; k < run.params.size(); ++k) values[run.loop->params[k].get()] = *slots[run.params[k]];
    for (const ApplyPtr& node : run.loop->nodes)
        for (const VariablePtr& input : node->inputs())
            if (input->is_constant() && !values.count(input.get())) values[input.get()] = input->constant_value();
    run_nodes(run.loop->nodes, values, run.node_positions);
    return values;
}

bool Executable::Plan::loop_shape(const LoopRun& run, const Slots& slots, Shape& shape) const {
    shape.assign(static_cast<std::size_t>(run.rank), 1);
    bool shapes_agree = true;
    std::vector<bool> seen(run.rank, false);
    for (std::size_t k = 0; k < run.inputs.size(); ++k) {
        const Array& input = *slots[run.inputs[k]];
        const std::vector<int>& order = run.loop->input_orders[k];
        for (int d = 0; d < run.rank; ++d) {
            if (run.input_broadcastable[k][d]) continue;
            // Through a folded view, loop dimension d is the source's axis order[d].
            const std::int64_t extent = input.shape()[order.empty() ? d : order[d]];
            if (!seen[d]) {
                seen[d] = true;
                shape[d] = extent;
            } else if (extent != shape[d]) {
                shapes_agree = false;
            }
        }
    }
    return shapes_agree;
}

void Executable::Plan::run_loop_step(const LoopRun& run, Frame& frame, bool may_overwrite) const {
    Slots& slots = frame.slots;
    if (run.scalar) {
        run_scalar_loop_step(run, slots);
        return;
    }
    Shape shape;
    const bool shapes_agree = loop_shape(run, slots, shape);
    // What the loop does not cover goes to the interpreter, for its exact
    // result or error: shapes that disagree (the error names the node and
    // the inputs; fewer labels than rows is no error), and a row kernel's
    // empty rows (argmax of nothing raises).
    const bool empty_rows = run.loop->kernel.row_kernel() && run.rank > 0 && shape.back() == 0;
    if (!shapes_agree || empty_rows) {
        std::vector<Array> reference = interpret_loop(run, slots);
        for (std::size_t j = 0; j < reference.size(); ++j) slots[run.outputs[j]] = std::move(reference[j]);
        return;
    }
    const std::optional<ReduceKind> reduction = run.loop->kernel.reduction();
    if (reduction && (*reduction == ReduceKind::max || *reduction == ReduceKind::min)) {
        // Max and min of nothing have no value: the interpreter names the axis.
        for (int d = 0; d < run.rank; ++d)
            if (run.loop->reduced[d] && shape[d] == 0) {
                interpret_loop(run, slots);
                throw InternalError("fused reduction of an empty axis that the interpreter accepted");
            }
    }
    // Outputs go straight into their slots; a reduction's fills with its
    // identity and is seen with stride 0 along the reduced axes.
    const std::size_t output_count = run.outputs.size();
    Shape reduced_strides;
    if (reduction) {
        Shape kept;
        for (int d = 0; d < run.rank; ++d)
            if (!run.loop->reduced[d]) kept.push_back(shape[d]);
        const Array& output = slots[run.outputs[0]].emplace(reduction_identity(*reduction, run.kernel_dtypes[0], kept));
        for (int d = 0, next = 0; d < run.rank; ++d)
            reduced_strides.push_back(run.loop->reduced[d] ? 0 : output.strides()[next++]);
    } else {
        // A row kernel's per-row outputs have no row dimension.
        for (std::size_t j = 0; j < output_count; ++j) {
            const Shape output_shape(shape.begin(), shape.begin() + run.output_ranks[j]);
            if (may_overwrite && run.in_place_input >= 0) {
                // Nobody else sees the replaced value's buffer: the loop reads
                // each element there before it writes the new one.
                const Array& replaced = *slots[run.inputs[static_cast<std::size_t>(run.in_place_input)]];
                if (replaced.writable_in_place() && replaced.dtype() == run.kernel_dtypes[j] &&
                    replaced.shape() == output_shape) {
                    slots[run.outputs[j]].emplace(replaced);
                    continue;
                }
            }
            slots[run.outputs[j]].emplace(Array::uninitialized(run.kernel_dtypes[j], output_shape));
        }
    }
    // The frame's descriptors are reused: assigning strides keeps their capacity.
    std::vector<LoopBuffer>& buffers = frame.buffers;
    buffers.resize(run.inputs.size() + output_count);
    for (std::size_t k = 0; k < run.inputs.size(); ++k) {
        const Array& input = *slots[run.inputs[k]];
        LoopBuffer& buffer = buffers[k];
        buffer.data = const_cast<std::byte*>(input.data());
        buffer.element_size = dtype_size(input.dtype());
        const std::vector<int>& order = run.loop->input_orders[k];
        if (order.empty()) {
            buffer.strides.assign(input.strides().begin(), input.strides().end());
            buffer.strides.resize(static_cast<std::size_t>(run.rank), 0);
            for (int d = 0; d < input.ndim(); ++d)
                if (input.shape()[d] == 1) buffer.strides[d] = 0;
        } else {
            // A folded view: its strides, from the source's (0 on new axes).
            buffer.strides.assign(static_cast<std::size_t>(run.rank), 0);
            for (int d = 0; d < run.rank; ++d)
                if (order[d] != DimShuffle::new_axis && input.shape()[order[d]] != 1)
                    buffer.strides[d] = input.strides()[order[d]];
        }
        buffer.broadcast_inner = run.loop->kernel.inputs()[k].broadcast_inner;
    }
    for (std::size_t j = 0; j < output_count; ++j) {
        Array& output = slots[run.outputs[j]].owned();
        LoopBuffer& buffer = buffers[run.inputs.size() + j];
        const Shape& strides = reduction ? reduced_strides : output.strides();
        buffer.data = output.mutable_data();
        buffer.element_size = dtype_size(run.kernel_dtypes[j]);
        buffer.strides.assign(strides.begin(), strides.end());
        buffer.strides.resize(static_cast<std::size_t>(run.rank), 0);
        buffer.broadcast_inner = false;
    }
    const LoopParams params(run, slots);
    const LoopReduction reduction_output{reduction.value_or(ReduceKind::sum), &slots[run.outputs[0]].owned()};
    const std::int32_t status = run_loop(loop_function(run, shape), shape, buffers, params.data(),
                                         reduction ? &reduction_output : nullptr, run.loop->kernel.row_kernel());
    finish_loop_step(run, slots, status);
}

void Executable::Plan::run_scalar_loop_step(const LoopRun& run, Slots& slots) const {
    const std::optional<ReduceKind> reduction = run.loop->kernel.reduction();
    std::array<void*, max_scalar_loop_buffers> pointers;
    for (std::size_t k = 0; k < run.inputs.size(); ++k)
        pointers[k] = const_cast<std::byte*>(slots[run.inputs[k]]->data());
    for (std::size_t j = 0; j < run.outputs.size(); ++j) {
        // A reduction's output starts at its identity; over a 0-d value it reduces one term.
        Array& output = slots[run.outputs[j]].emplace(reduction && j == 0
                                                          ? reduction_identity(*reduction, run.kernel_dtypes[0], {})
                                                          : Array::uninitialized(run.kernel_dtypes[j], {}));
        pointers[run.inputs.size() + j] = output.mutable_data();
    }
    const LoopParams params(run, slots);
    const std::size_t count = run.inputs.size() + run.outputs.size();
    finish_loop_step(run, slots, run_one_position(run.function, {pointers.data(), count}, params.data()));
}

void Executable::Plan::finish_loop_step(const LoopRun& run, Slots& slots, std::int32_t status) const {
    if (status != 0) {
        for (int output : run.outputs) slots[output].reset();
        interpret_loop(run, slots);
        throw InternalError("fused loop reported an error the interpreter did not raise");
    }
    for (std::size_t j = 0; j < run.outputs.size(); ++j)
        if (run.kernel_dtypes[j] != run.output_dtypes[j]) slots[run.outputs[j]] = slots[run.outputs[j]]->astype(run.output_dtypes[j]);
}

Executable::FrameLease Executable::lease_frame() const {
    for (std::atomic<Frame*>& spare : spare_frames_)
        if (spare.load(std::memory_order_relaxed))
            if (Frame* frame = spare.exchange(nullptr, std::memory_order_acquire))
                return {*this, std::unique_ptr<Frame>(frame)};
    auto frame = std::make_unique<Frame>();
    frame->slots.resize(static_cast<std::size_t>(plan_->slot_count));
    return {*this, std::move(frame)};
}

void Executable::give_back(std::unique_ptr<Frame> frame) const {
    // Values do not outlive the call that computed them.
    for (auto& slot : frame->slots) slot.reset();
    for (std::atomic<Frame*>& spare : spare_frames_) {
        Frame* empty = nullptr;
        if (spare.compare_exchange_strong(empty, frame.get(), std::memory_order_release)) {
            frame.release();
            return;
        }
    }
}

ArrayList Executable::run(Frame& frame) const {
    const Plan& plan = *plan_;
    Slots& slots = frame.slots;
    KILN_CHECK(slots.size() == static_cast<std::size_t>(plan.slot_count), "executable run with the wrong slots");
    for (std::size_t i = 0; i < plan.leaf_count; ++i) KILN_CHECK(slots[i].has_value(), "executable run without a leaf value");
    bool may_overwrite = false;
    for (std::size_t s = 0; s < plan.runs.size(); ++s) {
        if (s == plan.in_place_from) may_overwrite = plan.in_place_loops_can_run(slots);
        if (const auto* op = std::get_if<OpRun>(&plan.runs[s])) {
            std::vector<Array> inputs;
            inputs.reserve(op->inputs.size());
            for (std::size_t k = 0; k < op->inputs.size(); ++k) {
                Slot& input = slots[op->inputs[k]];
                inputs.push_back(static_cast<int>(k) == op->given_up ? input.take() : *input);
            }
            std::vector<Array> outputs = perform_node(*op->node, inputs, op->position);
            for (std::size_t i = 0; i < outputs.size(); ++i) slots[op->outputs[i]] = std::move(outputs[i]);
        } else {
            const auto& loop = std::get<LoopRun>(plan.runs[s]);
            plan.run_loop_step(loop, frame, may_overwrite);
            if (plan.linker == Linker::debug) plan.check_against_interpreter(s, loop, slots);
        }
        for (int released : plan.release_after[s]) slots[released].reset();
    }
    ArrayList roots;
    roots.reserve(plan.root_slots.size());
    for (std::size_t r = 0; r < plan.root_slots.size(); ++r) {
        Slot& root = slots[plan.root_slots[r]];
        roots.push_back(plan.root_moves[r] ? root.take() : *root);
    }
    return roots;
}

std::string Executable::steps_text() const {
    const Plan& plan = *plan_;
    const auto buffers = [](const std::vector<int>& slots) {
        std::string text;
        for (int slot : slots) text += (text.empty() ? "$" : ", $") + std::to_string(slot);
        return text.empty() ? std::string("-") : text;
    };
    std::string text = "; buffers $0..$" + std::to_string(plan.slot_count - 1) + "; the arguments:";
    for (std::size_t i = 0; i < plan.leaf_count; ++i) text += " $" + std::to_string(i) + " " + plan.leaf_labels[i] + ";";
    text += "\n";
    for (std::size_t s = 0; s < plan.runs.size(); ++s) {
        text += "#" + std::to_string(s) + " " + step_text(plan.steps[s]) + "\n    ";
        std::visit([&](const auto& run) {
            std::vector<int> reads = run.inputs;
            if constexpr (std::is_same_v<std::decay_t<decltype(run)>, LoopRun>)
                reads.insert(reads.end(), run.params.begin(), run.params.end());
            text += "reads " + buffers(reads) + "; writes " + buffers(run.outputs);
            if constexpr (std::is_same_v<std::decay_t<decltype(run)>, OpRun>) {
                if (run.given_up >= 0)
                    text += " (into the buffer of $" + std::to_string(run.inputs[static_cast<std::size_t>(run.given_up)]) + ")";
            } else if (run.in_place_input >= 0) {
                text += " (into the buffer of $" + std::to_string(run.inputs[static_cast<std::size_t>(run.in_place_input)]) +
                        " where nothing else holds it)";
            }
        }, plan.runs[s]);
        if (!plan.release_after[s].empty()) text += "; frees " + buffers(plan.release_after[s]);
        text += "\n";
    }
    return text + "; returns " + buffers(plan.root_slots) + "\n";
}

std::vector<const Kernel*> Executable::kernels() const {
    std::vector<const Kernel*> kernels;
    for (const Step& step : plan_->steps)
        if (const auto* loop = std::get_if<FusedLoop>(&step)) kernels.push_back(&loop->kernel);
    return kernels;
}

std::vector<FunctionStep> Executable::steps() const {
    std::vector<FunctionStep> steps;
    for (std::size_t s = 0; s < plan_->steps.size(); ++s) {
        const Step& step = plan_->steps[s];
        if (const auto* loop = std::get_if<FusedLoop>(&step)) {
            const LoopRun& run = std::get<LoopRun>(plan_->runs[s]);
            steps.push_back({&loop->kernel, loop->nodes, run.compile_seconds, run.from_kernel_cache});
        } else {
            steps.push_back({nullptr, {std::get<OpStep>(step).node}, 0, false});
        }
    }
    return steps;
}

} // namespace kiln
