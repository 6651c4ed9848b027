#include "cpu_backend.hpp"

#include "host.hpp"
#include "loop_driver.hpp"
#include "lower_loop.hpp"

#include "../disk_cache.hpp"
#include "../../ir/errors.hpp"
#include "../../ir/log.hpp"

#include "kiln_build_config.hpp"

#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/ExecutorProcessControl.h>
#include <llvm/ExecutionEngine/Orc/TaskDispatch.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/MC/MCContext.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include <dlfcn.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <mutex>
#include <unordered_map>

namespace kiln::jit {

namespace {

std::string error_text(llvm::Error error) {
    std::string text;
    llvm::raw_string_ostream stream(text);
    stream << error;
    return stream.str();
}

template <class T> T unwrap(llvm::Expected<T> value, const std::string& what) {
    if (!value) throw InternalError(what + ": " + error_text(value.takeError()));
    return std::move(*value);
}

// One symbol per distinct kernel and variant in the JIT's one library.
std::string loop_symbol(const Hash128& key) { return "kiln_loop_" + key.hex(); }

// The plain variant is known by the kernel's key, as dumps show it.
Hash128 variant_key(const Kernel& kernel, LoopVariant variant) {
    if (variant == LoopVariant::plain) return kernel.key();
    const std::string text = kernel.text() + "variant streaming_stores\n";
    return hash_bytes(text.data(), text.size());
}

std::string module_text(const llvm::Module& module) {
    std::string text;
    llvm::raw_string_ostream stream(text);
    module.print(stream, nullptr);
    return stream.str();
}

// Which texts a compile keeps besides the object code.
enum class TextsWanted { none, optimized_ir, all };

// Errors LLVM reports while optimizing or generating code are collected
// instead of ending the process (the default handler calls exit).
struct CollectingDiagnostics : llvm::DiagnosticHandler {
    std::shared_ptr<std::string> errors;
    explicit CollectingDiagnostics(std::shared_ptr<std::string> sink) : errors(std::move(sink)) {}
    bool handleDiagnostics(const llvm::DiagnosticInfo& info) override {
        if (info.getSeverity() == llvm::DS_Error) {
            llvm::raw_string_ostream stream(*errors);
            llvm::DiagnosticPrinterRawOStream printer(stream);
            info.print(printer);
            stream << "\n";
        }
        return true;
    }
};

// glibc's libmvec vector variants: SSE (b), AVX2 (d) and AVX-512 (e).
struct VectorMath {
    const char* name;
    bool binary;
    bool has_intrinsic; // llvm.<name>.f64 exists and lowers to <name>
};
constexpr VectorMath vector_math[] = {
    {"exp", false, true},    {"exp2", false, true},   {"log", false, true},    {"log2", false, true},
    {"log10", false, true},  {"sin", false, true},    {"cos", false, true},    {"pow", true, true},
    {"tan", false, false},   {"expm1", false, false}, {"log1p", false, false}, {"asin", false, false},
    {"acos", false, false},  {"atan", false, false},  {"atan2", true, false},  {"sinh", false, false},
    {"cosh", false, false},  {"tanh", false, false},  {"erf", false, false},   {"erfc", false, false},
};

} // namespace

struct CpuBackend::State {
    std::unique_ptr<llvm::orc::LLJIT> jit;
    llvm::orc::JITTargetMachineBuilder machine_builder{llvm::Triple()};
    std::string cpu;
    std::string features;
    bool prefer_512 = false;
    // Vector-function table entries (VecDesc keeps references to these strings).
    std::deque<std::string> names;
    std::vector<llvm::VecDesc> vector_functions;
    std::string description;
    std::string summary;

    mutable std::mutex mutex;
    std::unordered_map<Hash128, std::shared_future<LoopFunction>> loops;
    JitCounters counters;
    /// Compiles that nobody waits for; the backend waits for them when it goes.
    tbb::task_group background;

    ~State() { background.wait(); }

    /// The loop of `key`, compiled or being compiled, with no promise; or
    /// a new entry whose promise the caller must fulfil. With `count_hit`,
    /// finding it counts as a memory hit.
    using Promise = std::shared_ptr<std::promise<LoopFunction>>;
    std::pair<std::shared_future<LoopFunction>, Promise> find_or_claim(const Hash128& key, bool count_hit);
    /// Where a loop's object code came from.
    enum class Source { compiled, disk, given };
    struct Object {
        std::shared_ptr<const std::string> code;
        Source source = Source::compiled;
        /// The disk cache entry it was read from (Source::disk).
        std::shared_ptr<DiskCache> cache;
        Hash128 entry_key;
    };
    /// Links the object code `make_object` gives for a claimed entry and
    /// fulfils its promise; a failure leaves the exception in it and frees
    /// the entry for a retry. Returns where the code came from.
    template <class MakeObject>
    Source fulfil(std::promise<LoopFunction>& promise, const Hash128& key, LoopVariant variant, MakeObject make_object);
    /// The plain loops' object code, kept for compiled_code_of.
    std::unordered_map<Hash128, std::shared_ptr<const std::string>> objects;
    /// Code texts by variant key: kept by compiles asked to, or made for code_texts.
    std::unordered_map<Hash128, std::shared_ptr<const CodeTexts>> texts;

