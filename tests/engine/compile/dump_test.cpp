// Function::dump, compile_report and the dump folders compile() writes.
#include "../test_helpers.hpp"

#include "engine/compile/dump_folder.hpp"
#include "ir/kernel.hpp"
#include "ir/kernel_analysis.hpp"
#include "jit/cpu/cpu_backend.hpp"

#include <fstream>
#include <sstream>

using namespace kiln;

TEST_CASE("stage names round-trip and unknown ones are refused with the list") {
    for (const Stage stage : all_stages) CHECK(stage_from_name(stage_name(stage)) == stage);
    CHECK(stage_name(Stage::llvm_optimized) == "llvm-opt");
    CHECK(stage_file(Stage::assembly) == "asm.s");
    try {
        stage_from_name("bitcode");
        FAIL("no error");
    } catch (const ValueError& error) {
        CHECK(std::string(error.what()).find("unknown stage 'bitcode' (stages: graph, optimized,") != std::string::npos);
    }
}

TEST_CASE("each stage of a function prints what compile() made") {
    const Var x = dvector("x"), y = dvector("y");
    const Function f = compile({x, y}, sum(exp(x) * y) + 0 * x[0]);
    // The user's graph as Theano's debugprint shows it, before rewriting.
    CHECK(f.dump(Stage::graph) == "Elemwise{add,no_inplace} [id A] ''   \n"
                                  " |Sum{acc_dtype=float64} [id B] ''   \n"
                                  " | |Elemwise{mul,no_inplace} [id C] ''   \n"
                                  " |   |Elemwise{exp,no_inplace} [id D] ''   \n"
                                  " |   | |x [id E]\n"
                                  " |   |y [id F]\n"
                                  " |Elemwise{mul,no_inplace} [id G] ''   \n"
                                  "   |TensorConstant{0} [id H]\n"
                                  "   |Subtensor{int64} [id I] ''   \n"
                                  "     |x [id E]\n"
                                  "     |TensorConstant{0} [id J]\n");
    // After rewriting: the two zeros are one constant (0 * x[0] stays, for
    // its NaN), and each node has its place in the schedule.
    CHECK(f.dump(Stage::optimized) == "Elemwise{add,no_inplace} [id A] ''   5\n"
                                      " |Sum{acc_dtype=float64} [id B] ''   2\n"
                                      " | |Elemwise{mul,no_inplace} [id C] ''   1\n"
                                      " |   |Elemwise{exp,no_inplace} [id D] ''   0\n"
                                      " |   | |x [id E]\n"
                                      " |   |y [id F]\n"
                                      " |Elemwise{mul,no_inplace} [id G] ''   4\n"
                                      "   |TensorConstant{0} [id H]\n"
                                      "   |Subtensor{int64} [id I] ''   3\n"
                                      "     |x [id E]\n"
                                      "     |TensorConstant{0} [id H]\n");
    CHECK(f.dump(Stage::rewrites) == "merge 1\n");
    // Two loops around the indexing op, which says why it is none of them.
    CHECK(f.dump(Stage::schedule) ==
          "; buffers $0..$5; the arguments: $0 x; $1 y; $2 TensorConstant{0};\n"
          "#0 loop [exp, mul, Sum{acc_dtype=float64}] -> TensorType(float64, scalar)\n"
          "    reads $0, $1; writes $3\n"
          "#1 op Subtensor{int64}\n"
          "    reads $0, $2; writes $4\n"
          "    not fused: Subtensor{int64} is not elementwise, a reduction or a row kernel: it runs as a call of "
          "its own\n"
          "#2 loop [mul, add] -> TensorType(float64, scalar)\n"
          "    reads $4, $3; writes $5; frees $3, $4\n"
          "    did not join: Sum{acc_dtype=float64} -> TensorType(float64, scalar): it ends a loop of its own, whose "
          "result this loop reads from memory\n"
          "; returns $5\n");

    // The first loop's kernel, as built by hand: exp(x) * y summed.
    Kernel expected;
    const int exp_x = expected.apply(ScalarOp::exp, {expected.load(expected.add_input(DType::float64, false))},
                                     DType::float64);
    const int product =
        expected.apply(ScalarOp::mul, {exp_x, expected.load(expected.add_input(DType::float64, false))}, DType::float64);
    expected.add_reduction(product, ReduceKind::sum);
    const std::string kernels = f.dump(Stage::kernel);
    CHECK(kernels.starts_with("; loop #0, kernel key " + expected.key().hex() + "\n" + expected.text()));
    CHECK(kernels.find("; loop #2, kernel key ") != std::string::npos);

    // Each kernel's code at each stage, under its symbol.
    const std::string llvm = f.dump(Stage::llvm), optimized = f.dump(Stage::llvm_optimized), assembly = f.dump(Stage::assembly);
    for (const Kernel* kernel : f.kernels()) {
        const std::string symbol = "kiln_loop_" + kernel->key().hex();
        CHECK(llvm.find("define void @" + symbol) != std::string::npos);
        CHECK(optimized.find("define void @" + symbol) != std::string::npos);
        CHECK(assembly.find(symbol + ":") != std::string::npos);
    }
}

