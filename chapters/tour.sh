#!/usr/bin/env bash
# The guided tour: what `npm run tour` runs. It walks one step of each chapter, each step a
# command you can type yourself, records the engine's trace of everything it did, and ends with
# the site replaying that trace on its "Your tour" page.
# Run as root (the daemon owns a data root and a root-owned socket, like dockerd).
#   DOCKLING_TOUR_SITE=serve (default)  build the site, put the trace in it, serve it on :4173
#   DOCKLING_TOUR_SITE=build            the same, without serving it
#   DOCKLING_TOUR_SITE=none             only write the trace, to $DOCKLING_TOUR_TRACE
#   DOCKLING_TOUR_DAEMON_ARGS           more flags for the daemon the tour starts (its --bridge …)
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_ROOT=${DOCKLING_DATA_ROOT:-/var/lib/dockling}
SOCK=${DOCKLING_SOCK:-/run/dockling.sock}
export DOCKLING_HOST="unix://$SOCK"
dockling() { node dist/engine/cli/main.js "$@"; }
step() { printf '\n\033[1m$ dockling %s\033[0m\n' "$*"; dockling "$@"; }

if [ "$(id -u)" != 0 ]; then
  echo "The tour runs the engine for real: run it as root (sudo npm run tour)." >&2
  exit 1
fi

started=""
if ! dockling version >/dev/null 2>&1; then
  echo "Starting the daemon: dockling daemon --data-root $DATA_ROOT -H unix://$SOCK"
  # shellcheck disable=SC2086 # the extra flags are words
  node dist/engine/cli/main.js daemon --data-root "$DATA_ROOT" -H "unix://$SOCK" ${DOCKLING_TOUR_DAEMON_ARGS:-} >"/tmp/dockling-tour-daemon.log" 2>&1 &
  started=$!
  trap '[ -n "$started" ] && kill "$started" 2>/dev/null; wait 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do dockling version >/dev/null 2>&1 && break; sleep 0.1; done
fi

# Where the tour begins in the daemon's trace: what it did is everything after this byte.
TRACE_FILE="$DATA_ROOT/trace/events.jsonl"
TRACE_START=$(stat -c %s "$TRACE_FILE" 2>/dev/null || echo 0)
SITE_MODE=${DOCKLING_TOUR_SITE:-serve}

echo
echo "== Chapter 1: layers =="
step version
step base-image
step images
step image inspect --format '{{.Id}}  {{.Os}}/{{.Architecture}}  layers: {{len .RootFS.Layers}}' busybox
step history busybox
step tag busybox tour/busybox:chapter1
step images
step save -o /tmp/dockling-tour-busybox.tar busybox tour/busybox:chapter1
step rmi tour/busybox:chapter1
step load -i /tmp/dockling-tour-busybox.tar
step images
rm -f /tmp/dockling-tour-busybox.tar

echo
echo "== Chapter 2: union fs =="
dockling rm tour-box >/dev/null 2>&1 || true
step info --format '{{.Driver}}'
step create --name tour-box busybox sh
echo 'hello from the host' > /tmp/dockling-tour-hello.txt
step cp /tmp/dockling-tour-hello.txt tour-box:/root/hello.txt
rm -f /tmp/dockling-tour-hello.txt
step diff tour-box
step commit -m "add hello.txt" tour-box tour/hello:1
step history tour/hello:1
step image layers tour/hello:1
step export -o /tmp/dockling-tour-export.tar tour-box
echo "exported $(tar -tf /tmp/dockling-tour-export.tar | wc -l) entries"; rm -f /tmp/dockling-tour-export.tar
step rm tour-box
step rmi tour/hello:1

echo
echo "== Chapter 3: namespaces =="
dockling rm -f tour-sleeper >/dev/null 2>&1 || true
step run --rm busybox sh -c 'echo "pid $$ on $(hostname)"; grep CapEff /proc/self/status; ps'
step run -d --name tour-sleeper -m 64m --pids-limit 50 busybox sh -c 'echo started; sleep 600'
step ps
step logs tour-sleeper
step exec tour-sleeper ps
step stop -t 1 tour-sleeper
step ps -a --filter name=tour-sleeper
step rm tour-sleeper