    void register_vector_math(void* libmvec, const HostTarget& host);
    std::unique_ptr<llvm::TargetMachine> target_machine() const {
        auto builder = machine_builder;
        return unwrap(builder.createTargetMachine(), "creating the host target machine");
    }
    /// The kernel lowered to a module of its own context, for this host.
    std::unique_ptr<llvm::Module> lowered_module(const Kernel& kernel, LoopVariant variant, const std::string& symbol,
                                                 llvm::LLVMContext& context,
                                                 const std::shared_ptr<std::string>& diagnostics) const;
    void optimize(llvm::Module& module, llvm::TargetMachine& machine) const;
    /// A kernel's object code: from the disk cache `store` (when there is
    /// one), or lowered, optimized and compiled now (and then stored there,
    /// and its texts kept when asked).
    Object object_for(const Kernel& kernel, LoopVariant variant, const Hash128& key,
                      const std::shared_ptr<DiskCache>& store, KeepTexts keep_texts);
    /// What one lowering of a kernel made: its object code (when asked) and
    /// the texts wanted.
    struct Made {
        std::string object;
        CodeTexts texts;
    };
    Made lower_and_compile(const Kernel& kernel, LoopVariant variant, const std::string& symbol, bool want_object,
                           TextsWanted texts_wanted) const;
    /// Keeps the first texts given for `key`; returns the kept ones.
    std::shared_ptr<const CodeTexts> keep_texts(const Hash128& key, std::shared_ptr<const CodeTexts> made) {
        std::lock_guard lock(mutex);
        return texts.emplace(key, std::move(made)).first->second;
    }
    /// Everything that decides a kernel's machine code, as the disk cache
    /// keys and checks it.
    std::string disk_key_material(const Hash128& key) const {
        return cache_key_material("kernel " + key.hex(), description);
    }
};

std::pair<std::shared_future<LoopFunction>, CpuBackend::State::Promise>
CpuBackend::State::find_or_claim(const Hash128& key, bool count_hit) {
    std::lock_guard lock(mutex);
    if (auto found = loops.find(key); found != loops.end()) {
        if (count_hit) ++counters.memory_hits;
        return {found->second, nullptr};
    }
    auto promise = std::make_shared<std::promise<LoopFunction>>();
    auto future = promise->get_future().share();
    loops.emplace(key, future);
    return {future, promise};
}

template <class MakeObject>
CpuBackend::State::Source CpuBackend::State::fulfil(std::promise<LoopFunction>& promise, const Hash128& key,
                                                     LoopVariant variant, MakeObject make_object) {
    Object object;
    try {
        const auto start = std::chrono::steady_clock::now();
        object = make_object();
        const auto made = std::chrono::steady_clock::now();
        const std::string symbol = loop_symbol(key);
        if (llvm::Error error = jit->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(*object.code, symbol)))
            throw InternalError("adding kernel " + symbol + " to the JIT failed: " + error_text(std::move(error)));
        auto address = jit->lookup(symbol);
        if (!address) throw InternalError("linking kernel " + symbol + " failed: " + error_text(address.takeError()));
        const auto end = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(mutex);
            if (variant == LoopVariant::plain) objects.emplace(key, object.code);
            ++(object.source == Source::disk    ? counters.disk_hits
               : object.source == Source::given ? counters.given
               : variant == LoopVariant::plain  ? counters.compiled
                                                : counters.streaming_variants_compiled);
        }
        using milliseconds = std::chrono::duration<double, std::milli>;
        logging::get("jit")->debug("{} {} in {:.2f} ms (object code {:.2f} ms, linking {:.2f} ms)",
                                   object.source == Source::disk    ? "loaded from the disk cache"
                                   : object.source == Source::given ? "linked given object code of"
                                                                    : "compiled",
                                   symbol, milliseconds(end - start).count(), milliseconds(made - start).count(),
                                   milliseconds(end - made).count());
        promise.set_value(address->toPtr<LoopFunction>());
        return object.source;
    } catch (...) {
        // Whole and made for this key, yet LLVM refuses it: no process may meet it again.
        if (object.source == Source::disk) {
            std::string why = "LLVM cannot link it";
            try {
                throw;
            } catch (const std::exception& error) {
                why += std::string(": ") + error.what();
            } catch (...) {
            }
            object.cache->remove(EntryKind::kernel, object.entry_key, why);
        }
        {
            std::lock_guard lock(mutex);
            loops.erase(key); // a later request tries again
        }
        promise.set_exception(std::current_exception());
        return Source::compiled;
    }
}

