#!/bin/sh
# Builds chapter 3's two small static C programs, run by `npm run build` (and so by
# `npm install`): dockling-init, the last step into a container (pivot_root, capabilities,
# exec), and dockling-shim, the per-container supervisor. Static, because dockling-init runs
# after pivot_root where the host's shared libraries are gone.
set -eu
out=${1:?usage: build-helpers.sh OUTDIR}
src=$(dirname "$0")
mkdir -p "$out"
if ! command -v cc >/dev/null 2>&1; then
  echo "dockling: building the static helpers needs a C compiler: apt-get install gcc libc6-dev" >&2
  exit 1
fi
for prog in dockling-init dockling-shim; do
  [ -f "$src/$prog.c" ] || continue
  if ! cc -static -Os -Wall -o "$out/$prog" "$src/$prog.c"; then
    echo "dockling: could not build $prog statically; the static C library comes with libc6-dev (apt-get install gcc libc6-dev)" >&2
    exit 1
  fi
done
