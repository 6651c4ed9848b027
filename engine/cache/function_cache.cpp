#include "function_cache.hpp"

#include "../runtime/executor.hpp"

#include "../../ir/walk.hpp"

#include <list>
#include <mutex>
#include <unordered_map>

namespace kiln {

namespace {

// Each entry holds its graph's constants and kernels' plan; a program that
// builds more distinct functions than this, or with more constant data,
// compiles the oldest again.
constexpr std::size_t function_cache_capacity = 64;
constexpr std::size_t function_cache_constant_bytes = std::size_t{64} << 20;

class FunctionCache {
public:
    static FunctionCache& instance() {
        static FunctionCache* cache = new FunctionCache; // outlives static Functions
        return *cache;
    }

    std::shared_ptr<const CompiledGraph> find(const Hash128& key) {
        std::lock_guard lock(mutex_);
        const auto found = entries_.find(key);
        if (found == entries_.end()) return nullptr;
        ++counters_.hits;
        order_.splice(order_.begin(), order_, found->second.position);
        return found->second.graph;
    }

    void keep(const Hash128& key, std::shared_ptr<const CompiledGraph> graph, GraphSource source) {
        std::lock_guard lock(mutex_);
        ++(source == GraphSource::disk ? counters_.disk_hits : counters_.misses);
        if (graph->constant_bytes > function_cache_constant_bytes) return;
        if (const auto found = entries_.find(key); found != entries_.end()) drop(found);
        constant_bytes_ += graph->constant_bytes;
        order_.push_front(key);
        entries_.emplace(key, Entry{std::move(graph), order_.begin()});
        while (entries_.size() > function_cache_capacity || constant_bytes_ > function_cache_constant_bytes)
            drop(entries_.find(order_.back()));
    }

    FunctionCacheCounters counters() {
        std::lock_guard lock(mutex_);
        return counters_;
    }

    void clear() {
        std::lock_guard lock(mutex_);
        entries_.clear();
        order_.clear();
        constant_bytes_ = 0;
    }

private:
    struct Entry {
        std::shared_ptr<const CompiledGraph> graph;
        std::list<Hash128>::iterator position;
    };
    using Entries = std::unordered_map<Hash128, Entry>;

    void drop(Entries::iterator entry) {
        constant_bytes_ -= entry->second.graph->constant_bytes;
        order_.erase(entry->second.position);
        entries_.erase(entry);
    }

    std::mutex mutex_;
    Entries entries_;
    std::list<Hash128> order_; // most recently used first
    std::size_t constant_bytes_ = 0;
    FunctionCacheCounters counters_;
};

} // namespace

std::vector<VariablePtr> request_shared_leaves(const std::vector<VariablePtr>& roots,
                                               const std::vector<VariablePtr>& inputs) {
    std::vector<VariablePtr> shared;
    for (const VariablePtr& leaf : graph_inputs(roots, inputs))
        if (leaf->is_shared()) shared.push_back(leaf);
    return shared;
}

std::vector<KeyComponent> function_key_components(const std::vector<VariablePtr>& roots,
                                                  const std::vector<VariablePtr>& inputs, std::size_t output_count,
                                                  const std::vector<UpdateTarget>& update_targets,
                                                  const RewriteOptions& rewrite_options, Linker linker,
                                                  std::string_view device) {
    const auto hash_of = [](const std::string& text) { return hash_bytes(text.data(), text.size()).hex(); };
    // The canonical text numbers shared variables as the walk meets them,
    // as request_shared_leaves does; names are a component because the
    // compiled graph's printing and error messages show them.
    std::string names;
    for (const VariablePtr& v : ancestors(roots, inputs)) names += " '" + v->name() + "'";
    for (const VariablePtr& input : inputs) names += " '" + input->name() + "'";
    std::string updates;
    for (const UpdateTarget& target : update_targets)
        updates += (updates.empty() ? "" : ", ") + target.type.str() + " into " +
                   (target.shared_index < 0 ? std::string("a shared variable it does not read")
                                            : "shared variable " + std::to_string(target.shared_index));
    std::string excluding;
    for (const std::string& name : rewrite_options.excluding) excluding += (excluding.empty() ? "" : ":") + name;
    return {
        {"graph", hash_of(canonical_graph_text(roots, inputs))},
        {"names", hash_of(names)},
        {"outputs", std::to_string(output_count)},
        {"updates", updates.empty() ? "none" : updates},
        {"mode", optimizer_mode_name(rewrite_options.mode)},
        {"excluding", excluding.empty() ? "none" : excluding},
        {"linker", linker_name(linker)},
        {"device", std::string(device)},
    };
}

Hash128 function_key(const std::vector<KeyComponent>& components) {
    std::string text;
    for (const KeyComponent& component : components) text += component.name + " " + component.value + "\n";
    return hash_bytes(text.data(), text.size());
}

std::shared_ptr<const CompiledGraph> find_compiled_graph(const Hash128& key) { return FunctionCache::instance().find(key); }

void keep_compiled_graph(const Hash128& key, std::shared_ptr<const CompiledGraph> graph, GraphSource source) {
    FunctionCache::instance().keep(key, std::move(graph), source);
}

FunctionCacheCounters function_cache_counters() { return FunctionCache::instance().counters(); }

void clear_function_cache() { FunctionCache::instance().clear(); }

} // namespace kiln
