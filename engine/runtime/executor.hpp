// The executor: the steps of a compiled function over numbered value slots.
// Fused loops run as code their backend compiled; other nodes run their op.
// The compile pipeline fuses (compile/fusion), constructs an Executable
// (planning: compile/plan.cpp), then has it compile its kernels; calls run
// it (runtime/executor.cpp).
#pragma once

#include "../api/config.hpp"
#include "../api/function.hpp"
#include "../compile/fusion.hpp"

#include "../../ir/array.hpp"
#include "../../jit/backend.hpp"

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

class Executable {
public:
    /// A root that replaces a leaf's value once a run has succeeded (the
    /// update of a shared variable): a loop may compute it into the leaf's
    /// buffer, where nothing else holds that buffer.
    struct Replacement {
        std::size_t root = 0;
        std::size_t leaf = 0;
    };

    /// Plans `steps` (fused from `schedule`, whose order errors cite), run
    /// by `backend`: `leaves` get their values at each run, in this order;
    /// `roots` are returned in this order.
    Executable(const std::vector<VariablePtr>& leaves, const std::vector<VariablePtr>& roots,
               const std::vector<ApplyPtr>& schedule, std::vector<Step> steps, Linker linker, jit::Backend& backend,
               const std::vector<Replacement>& replacements = {});
    ~Executable();
    Executable(const Executable&) = delete;
    Executable& operator=(const Executable&) = delete;

    /// One value of a run: empty (until computed and after its last
    /// reader), an array the slot owns, or an array it refers to, which its
    /// owner keeps alive for the run (a caller's argument, a shared value).
    class Slot {
    public:
        Slot() = default;
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        Slot(Slot&& other) noexcept { *this = std::move(other); }
        Slot& operator=(Slot&& other) noexcept {
            const bool owning = other.owned_.has_value();
            owned_ = std::move(other.owned_);
            value_ = owning ? &*owned_ : other.value_;
            other.reset();
            return *this;
        }

        bool has_value() const { return value_ != nullptr; }
        const Array& operator*() const { return *value_; }
        const Array* operator->() const { return value_; }
        Array& emplace(Array value) {
            value_ = &owned_.emplace(std::move(value));
            return *owned_;
        }
        /// The array the slot owns; only for a slot given one by emplace.
        Array& owned() { return *owned_; }
        Slot& operator=(Array value) {
            emplace(std::move(value));
            return *this;
        }
        void refer_to(const Array& value) {
            owned_.reset();
            value_ = &value;
        }
        void reset() {
            owned_.reset();
            value_ = nullptr;
        }
        /// The value, moved out when the slot owns it; the slot is left empty.
        Array take() {
            Array value = owned_ ? std::move(*owned_) : *value_;
            reset();
            return value;
        }

    private:
        std::optional<Array> owned_;
        const Array* value_ = nullptr;
    };
    /// One slot per value; a run needs the leaves' values in the first
    /// slots, in the order of `leaves`.
    using Slots = std::vector<Slot>;
    /// What one call works in: its slots and the loop descriptors it hands
    /// the loop driver. Frames go back to the executable after the call and
    /// keep their capacity, so a call allocates only what it returns.
    struct Frame {
        Slots slots;
        std::vector<jit::LoopBuffer> buffers;
    };
    class FrameLease {
    public:
        FrameLease(const Executable& owner, std::unique_ptr<Frame> frame) : owner_(owner), frame_(std::move(frame)) {}
        ~FrameLease() { owner_.give_back(std::move(frame_)); }
        FrameLease(const FrameLease&) = delete;
        FrameLease& operator=(const FrameLease&) = delete;
        Frame& operator*() const { return *frame_; }
        Frame* operator->() const { return frame_.get(); }

    private:
        const Executable& owner_;
        std::unique_ptr<Frame> frame_;
    };
    /// A frame with every slot empty.
    FrameLease lease_frame() const;

    /// Values of the roots for the leaf values in the frame's slots, which
    /// keep them. Throws like the interpreter, naming the node that failed;
    /// with a NaN guard, also ValueError naming the first node that
    /// produced a guarded value (and then never writes in place).
    ArrayList run(Frame& frame, NanGuard guard) const;

    /// The steps, one line each, with the buffers each reads, writes and frees.
    std::string steps_text() const;

    /// Gets every fused loop's code from the backend (in parallel), through
    /// `store` (null for none), keeping the texts of what it compiles when
    /// asked; once, before the first run.
    void compile_kernels(const std::shared_ptr<jit::DiskCache>& store, jit::KeepTexts keep_texts);

    /// The backend its loops are compiled for and run on.
    jit::Backend& backend() const;
    /// The kernel IR of each fused loop, in step order.
    std::vector<const Kernel*> kernels() const;
    std::vector<FunctionStep> steps() const;

private:
    void give_back(std::unique_ptr<Frame> frame) const;

    struct Plan;
    std::unique_ptr<Plan> plan_;
    /// Frames between calls, taken and returned without a lock: a call on
    /// one thread reuses the frame its last call returned.
    mutable std::array<std::atomic<Frame*>, 4> spare_frames_{};
};

} // namespace kiln
