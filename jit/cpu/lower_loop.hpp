// Kernel IR to LLVM IR (internal to jit/): one function per kernel and
// variant with the LoopFunction signature, holding a unit-stride loop (which
// vectorizes) and a strided loop, chosen at run time by the strides.
#pragma once

#include "../../ir/kernel.hpp"
#include "../../ir/loop_abi.hpp"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace kiln::jit {

/// A module holding `function_name`; scalar math the loop needs is declared
/// as libm functions without side effects so the vectorizer may map them to
/// vector variants.
std::unique_ptr<llvm::Module> lower_loop(const Kernel& kernel, LoopVariant variant, const std::string& function_name,
                                         llvm::LLVMContext& context);

} // namespace kiln::jit
