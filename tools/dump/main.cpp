// kiln-dump: what kiln does with a graph, stage by stage.
#include "commands.hpp"

#include <iostream>

namespace kiln::dump {

namespace {

// The exit codes, without code 3 for commands that never need what a
// machine may lack.
std::string exit_codes(bool may_lack_something = true) {
    return std::string("exit codes:\n"
                       "  0  success\n"
                       "  1  kiln refused the graph or the values (the error is printed as the C++ API raises it)\n"
                       "  2  the command line is wrong\n") +
           (may_lack_something ? "  3  this build or machine lacks what was asked for (Graphviz for svg, a CUDA backend)\n"
                               : "") +
           "  4  an internal error in kiln (please report it)\n";
}

constexpr const char* graph_help =
    "The graph is FILE (- reads standard input) or -e EXPR, in kiln's expression syntax:\n"
    "  x: f64[:,:]; y: f64[:]; out = sum(exp(x) * y, axis=1)\n"
    "declarations name: dtype[dims] (dims ':' or 1 for broadcastable), then assignments\n"
    "separated by ';' or new lines; the last statement gives the outputs;\n"
    "`kiln-dump functions` lists the functions it knows.\n"
    "FILE may also be a graph in the graph text format (it starts with the line `kiln-graph 1`),\n"
    "as `graph --format text` prints it and dump folders keep it (graph.kiln, optimized.kiln):\n"
    "inputs, shared variables with their values, constants, nodes, outputs and updates.\n";

}  // namespace

const std::vector<Command>& commands() {
    static const std::vector<Command> list = {
        {"compile", "compile without running and print a stage",
         "kiln-dump compile FILE|-e EXPR [--stage S] [--target cpu|cuda] [--arch sm_XX] [--save OUT]\n"
         "  --stage   graph, optimized, rewrites, schedule, kernel, llvm, llvm-opt, asm or ptx;\n"
         "            without it, a summary of every stage\n"
         "  --target  cpu (default) or cuda (PTX; not built yet)\n"
         "  --save    write the compiled function to OUT (save_function): optimized graph, shared\n"
         "            values and kernels' object code; `kiln-dump eval OUT --set ...` runs it\n",
         {}, {"stage", "target", "arch", "save"}, run_compile, true, true},
        {"eval", "compile, run with the given values and print the outputs",
         "kiln-dump eval FILE|-e EXPR --set NAME=VALUE... [--json] [--allow-input-downcast]\n"
         "                [--show-updates] [--compile-if-incompatible]\n"
         "  FILE may be a saved function (compile --save): it is loaded, not compiled; one saved for\n"
         "  another machine or build of kiln is refused unless --compile-if-incompatible\n"
         "  --set NAME=VALUE  a value for each input: a literal such as '[[1, 2], [3, 4]]' or 2.5,\n"
         "                    converted to the input's dtype exactly as in C++, or @file.npy; for a\n"
         "                    shared variable, a value that replaces its stored one for this run\n"
         "  --json            one JSON object per output: name, dtype, shape, values\n"
         "  --allow-input-downcast  round values to the inputs' dtypes (0.1 into f32) instead of refusing\n"
         "  --show-updates    after the outputs, each updated shared variable's new value, as name'\n"
         "Outputs print as NumPy's print() shows them; several are labelled by name.\n",
         {"json", "allow-input-downcast", "compile-if-incompatible", "show-updates"}, {"set"}, run_eval, true},
        {"graph", "print the graph as text, Graphviz DOT or SVG",
         "kiln-dump graph FILE|-e EXPR [--format text|dot|svg] [--stage graph|optimized]\n"
         "  --format  text (the graph text format, default; compile and eval read it back), dot,\n"
         "            or svg (rendered by Graphviz's dot)\n"
         "  --stage   optimized (default: as compiled, fused loops drawn as clusters) or graph\n",
         {}, {"format", "stage"}, run_graph, true, true},
        {"show", "read the dump folders a program wrote (KILN_DUMP_DIR)",
         "kiln-dump show DIR [--stage S]\n"
         "  DIR       the dump folder: lists its functions; or one function's folder: prints its summary\n"
         "  --stage   graph, optimized, rewrites, schedule, kernel, llvm, llvm-opt or asm of one function\n"
         "A program run with KILN_DUMP_DIR=DIR (or config dump_dir) writes DIR/<name>-<key>/ for every\n"
         "compile(): summary.txt, graph.txt, optimized.txt, rewrites.txt, schedule.txt, kernel.txt,\n"
         "llvm.ll, llvm-opt.ll and asm.s, and graph.kiln and optimized.kiln (the graph text format:\n"
         "`kiln-dump eval DIR/<folder>/graph.kiln --set ...` runs the function again).\n",
         {}, {"stage"}, run_show},
        {"explain", "why two dump folders hold different functions or kernels",
         "kiln-dump explain DIR_A DIR_B\n"
         "  DIR_A, DIR_B  two functions' dump folders (see show): prints the first differing component\n"
         "                of the function key, the first difference between the graphs, the kernels\n"
         "                only one of them has, and a different target\n",
         {}, {}, run_explain},
        {"cache", "list, show, verify or clear the on-disk kernel cache",
         "kiln-dump cache [list|show NAME|verify|clear] [--dir DIR]\n"
         "  list    the totals, then every entry, most recently used first: its name, kind (a kernel's\n"
         "          object code, or a function's optimized graph), size, last use, kernel or function\n"
         "          key, CPU\n"
         "  show    one entry's manifest (NAME or the start of it): what it was made for, and a kernel's\n"
         "          kernel IR and optimized LLVM IR, or a function's kernels and optimized graph\n"
         "  verify  the entries that would not load, and why (exit code 1 when there are any)\n"
         "  clear   remove every entry\n"
         "  --dir   the cache folder (default: config disk_cache_dir: KILN_CACHE_DIR, else\n"
         "          $XDG_CACHE_HOME/kiln, else ~/.cache/kiln)\n",
         {}, {"dir"}, run_cache},
        {"functions", "list the functions of the expression syntax", "kiln-dump functions\n", {}, {}, run_functions},
    };
    return list;
}

namespace {

std::string overview() {
    std::string text = "kiln-dump: inspect what kiln does with a graph.\n\nusage: kiln-dump COMMAND [options]\n\n";
    for (const Command& command : commands()) {
        std::string name = command.name;
        name.resize(11, ' ');
        text += "  " + name + command.summary + "\n";
    }
    text += "\n`kiln-dump COMMAND --help` shows a command's options.\n\n";
    return text + graph_help + "\n" + exit_codes();
}

const char* error_kind(const Error& error) {
    if (dynamic_cast<const SyntaxError*>(&error)) return "SyntaxError";
    if (dynamic_cast<const DisconnectedInputError*>(&error)) return "DisconnectedInputError";
    if (dynamic_cast<const TypeError*>(&error)) return "TypeError";
    if (dynamic_cast<const ValueError*>(&error)) return "ValueError";
    if (dynamic_cast<const IndexError*>(&error)) return "IndexError";
    if (dynamic_cast<const UnusedInputError*>(&error)) return "UnusedInputError";
    if (dynamic_cast<const MissingInputError*>(&error)) return "MissingInputError";
    return "Error";
}

int run(const std::vector<std::string>& arguments) {
    if (arguments.empty() || arguments[0] == "--help" || arguments[0] == "-h" || arguments[0] == "help") {
        std::cout << overview();
        return arguments.empty() ? 2 : 0;
    }
    const auto found = std::find_if(commands().begin(), commands().end(),
                                    [&](const Command& command) { return arguments[0] == command.name; });
    if (found == commands().end()) {
        std::cerr << "kiln-dump: unknown command '" << arguments[0] << "'\n\n" << overview();
        return 2;
    }
    const Command& command = *found;
    try {
        const CommandLine line = parse_command_line(command.name, {arguments.begin() + 1, arguments.end()},
                                                    command.flags, command.valued);
        if (line.help) {
            std::cout << "usage: " << command.usage << "\n"
                      << (command.reads_graph ? std::string(graph_help) + "\n" : std::string())
                      << exit_codes(command.may_lack_something);
            return 0;
        }
        command.run(line, std::cout);
        std::cout.flush();
        return 0;
    } catch (const UsageError& error) {
        std::cerr << "kiln-dump " << command.name << ": " << error.what() << "\n(kiln-dump " << command.name
                  << " --help shows the options)\n";
        return 2;
    } catch (const UnavailableError& error) {
        std::cerr << "kiln-dump " << command.name << ": " << error.what() << "\n";
        return 3;
    } catch (const InternalError& error) {
        std::cerr << "kiln-dump " << command.name << ": " << error.what() << "\n";
        return 4;
    } catch (const Error& error) {
        std::cerr << "kiln-dump " << command.name << ": " << error_kind(error) << ": " << error.what() << "\n";
        return 1;
    }
}

}  // namespace

}  // namespace kiln::dump

int main(int argc, char** argv) { return kiln::dump::run({argv + 1, argv + argc}); }
