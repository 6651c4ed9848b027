#!/bin/sh
# Installs the build into a temporary root, then builds and runs a small host
# program against it with nothing but `pkg-config --cflags --libs kiln`.
# usage: check_install.sh BUILD CONSUMER [COMPILER [FLAGS]]: a sanitizer
# build passes its compiler and -fsanitize flags, which the consumer, linked
# to an instrumented library, needs too.
set -eu
build=$1
consumer=$2
compiler=${3:-c++}
extra_flags=${4:-}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

meson install -C "$build" --destdir "$root" --no-rebuild > "$root/install.log"
pc=$(find "$root" -name kiln.pc | head -n 1)
[ -n "$pc" ] || { echo "no kiln.pc was installed" >&2; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
flags="--define-variable=prefix=$root$prefix"
libdir=$(pkg-config $flags --variable=libdir kiln)

# shellcheck disable=SC2086 # the flags are words
"$compiler" -std=c++20 $extra_flags -o "$root/consumer" "$consumer" $(pkg-config $flags --cflags --libs kiln) \
    -Wl,-rpath,"$libdir"
output=$("$root/consumer")
expected='(x + y)
array(5.)'
if [ "$output" != "$expected" ]; then
    printf 'consumer printed:\n%s\nexpected:\n%s\n' "$output" "$expected" >&2
    exit 1
fi
echo "installed kiln builds and runs a host program: ok"
