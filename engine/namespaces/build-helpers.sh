#!/bin/sh
# Builds the engine's small static C programs, run by `npm run build` (and so by
# `npm install` in a checkout; a packed Dockling runs it from install-helpers.mjs): chapter
# 3's dockling-init (the container's start: namespaces, mounts, pivot_root, capabilities,
# exec), dockling-shim (the per-container supervisor) and dockling-pty (the terminal of an
# `exec -t`), the daemon's dockling-spawn (its fork server) and the registry's
# dockling-sendfile (big blobs from the page cache to a socket).
# Static, because dockling-init and dockling-pty run inside the container where the host's
# shared libraries are out of sight; the others are static to stay small.
set -eu
out=${1:?usage: build-helpers.sh OUTDIR}
src=$(dirname "$0")
mkdir -p "$out"
# $CC as make reads it (unquoted below: it may carry flags), else cc.
cc=${CC:-cc}
if ! command -v ${cc%% *} >/dev/null 2>&1; then
  echo "dockling: building the static helpers needs a C compiler: apt-get install gcc libc6-dev" >&2
  exit 1
fi
# OUTDIR is dist/engine/namespaces; the others go to their siblings (dist/engine/daemon, …).
mkdir -p "$out/../daemon" "$out/../registry/server"
for prog in namespaces/dockling-init namespaces/dockling-shim namespaces/dockling-pty daemon/dockling-spawn registry/server/dockling-sendfile; do
  name=${prog#*/}
  [ -f "$src/../$prog.c" ] || continue
  if ! $cc -static -Os -Wall -o "$out/../$prog" "$src/../$prog.c"; then
    echo "dockling: could not build $name statically; the static C library comes with libc6-dev (apt-get install gcc libc6-dev)" >&2
    exit 1
  fi
done
