#!/usr/bin/env bash
# The test 'sanitizers': a clang build of its own (BUILD_ROOT/sanitize) with
# AddressSanitizer and UndefinedBehaviorSanitizer (Meson's b_sanitize) and
# libFuzzer's coverage, at -O1 with line tables only (a quicker build; stack
# traces keep their lines). There
#   1. the whole suite runs, every test of it under both sanitizers;
#   2. each libFuzzer target (tests/fuzz) runs for KILN_FUZZ_SECONDS (30)
#      from its seeds; a finding is left as BUILD_ROOT/sanitize/finding-*.
# Runs when KILN_SANITIZE=1 (CI sets it); otherwise it reports a skip.
# usage: run_sanitizers.sh SOURCE_ROOT BUILD_ROOT
set -euo pipefail
source_root=$1
build_root=$2
seconds=${KILN_FUZZ_SECONDS:-30}

if [[ "${KILN_SANITIZE:-0}" != 1 ]]; then
    echo "not run: KILN_SANITIZE=1 builds kiln with clang, ASan and UBSan, runs the suite there, then fuzzes"
    exit 77
fi
clang=$("$source_root/tests/sanitize/find_clang.sh" fuzzer)

build=$build_root/sanitize
if [[ ! -f "$build/build.ninja" ]]; then
    CXX=$clang meson setup "$build" "$source_root" -Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=true \
        -Doptimization=1 -Ddebug=false > "$build.setup.log" 2>&1 || { cat "$build.setup.log"; exit 1; }
fi
meson compile -C "$build"

# Leaks count as failures; UBSan stops at its first report. Tests ask for
# more memory than any machine has, on purpose: ASan then throws
# std::bad_alloc as the plain allocator does, rather than stopping.
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
echo "== the whole suite under ASan and UBSan =="
# Inside, this test and the thread sanitizer's skip (no KILN_SANITIZE).
env -u KILN_SANITIZE meson test -C "$build" --print-errorlogs --no-rebuild --timeout-multiplier 3 || status=1

targets=(graph_text expression npy idx saved_function cache_entry array_binding)
for target in "${targets[@]}"; do
    corpus=$build/corpus/$target
    mkdir -p "$corpus"
    dictionary=()
    if [[ $target == graph_text || $target == expression ]]; then
        dictionary=(-dict="$source_root/tests/fuzz/graph_text.dict")
    fi
    echo "== fuzz_$target for ${seconds}s =="
    KILN_CACHE=off "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
        -malloc_limit_mb=2048 "${dictionary[@]}" -artifact_prefix="$build/finding-$target-" \
        -print_final_stats=1 "$corpus" "$source_root/tests/fuzz/seeds/$target" 2>&1 | tail -n 40 ||
        status=1
done
exit "$status"
