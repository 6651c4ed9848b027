// Planning a compiled graph's steps (the compile pipeline's "plan" stage):
// which loops may compute an update in place and so run last, a value slot
// per variable, the slots each step reads and writes, and where each
// intermediate is freed. Then the kernels stage: each fused loop's code from
// the backend.
#include "../runtime/plan.hpp"

#include "../../ir/errors.hpp"
#include "../../ir/kernel_analysis.hpp"
#include "../../ir/log.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

namespace kiln {

namespace {

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

Executable::Executable(const std::vector<VariablePtr>& leaves, const std::vector<VariablePtr>& roots,
                       const std::vector<ApplyPtr>& schedule, std::vector<Step> steps, Linker linker,
                       jit::Backend& backend, const std::vector<Replacement>& replacements)
    : plan_(std::make_unique<Plan>()) {
    Plan& plan = *plan_;
    plan.linker = linker;
    plan.backend = &backend;
    plan.steps = std::move(steps);
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
    logging::get("engine")->debug("executable: {} steps over {} slots\n{}", plan.runs.size(), plan.slot_count,
                                  kiln::steps_text(plan.steps));
}

void Executable::compile_kernels(const std::shared_ptr<jit::DiskCache>& store, jit::KeepTexts keep_texts) {
    Plan& plan = *plan_;
    plan.store = store;
    std::vector<LoopRun*> loops;
    for (auto& run : plan.runs)
        if (auto* loop = std::get_if<LoopRun>(&run)) loops.push_back(loop);
    // In parallel: a backend takes milliseconds per kernel, and compiles
    // distinct kernels concurrently.
    tbb::parallel_for(std::size_t{0}, loops.size(), [&](std::size_t i) {
        const auto start = std::chrono::steady_clock::now();
        const jit::CompiledLoop compiled = plan.backend->compile(loops[i]->loop->kernel, LoopVariant::plain, store, keep_texts);
        loops[i]->function = compiled.function;
        loops[i]->from_kernel_cache = compiled.from_cache;
        loops[i]->compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    });
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
        // Why fusion drew its lines here.
        if (const auto* op = std::get_if<OpStep>(&plan.steps[s]); op && !op->not_fused.empty())
            text += "    not fused: " + op->not_fused + "\n";
        if (const auto* loop = std::get_if<FusedLoop>(&plan.steps[s]))
            for (const std::string& declined : loop->declined) text += "    did not join: " + declined + "\n";
    }
    return text + "; returns " + buffers(plan.root_slots) + "\n";
}

jit::Backend& Executable::backend() const { return *plan_->backend; }

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
