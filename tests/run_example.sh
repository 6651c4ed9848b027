#!/bin/sh
# Runs an example program and compares its output with the expected text.
set -eu
program=$1
expected=$2
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
"$program" > "$actual"
if ! diff -u "$expected" "$actual"; then
    echo "$(basename "$program"): output differs from $expected" >&2
    exit 1
fi