echo
echo "== Chapter 4: registry =="
# A registry for the room, on loopback: 127.0.0.0/8 is always insecure, so the daemon tries
# HTTPS (unverified) first, and speaks plain HTTP to this one when HTTPS gets no answer.
REG_PORT=${DOCKLING_TOUR_REGISTRY_PORT:-5055}
REG_ROOT=$(mktemp -d /tmp/dockling-tour-registry.XXXXXX)
REG_TRACE=$(mktemp /tmp/dockling-tour-registry-trace.XXXXXX)
echo "Starting a registry: dockling registry --listen 127.0.0.1:$REG_PORT --data-root $REG_ROOT --trace $REG_TRACE"
node dist/engine/cli/main.js registry --listen "127.0.0.1:$REG_PORT" --data-root "$REG_ROOT" --trace "$REG_TRACE" >"/tmp/dockling-tour-registry.log" 2>&1 &
registry=$!
trap 'kill "$registry" 2>/dev/null || true; rm -rf "$REG_ROOT" "$REG_TRACE"; [ -n "$started" ] && kill "$started" 2>/dev/null; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do node -e "fetch('http://127.0.0.1:$REG_PORT/v2/').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" && break; sleep 0.1; done
step tag busybox "127.0.0.1:$REG_PORT/tour/busybox:1"
step push "127.0.0.1:$REG_PORT/tour/busybox:1"
step rmi "127.0.0.1:$REG_PORT/tour/busybox:1"
step pull "127.0.0.1:$REG_PORT/tour/busybox:1"
step run --rm "127.0.0.1:$REG_PORT/tour/busybox:1" echo "pulled and run"
step rmi "127.0.0.1:$REG_PORT/tour/busybox:1"
kill "$registry" 2>/dev/null; wait "$registry" 2>/dev/null || true

echo
echo "== Chapter 5: build =="
# A Dockerfile and a context of two files; the second build finds every step in the cache.
BUILD_CTX=$(mktemp -d /tmp/dockling-tour-build.XXXXXX)
printf 'hello from the build context\n' > "$BUILD_CTX/hello.txt"
cat > "$BUILD_CTX/Dockerfile" <<'DF'
FROM busybox
ENV GREETING=hello
WORKDIR /app
COPY hello.txt .
RUN echo "$GREETING from RUN" > run.txt && cat hello.txt run.txt
CMD ["cat", "/app/hello.txt", "/app/run.txt"]
DF
step build -t tour/app:1 "$BUILD_CTX"
step build -t tour/app:1 "$BUILD_CTX"
step run --rm tour/app:1
step history tour/app:1
step rmi tour/app:1
rm -rf "$BUILD_CTX"

echo
echo "== What the engine did =="
# The daemon writes its trace as it goes: wait until the file stops growing, so every span the
# tour opened is closed, then cut the tour's part out and merge the registry's trace into it.
last=-1
for _ in $(seq 1 50); do
  size=$(stat -c %s "$TRACE_FILE")
  [ "$size" = "$last" ] && break
  last=$size; sleep 0.2
done
TOUR_TRACE=${DOCKLING_TOUR_TRACE:-site/.vitepress/dist/tour/trace.jsonl}
if [ "$SITE_MODE" != none ]; then
  echo "Building the site (npm run site:build)…"
  npx vitepress build site >/tmp/dockling-tour-site.log 2>&1 || { cat /tmp/dockling-tour-site.log >&2; exit 1; }
  TOUR_TRACE=site/.vitepress/dist/tour/trace.jsonl
fi
node chapters/tour-trace.mjs "$TRACE_FILE" "$TRACE_START" "$REG_TRACE" "$TOUR_TRACE"
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  const ops = {};
  for (const e of lines) if (e.phase === "end") ops[e.op] = (ops[e.op] || 0) + 1;
  console.log(Object.entries(ops).map(([op, n]) => `  ${op} x${n}`).join("\n"));
' "$TOUR_TRACE"
if [ "$SITE_MODE" = serve ]; then
  echo
  echo "The site replays this tour: open http://localhost:4173/tour"
  echo "(the chapters are there too; Ctrl-C stops the site and the daemon the tour started)"
  npx vitepress preview site --port 4173
fi