CpuBackend::State::Object CpuBackend::State::object_for(const Kernel& kernel, LoopVariant variant, const Hash128& key,
                                                       const std::shared_ptr<DiskCache>& cache, KeepTexts keep) {
    const std::string material = disk_key_material(key);
    const Hash128 disk_key = hash_bytes(material.data(), material.size());
    if (cache)
        if (std::optional<std::string> stored = cache->load(EntryKind::kernel, disk_key, material))
            return {std::make_shared<const std::string>(std::move(*stored)), Source::disk, cache, disk_key};
    // The disk entry describes itself by its optimized IR.
    const TextsWanted wanted = keep == KeepTexts::yes ? TextsWanted::all
                               : cache                ? TextsWanted::optimized_ir
                                                      : TextsWanted::none;
    Made made = lower_and_compile(kernel, variant, loop_symbol(key), true, wanted);
    auto code = std::make_shared<const std::string>(std::move(made.object));
    if (cache)
        cache->store(EntryKind::kernel, disk_key, material, *code,
                     "kernel IR:\n" + kernel.text() + "\nLLVM IR:\n" + made.texts.ir_optimized);
    if (keep == KeepTexts::yes) keep_texts(key, std::make_shared<const CodeTexts>(std::move(made.texts)));
    return {std::move(code), Source::compiled};
}

CpuBackend::State::Made CpuBackend::State::lower_and_compile(const Kernel& kernel, LoopVariant variant,
                                                             const std::string& symbol, bool want_object,
                                                             TextsWanted texts_wanted) const {
    llvm::LLVMContext context;
    auto diagnostics = std::make_shared<std::string>();
    std::unique_ptr<llvm::Module> module = lowered_module(kernel, variant, symbol, context, diagnostics);
    Made made;
    if (texts_wanted == TextsWanted::all) made.texts.ir = module_text(*module);
    optimize(*module, *target_machine());
    if (texts_wanted != TextsWanted::none) made.texts.ir_optimized = module_text(*module);
    if (texts_wanted == TextsWanted::all) {
        // Code generation changes the module it runs on: the assembly comes
        // from a copy, so the object below is made from the same module.
        std::unique_ptr<llvm::Module> copy = llvm::CloneModule(*module);
        llvm::SmallString<0> assembly;
        llvm::raw_svector_ostream stream(assembly);
        llvm::legacy::PassManager passes;
        auto machine = target_machine(); // the passes use it until they have run
        if (machine->addPassesToEmitFile(passes, stream, nullptr, llvm::CodeGenFileType::AssemblyFile))
            throw InternalError("the host target cannot write assembly");
        passes.run(*copy);
        made.texts.machine = std::string(assembly.str());
    }
    if (want_object) {
        llvm::SmallVector<char, 0> object;
        llvm::raw_svector_ostream stream(object);
        llvm::legacy::PassManager passes;
        llvm::MCContext* machine_code_context = nullptr;
        auto machine = target_machine();
        if (machine->addPassesToEmitMC(passes, machine_code_context, stream))
            throw InternalError("the host target cannot emit object code");
        passes.run(*module);
        made.object.assign(object.data(), object.size());
    }
    if (!diagnostics->empty()) throw InternalError("LLVM failed on kernel " + symbol + ": " + *diagnostics);
    return made;
}

void CpuBackend::State::register_vector_math(void* libmvec, const HostTarget& host) {
    struct Isa {
        char letter;
        int f64_lanes;
        bool available;
    };
    const Isa isas[] = {{'b', 2, true}, {'d', 4, host.has_feature("avx2")}, {'e', 8, host.has_feature("avx512f")}};
    for (const VectorMath& math : vector_math) {
        for (bool single : {false, true}) {
            for (const Isa& isa : isas) {
                if (!isa.available) continue;
                const int lanes = single ? isa.f64_lanes * 2 : isa.f64_lanes;
                const std::string scalar = std::string(math.name) + (single ? "f" : "");
                const std::string parameters = math.binary ? "vv" : "v";
                const std::string vector = "_ZGV" + std::string(1, isa.letter) + "N" + std::to_string(lanes) +
                                           parameters + "_" + scalar;
                if (!dlsym(libmvec, vector.c_str())) continue;
                const std::string& vector_name = names.emplace_back(vector);
                const std::string& prefix = names.emplace_back("_ZGV_LLVM_N" + std::to_string(lanes) + parameters);
                std::vector<std::string> scalar_names{scalar};
                if (math.has_intrinsic) scalar_names.push_back("llvm." + std::string(math.name) + (single ? ".f32" : ".f64"));
                for (const std::string& scalar_name : scalar_names) {
                    const std::string& stored = names.emplace_back(scalar_name);
                    vector_functions.emplace_back(stored, vector_name, llvm::ElementCount::getFixed(lanes), false,
                                                  prefix);
                }
            }
        }
    }
}

