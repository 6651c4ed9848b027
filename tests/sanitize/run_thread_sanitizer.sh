#!/usr/bin/env bash
# The test 'thread_sanitizer': a clang build of its own (BUILD_ROOT/tsan)
# with ThreadSanitizer, of the library and the engine suite only, running
# the tests that call kiln from many threads at once (compile, calls,
# updates, get_value and set_value). Generated loops and LLVM itself are
# not instrumented: TSan sees kiln's own code.
# Runs when KILN_SANITIZE=1 (CI sets it); otherwise it reports a skip.
# usage: run_thread_sanitizer.sh SOURCE_ROOT BUILD_ROOT
set -euo pipefail
source_root=$1
build_root=$2

if [[ "${KILN_SANITIZE:-0}" != 1 ]]; then
    echo "not run: KILN_SANITIZE=1 builds kiln with clang and TSan and runs the concurrency tests there"
    exit 77
fi
clang=$("$source_root/tests/sanitize/find_clang.sh")

build=$build_root/tsan
if [[ ! -f "$build/build.ninja" ]]; then
    CXX=$clang meson setup "$build" "$source_root" -Db_sanitize=thread -Db_lundef=false -Dexamples=false \
        -Dtools=false -Doptimization=1 -Ddebug=false -Dcpp_args=-gline-tables-only > "$build.setup.log" 2>&1 ||
        { cat "$build.setup.log"; exit 1; }
fi
meson compile -C "$build" tests/engine_tests

# On one CPU, oneTBB starts no worker threads: its library is not built
# with TSan, and its hand-offs of tasks between workers (atomics TSan cannot
# see) read as races in TBB's own header code. The test's host threads still
# interleave there, and TSan judges their synchronization by happens-before,
# not by timing; kiln's code inside TBB's parallel loops is left unchecked.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
KILN_CACHE=off taskset -c 0 "$build/tests/engine_tests" -sf='*concurrency*'
KILN_CACHE=off taskset -c 0 "$build/tests/engine_tests" -tc='*from several threads*,*from another thread*'