TEST_CASE("the compile report tells a new graph from one found by its structure") {
    const auto report_of = [] {
        const Var x = dmatrix("x");
        return compile({x}, arctan2(x, 3.5) * erfc(x) - cosh(x) / 7.25).compile_report();
    };
    const std::string first = report_of(), second = report_of();
    CHECK(first.find("graph: compiled now\n") != std::string::npos);
    CHECK(second.find("graph: found by its structure") != std::string::npos);
    // One fused loop, compiled now or found in the kernel cache.
    const bool counted = first.find("kernels: 1 (1 compiled by LLVM, 0 from the kernel cache)") != std::string::npos ||
                         first.find("kernels: 1 (0 compiled by LLVM, 1 from the kernel cache)") != std::string::npos;
    CHECK(counted);
    // The target in one short line: the CPU and its vectors, not every feature flag.
    const std::size_t target = first.find("\ntarget: ");
    REQUIRE(target != std::string::npos);
    const std::string target_line = first.substr(target + 1, first.find('\n', target + 1) - target - 1);
    CHECK(target_line.size() < 200);
    CHECK(target_line.find("-bit vectors") != std::string::npos);
    CHECK(target_line.find("+avx") == std::string::npos);
    // The key's components, each on its own line, the rewrite mode among them.
    CHECK(first.find("\nkey graph: ") != std::string::npos);
    CHECK(first.find("\nkey mode: fast_run\n") != std::string::npos);
    CHECK(first.find("\nkey linker: " + config().get("linker") + "\n") != std::string::npos);
    // The device it runs on, as config "device" or CompileOptions::device names it.
    CHECK(first.find("\nkey device: cpu\n") != std::string::npos);
    const Var y = dvector("y");
    const Function on_cpu = compile({y}, exp(y) * 1.25, {.device = Device::cpu});
    CHECK(on_cpu.key() == compile({y}, exp(y) * 1.25).key());
}

TEST_CASE("with dump_dir set, compile() writes one folder per function with every stage") {
    test::TempDir folder;
    const Var x = dvector("x");
    const Var y = tanh(x) * 2;
    Function f = [&] {
        ConfigOverride dumping{{"dump_dir", folder.path.string()}};
        return compile({x}, y, {.name = "train step/1"});
    }();
    const std::filesystem::path function_folder = folder.path / ("trainstep1-" + f.key().hex().substr(0, 16));
    CHECK(dump_folder_name(f) == function_folder.filename().string());
    REQUIRE(std::filesystem::is_directory(function_folder));
    CHECK(test::file_bytes(function_folder / "summary.txt") == f.compile_report());
    for (const Stage stage : all_stages) {
        CAPTURE(stage_name(stage));
        CHECK(test::file_bytes(function_folder / stage_file(stage)) == f.dump(stage));
    }
    // The graphs in the graph text format, which read back into the same graph.
    for (const Stage stage : {Stage::graph, Stage::optimized}) {
        const std::string text = test::file_bytes(function_folder / (std::string(stage_name(stage)) + ".kiln"));
        CHECK(text == f.graph_text(stage));
        const ParsedGraph read = read_graph_text(text);
        CHECK(write_graph_text(read.outputs, read.inputs, read.updates) == text);
    }
    CHECK(read_graph_text(f.graph_text(Stage::graph)).outputs[0].node()->owner()->op().kind() == "Elemwise");
    CHECK_THROWS_AS(f.graph_text(Stage::kernel), ValueError);
    // Nothing else: no temporary files left behind.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(function_folder)) ++files;
    CHECK(files == all_stages.size() + 3);
}

