// Running a plan (the call path): each step over the frame's value slots,
// fused loops through the backend, other nodes through their op; values are
// freed after their last reader, and updates computed in place run last.
#include "plan.hpp"

#include "../ops/dimshuffle.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/log.hpp"
#include "../../ir/print.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <new>

namespace kiln {

namespace {

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

} // namespace

LoopFunction StreamingLoop::get(const Kernel& kernel, bool wait, jit::Backend& backend,
                                const std::shared_ptr<jit::DiskCache>& store) {
    if (LoopFunction ready = ready_.load(std::memory_order_acquire)) return ready;
    if (failed_.load(std::memory_order_relaxed)) return nullptr;
    std::call_once(requested_,
                   [&] { compiled_ = backend.compile_in_background(kernel, LoopVariant::streaming_stores, store); });
    if (!wait && compiled_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return nullptr;
    try {
        ready_.store(compiled_.get(), std::memory_order_release);
    } catch (const std::exception& e) {
        // The plain loop serves instead; say so once.
        if (!failed_.exchange(true))
            logging::get("engine")->warn("streaming stores stay off for a kernel that failed to compile: {}", e.what());
        return nullptr;
    }
    return ready_.load(std::memory_order_acquire);
}

// The loop a call runs: the streaming-stores variant where the config
// asks for it and the kernel allows it (by size: where the outputs are too
// large to stay in the cache, once the variant is compiled, and only for a
// loop bound by memory: on a Zen 5 machine a streamed sigmoid chain ran 30%
// slower, while a triad gained; kiln-bench W1).
LoopFunction Executable::Plan::loop_function(const LoopRun& run, const Shape& shape) const {
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
    const LoopFunction streaming = run.streaming->get(run.loop->kernel, setting == StreamingStores::always, *backend, store);
    return streaming ? streaming : run.function;
}

namespace {

// Which fused loop failed, and over what, for an error it raised itself
// (errors of the nodes it fuses come from the interpreter, naming the node).
std::string loop_failure_context(const LoopRun& run, const Executable::Slots& slots) {
    std::string nodes, shapes;
    for (const ApplyPtr& node : run.loop->nodes) nodes += "\n  " + apply_text(*node);
    for (std::size_t k = 0; k < run.inputs.size(); ++k)
        shapes += (k > 0 ? ", " : "") + (slots[run.inputs[k]].has_value() ? shape_text(slots[run.inputs[k]]->shape()) : "?");
    return "\nFused loop that caused the error, computing:" + nodes + "\nInputs shapes: [" + shapes + "]";
}

} // namespace

Executable::~Executable() {
    for (std::atomic<Frame*>& spare : spare_frames_) delete spare.load();
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
    std::vector<jit::LoopBuffer>& buffers = frame.buffers;
    buffers.resize(run.inputs.size() + output_count);
    for (std::size_t k = 0; k < run.inputs.size(); ++k) {
        const Array& input = *slots[run.inputs[k]];
        jit::LoopBuffer& buffer = buffers[k];
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
        jit::LoopBuffer& buffer = buffers[run.inputs.size() + j];
        const Shape& strides = reduction ? reduced_strides : output.strides();
        buffer.data = output.mutable_data();
        buffer.element_size = dtype_size(run.kernel_dtypes[j]);
        buffer.strides.assign(strides.begin(), strides.end());
        buffer.strides.resize(static_cast<std::size_t>(run.rank), 0);
        buffer.broadcast_inner = false;
    }
    const LoopParams params(run, slots);
    const jit::LoopReduction reduction_output{reduction.value_or(ReduceKind::sum), &slots[run.outputs[0]].owned()};
    const std::int32_t status = backend->run(loop_function(run, shape), shape, buffers, params.data(),
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
    finish_loop_step(run, slots, backend->run_one_position(run.function, {pointers.data(), count}, params.data()));
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

ArrayList Executable::run(Frame& frame, NanGuard guard) const {
    const Plan& plan = *plan_;
    Slots& slots = frame.slots;
    KILN_CHECK(slots.size() == static_cast<std::size_t>(plan.slot_count), "executable run with the wrong slots");
    for (std::size_t i = 0; i < plan.leaf_count; ++i) KILN_CHECK(slots[i].has_value(), "executable run without a leaf value");
    bool may_overwrite = false;
    for (std::size_t s = 0; s < plan.runs.size(); ++s) {
        // The guard checks a step after it ran: it must not have written a shared value.
        if (s == plan.in_place_from) may_overwrite = guard == NanGuard::off && plan.in_place_loops_can_run(slots);
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
            try {
                plan.run_loop_step(loop, frame, may_overwrite);
            } catch (const MemoryError& error) {
                rethrow_with_context(error, loop_failure_context(loop, slots));
            } catch (const std::bad_alloc&) {
                throw MemoryError("out of memory" + loop_failure_context(loop, slots));
            }
            if (plan.linker == Linker::debug) plan.check_against_interpreter(s, loop, slots);
        }
        if (guard != NanGuard::off) plan.check_guarded_values(s, slots, guard);
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

} // namespace kiln