void CpuBackend::State::optimize(llvm::Module& module, llvm::TargetMachine& machine) const {
    llvm::LoopAnalysisManager loops;
    llvm::FunctionAnalysisManager functions;
    llvm::CGSCCAnalysisManager cgscc;
    llvm::ModuleAnalysisManager modules;
    llvm::PipelineTuningOptions tuning;
    tuning.LoopVectorization = true;
    tuning.SLPVectorization = true;
    llvm::PassBuilder builder(&machine, tuning);
    llvm::TargetLibraryInfoImpl library(machine.getTargetTriple());
    // Before the standard analyses: the first registration wins.
    library.addVectorizableFunctions(vector_functions);
    functions.registerPass([&] { return llvm::TargetLibraryAnalysis(library); });
    builder.registerModuleAnalyses(modules);
    builder.registerCGSCCAnalyses(cgscc);
    builder.registerFunctionAnalyses(functions);
    builder.registerLoopAnalyses(loops);
    builder.crossRegisterProxies(loops, functions, cgscc, modules);
    builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2).run(module, modules);
}

std::unique_ptr<llvm::Module> CpuBackend::State::lowered_module(const Kernel& kernel, LoopVariant variant,
                                                                const std::string& symbol, llvm::LLVMContext& context,
                                                                const std::shared_ptr<std::string>& diagnostics) const {
    context.setDiagnosticHandler(std::make_unique<CollectingDiagnostics>(diagnostics));
    std::unique_ptr<llvm::Module> module = lower_loop(kernel, variant, symbol, context);
    module->setDataLayout(jit->getDataLayout());
    module->setTargetTriple(jit->getTargetTriple().str());
    for (llvm::Function& function : *module) {
        if (function.isDeclaration()) continue;
        function.addFnAttr("target-cpu", cpu);
        function.addFnAttr("target-features", features);
        if (prefer_512) function.addFnAttr("prefer-vector-width", "512");
    }
    return module;
}

CpuBackend::CpuBackend() : state_(std::make_unique<State>()) {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
    const HostTarget& host = host_target();
    State& s = *state_;
    s.machine_builder = unwrap(llvm::orc::JITTargetMachineBuilder::detectHost(), "detecting the host CPU");
    s.machine_builder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
    s.cpu = s.machine_builder.getCPU();
    s.features = s.machine_builder.getFeatures().getString();
    s.prefer_512 = host.has_feature("avx512f");

    std::string vector_library = "none";
    if (s.machine_builder.getTargetTriple().getArch() == llvm::Triple::x86_64) {
        // The process does not load libmvec on its own (--as-needed drops it).
        if (void* libmvec = dlopen("libmvec.so.1", RTLD_NOW | RTLD_GLOBAL)) {
            s.register_vector_math(libmvec, host);
            vector_library = "libmvec(" + std::to_string(s.vector_functions.size()) + ")";
        } else {
            logging::get("jit")->debug("libmvec not available ({}): math stays scalar", dlerror());
        }
    }

    // kiln makes object code itself and only links it here, on the thread
    // that asks: linking in place, not on a thread ORC starts per object.
    auto process = unwrap(llvm::orc::SelfExecutorProcessControl::Create(
                              nullptr, std::make_unique<llvm::orc::InPlaceTaskDispatcher>()),
                          "setting up the JIT's process control");
    s.jit = unwrap(llvm::orc::LLJITBuilder()
                       .setJITTargetMachineBuilder(s.machine_builder)
                       .setExecutorProcessControl(std::move(process))
                       .setSupportConcurrentCompilation(true)
                       .create(),
                   "creating the LLVM JIT");
    auto generator = unwrap(llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
                                s.jit->getDataLayout().getGlobalPrefix()),
                            "opening the process's symbols");
    s.jit->getMainJITDylib().addGenerator(std::move(generator));
    s.description = "triple=" + s.jit->getTargetTriple().str() + " cpu=" + s.cpu + " features=" + s.features +
                    " vector_library=" + vector_library + " opt=O2" + (s.prefer_512 ? " vector_width=512" : "") +
                    " llvm=" + llvm_version();
    const char* vectors = s.prefer_512                                     ? "512-bit vectors (AVX-512)"
                          : host.has_feature("avx2")                     ? "256-bit vectors (AVX2)"
                          : host.has_feature("avx")                      ? "256-bit vectors (AVX)"
                          : s.jit->getTargetTriple().isX86()             ? "128-bit vectors (SSE)"
                                                                         : "the target's vectors";
    s.summary = s.jit->getTargetTriple().str() + ", cpu " + s.cpu + ", " + vectors + ", math " + vector_library +
                ", LLVM " + llvm_version() + " -O2 (" +
                std::to_string(std::count(s.features.begin(), s.features.end(), ',') + (s.features.empty() ? 0 : 1)) +
                " CPU features in the full target)";
    logging::get("jit")->debug("CPU backend: {}", s.description);
}