namespace {

std::uint64_t lowered_for_texts() { return jit::CpuBackend::instance().counters().lowered_for_texts; }

// The code stages of every loop, as dumps print them.
void dump_code_stages(const Function& f) {
    for (const Stage stage : {Stage::llvm, Stage::llvm_optimized, Stage::assembly}) {
        CAPTURE(stage_name(stage));
        CHECK(f.dump(stage).find("kiln_loop_" + f.kernels()[0]->key().hex()) != std::string::npos);
    }
}

} // namespace

TEST_CASE("dumps show the code compile() made without lowering its kernels again") {
    const Var x = dvector("x");
    SUBCASE("kept when compiled with keep_code_texts: no lowering for the dumps") {
        // Constants no other test uses: kernels this process has not compiled.
        const Function f = compile({x}, sum(tanh(x) * 7.0312), {.keep_code_texts = true});
        REQUIRE(f.kernels().size() == 1);
        const std::uint64_t before = lowered_for_texts();
        dump_code_stages(f);
        CHECK(lowered_for_texts() == before);
        const auto texts = jit::CpuBackend::instance().code_texts(*f.kernels()[0], LoopVariant::plain);
        CHECK(texts->ir.find("define") != std::string::npos);
        CHECK(texts->ir_optimized.find("define") != std::string::npos);
        CHECK(texts->ir != texts->ir_optimized);
        CHECK(texts->machine.find(".text") != std::string::npos);
    }
    SUBCASE("kept when config dump_dir is set: writing the folder lowers nothing") {
        test::TempDir folder;
        ConfigOverride dumping{{"dump_dir", folder.path.string()}};
        const std::uint64_t before = lowered_for_texts();
        const Function f = compile({x}, sum(exp(x) * 7.0313));
        REQUIRE(f.kernels().size() == 1);
        REQUIRE_FALSE(can_stream_stores(*f.kernels()[0])); // a reduction has no streaming variant to show
        CHECK(lowered_for_texts() == before);
        CHECK(test::file_bytes(folder.path / dump_folder_name(f) / "asm.s") == f.dump(Stage::assembly));
    }
    SUBCASE("not kept: one lowering per loop variant serves every stage, once") {
        const Function f = compile({x}, x * 7.0314 + 1.0);
        REQUIRE(f.kernels().size() == 1);
        const std::uint64_t variants = can_stream_stores(*f.kernels()[0]) ? 2 : 1;
        const std::uint64_t before = lowered_for_texts();
        dump_code_stages(f);
        CHECK(lowered_for_texts() == before + variants);
        dump_code_stages(f);
        CHECK(lowered_for_texts() == before + variants);
    }
}

TEST_CASE("each fused loop reports the time its machine code took; the schedule shows the buffer plan") {
    const Var x = dmatrix("x");
    const Function f = compile({x}, {sum(exp(x), 1), dot(x, x) + 1});
    bool any_loop = false;
    for (const FunctionStep& step : f.steps()) {
        any_loop = any_loop || step.kernel;
        if (step.kernel) CHECK(step.compile_seconds > 0);
        else CHECK(step.compile_seconds == 0);
    }
    CHECK(any_loop);
    const std::string report = f.compile_report();
    CHECK(report.find("kernels (lowering, LLVM passes, machine code; in parallel): ") != std::string::npos);
    // The same loops again, in another function: each from the kernel cache.
    const Function again = compile({x}, {sum(exp(x), 1), dot(x, x) - 1});
    const std::vector<FunctionStep> steps = again.steps();
    CHECK(steps.front().kernel);
    CHECK(steps.front().from_kernel_cache);
    CHECK(again.compile_report().find(steps.front().kernel->key().hex() + " (kernel cache, ") != std::string::npos);
    const std::string schedule = f.dump(Stage::schedule);
    CHECK(schedule.starts_with("; buffers $0..$"));
    CHECK(schedule.find("; the arguments: $0 x;") != std::string::npos);
    // dot's result is read once, by the loop that adds 1, and freed after it.
    CHECK(schedule.find("op dot\n    reads $0, $0; writes $") != std::string::npos);
    CHECK(schedule.find("; frees $") != std::string::npos);
}

TEST_CASE("a dump folder that cannot be written never fails compile()") {
    test::TempDir folder;
    std::ofstream(folder.file("not_a_folder")) << "x";
    const Var x = dscalar("x");
    ConfigOverride dumping{{"dump_dir", folder.file("not_a_folder") + "/dumps"}};
    const Function f = compile({x}, x * 3);
    test::check_close(f(2.0), {6.0});
}
