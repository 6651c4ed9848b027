#!/usr/bin/env bash
# Prints the clang++ the sanitizer builds use (clang++-19, else clang++);
# with "fuzzer", one that also links libFuzzer. Debian: clang-19 libclang-rt-19-dev.
set -euo pipefail
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
flags=(-fsanitize=address,undefined)
program='int main() { return 0; }'
if [[ "${1:-}" == fuzzer ]]; then
    flags=(-fsanitize=fuzzer)
    program='extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }'
fi
for candidate in clang++-19 clang++; do
    if command -v "$candidate" > /dev/null &&
        echo "$program" | "$candidate" -x c++ "${flags[@]}" - -o "$probe/probe" 2> /dev/null; then
        echo "$candidate"
        exit 0
    fi
done
echo "no clang++ with the sanitizer runtimes was found (Debian: clang-19 libclang-rt-19-dev)" >&2
exit 1
