#!/usr/bin/env bash
# Builds the C test guests (and the example guest) with Debian's clang, lld
# and wasi-libc:
#   apt-get install clang lld wasi-libc libclang-rt-dev-wasm32
# The .wasm files are committed next to their sources, so the tests also run
# where clang is missing; run this after changing a .c file.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
build() {
  clang --target=wasm32-wasi -O2 -Wall -Wno-unused-result -I "$root/wasm/include" \
    -o "$2" "$1" -Wl,--strip-all
}
for src in "$here"/*.c; do build "$src" "${src%.c}.wasm"; done
build "$root/examples/wasm_guest.c" "$root/examples/wasm_guest.wasm"
echo "built $(ls "$here"/*.c | wc -l) test guests and examples/wasm_guest.wasm"
