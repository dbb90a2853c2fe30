#!/usr/bin/env bash
# Rebuilds the example component with jco, which is not a dependency of this
# project (@bytecodealliance/jco pulls in ~340 MB; the transpiler alone is
# enough): installs @bytecodealliance/jco-transpile from npm into a temporary
# directory, builds, and removes it. The outputs are committed, so running
# the example and its test needs none of this.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npm install --prefix "$tmp" --no-audit --no-fund --silent @bytecodealliance/jco-transpile@0.15.0
cd "$here/../.."
node "$here/build.mjs" "$tmp/node_modules/@bytecodealliance/jco-transpile"
