#!/bin/sh
# Installs the build into a temporary root, then builds and runs a small host
# program against it with nothing but `pkg-config --cflags --libs kiln`.
# The README's tour of the API is such a program too: it is cut out of the
# README, built and run, and the values its comments promise are checked.
# usage: check_install.sh BUILD CONSUMER README [COMPILER [FLAGS]]: a
# sanitizer build passes its compiler and -fsanitize flags, which the
# consumer, linked to an instrumented library, needs too.
set -eu
build=$1
consumer=$2
readme=$3
compiler=${4:-c++}
extra_flags=${5:-}
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

awk '/^## A tour of the API/ { in_tour = 1 } in_tour && /^```cpp/ { code = 1; next } code && /^```/ { exit } code { print }' \
    "$readme" > "$root/tour.cpp"
[ -s "$root/tour.cpp" ] || { echo "no C++ block under the README's '## A tour of the API'" >&2; exit 1; }
# shellcheck disable=SC2086 # the flags are words
"$compiler" -std=c++20 $extra_flags -o "$root/tour" "$root/tour.cpp" $(pkg-config $flags --cflags --libs kiln) \
    -Wl,-rpath,"$libdir"
tour_output=$(cd "$root" && ./tour)
for promised in '(x + y)' 'array(5.)' 'array(6.)' 'Elemwise{mul,no_inplace}' 'sum(m.T, axis=[1])' \
    '(TensorConstant{2.0} * x)' '1.09861' 'array([0])'; do
    if ! printf '%s\n' "$tour_output" | grep -qxF -- "$promised"; then
        printf "the README's tour did not print the line %s; it printed:\n%s\n" "$promised" "$tour_output" >&2
        exit 1
    fi
done
echo "installed kiln builds and runs a host program and the README's tour: ok"
