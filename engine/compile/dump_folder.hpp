// Dump folders: what compile() did with a function, one file per stage, for
// people and for kiln-dump show / explain.
//
// <dump_dir>/<name>-<key>/ holds summary.txt (compile_report()) and
// graph.txt, optimized.txt, rewrites.txt, schedule.txt, kernel.txt,
// llvm.ll, llvm-opt.ll and asm.s, and the graph before and after rewriting
// in the graph text format, graph.kiln and optimized.kiln (kiln-dump
// compile and eval read them, so a dumped function can be replayed). <name> is the function's name (letters,
// digits, '-' and '_' kept) or "function"; <key> the first 16 hex digits
// of its function key, so the same function compiled again, in this
// process or the next, writes the same folder.
#pragma once

#include "../api/function.hpp"

#include <string>

namespace kiln {

/// The folder's name for this function.
std::string dump_folder_name(const Function& function);

/// Writes the function's folder under config "dump_dir" when that is set.
/// Each file is written whole or not at all (a temporary file renamed);
/// a failure is logged as a warning and never fails compile().
void write_dump_folder_if_asked(const Function& function);

} // namespace kiln
