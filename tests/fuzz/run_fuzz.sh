#!/usr/bin/env bash
# The test 'fuzz': builds the libFuzzer targets with clang in their own
# build folder (BUILD_ROOT/fuzz) and runs each for KILN_FUZZ_SECONDS
# (default 60) from the checked-in seeds, at -O1 with line tables only (a
# quicker build; stack traces keep their lines). Runs when KILN_FUZZ=1 (CI sets
# it); otherwise it reports a skip. A finding is left as
# BUILD_ROOT/fuzz/finding-* and fails the test.
# usage: run_fuzz.sh SOURCE_ROOT BUILD_ROOT
set -euo pipefail
source_root=$1
build_root=$2
seconds=${KILN_FUZZ_SECONDS:-60}

if [[ "${KILN_FUZZ:-0}" != 1 ]]; then
    echo "not run: KILN_FUZZ=1 builds the fuzz targets with clang and runs each for KILN_FUZZ_SECONDS (60)"
    exit 77
fi

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
clang=""
for candidate in clang++-19 clang++; do
    if command -v "$candidate" > /dev/null &&
        echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
        "$candidate" -x c++ -fsanitize=fuzzer - -o "$probe/probe" 2> /dev/null; then
        clang=$candidate
        break
    fi
done
if [[ -z "$clang" ]]; then
    echo "KILN_FUZZ=1, but no clang++ with libFuzzer was found (Debian: clang-19 libclang-rt-19-dev)"
    exit 1
fi

fuzz_build=$build_root/fuzz
if [[ ! -f "$fuzz_build/build.ninja" ]]; then
    CXX=$clang meson setup "$fuzz_build" "$source_root" -Dfuzzing=true -Dtests=false -Dexamples=false \
        -Dtools=false -Db_lundef=false -Doptimization=1 -Ddebug=false > "$fuzz_build.setup.log" 2>&1 ||
        { cat "$fuzz_build.setup.log"; exit 1; }
fi
meson compile -C "$fuzz_build" fuzz_graph_text fuzz_expression

status=0
for target in graph_text expression; do
    corpus=$fuzz_build/corpus/$target
    mkdir -p "$corpus"
    echo "== fuzz_$target for ${seconds}s =="
    "$fuzz_build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
        -dict="$source_root/tests/fuzz/graph_text.dict" -artifact_prefix="$fuzz_build/finding-$target-" \
        -print_final_stats=1 "$corpus" "$source_root/tests/fuzz/seeds/$target" 2>&1 | tail -n 40 ||
        status=1
done
exit "$status"