CpuBackend::~CpuBackend() = default;

CpuBackend& CpuBackend::instance() {
    static CpuBackend backend;
    return backend;
}

CompiledLoop CpuBackend::compile(const Kernel& kernel, LoopVariant variant, const std::shared_ptr<DiskCache>& store,
                                 KeepTexts keep_texts) {
    State& s = *state_;
    const Hash128 key = variant_key(kernel, variant);
    auto [future, promise] = s.find_or_claim(key, variant == LoopVariant::plain);
    // Another thread compiles (or compiled) this kernel: wait for it.
    if (!promise) return {future.get(), true};
    const State::Source source =
        s.fulfil(*promise, key, variant, [&] { return s.object_for(kernel, variant, key, store, keep_texts); });
    return {future.get(), source == State::Source::disk}; // rethrows a failure
}

std::shared_ptr<const std::string> CpuBackend::compiled_code_of(const Kernel& kernel) const {
    std::lock_guard lock(state_->mutex);
    const auto found = state_->objects.find(kernel.key());
    return found == state_->objects.end() ? nullptr : found->second;
}

void CpuBackend::add_compiled_code(const Hash128& kernel_key, std::shared_ptr<const std::string> code) {
    State& s = *state_;
    auto [future, promise] = s.find_or_claim(kernel_key, false);
    if (!promise) return;
    s.fulfil(*promise, kernel_key, LoopVariant::plain, [&] { return State::Object{std::move(code), State::Source::given}; });
    future.get(); // rethrows a failure
}

std::shared_future<LoopFunction> CpuBackend::compile_in_background(const Kernel& kernel, LoopVariant variant,
                                                                   std::shared_ptr<DiskCache> store) {
    State& s = *state_;
    const Hash128 key = variant_key(kernel, variant);
    auto [future, promise] = s.find_or_claim(key, variant == LoopVariant::plain);
    if (promise)
        s.background.run([&s, kernel, variant, key, promise, store = std::move(store)] {
            s.fulfil(*promise, key, variant, [&] { return s.object_for(kernel, variant, key, store, KeepTexts::no); });
        });
    return future;
}

std::shared_ptr<const CodeTexts> CpuBackend::code_texts(const Kernel& kernel, LoopVariant variant) {
    State& s = *state_;
    const Hash128 key = variant_key(kernel, variant);
    {
        std::lock_guard lock(s.mutex);
        if (auto found = s.texts.find(key); found != s.texts.end()) return found->second;
    }
    State::Made made = s.lower_and_compile(kernel, variant, loop_symbol(key), false, TextsWanted::all);
    {
        std::lock_guard lock(s.mutex);
        ++s.counters.lowered_for_texts;
    }
    return s.keep_texts(key, std::make_shared<const CodeTexts>(std::move(made.texts)));
}

std::int32_t CpuBackend::run(LoopFunction loop, const Shape& shape, const std::vector<LoopBuffer>& buffers,
                            const std::uint64_t* params, const LoopReduction* reduction, bool whole_rows) const {
    return run_loop(loop, shape, buffers, params, reduction, whole_rows);
}

std::int32_t CpuBackend::run_one_position(LoopFunction loop, std::span<void* const> data,
                                          const std::uint64_t* params) const {
    return jit::run_one_position(loop, data, params);
}

JitCounters CpuBackend::counters() const {
    std::lock_guard lock(state_->mutex);
    return state_->counters;
}

const std::string& CpuBackend::target_description() const { return state_->description; }
const std::string& CpuBackend::target_summary() const { return state_->summary; }

} // namespace kiln::jit
