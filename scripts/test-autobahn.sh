#!/usr/bin/env bash
# Runs the Autobahn testsuite against websock's agents, all cases ("*"):
#   fuzzingclient -> the echo-server example of each runtime (3 server agents),
#                    core's mio_echo example, the reference custom driver (server-mio),
#                    websock-tokio's hyper-server example, the echo server inside
#                    hyper 1 with the `upgrade` module (server-hyper), and the four echo
#                    servers again with `--streaming` (every message received and echoed
#                    chunk by chunk, never held whole: server-RT-streaming)
#   fuzzingserver <- the autobahn-client example of each runtime (3 client agents)
# Each agent runs in its own wstest process, all at once (sections 12 and 13,
# permessage-deflate, dominate the time; wstest is single-threaded Python).
# Then validates every reports/autobahn/*/index.json (each case OK or INFORMATIONAL;
# NON-STRICT, FAILED and UNIMPLEMENTED are failures) and prints the summary table,
# also written to reports/autobahn/summary.md. HTML reports stay in reports/autobahn/
# (ignored by git).
#
# Sections 12 and 13 cost ~9 CPU-minutes of wstest per agent, so each engine path runs
# them once: whole messages through websock-core's async handle (tokio's server and
# client), the custom driver (mio), hyper's upgraded stream (hyper) and websock-std's
# client; streamed messages through std-streaming (the session layer's streamed reader
# and writer over websock-std's driver, on the engine's streaming receive and inflate).
# The agents in AUTOBAHN_LIGHT run every other section (1-10: framing, fragmentation,
# UTF-8, limits, close), which takes seconds. smol is light on both sides: its agents
# drive the same async handle as tokio's, and only its I/O glue differs, which sections
# 1-10 exercise.
#
# Env: AUTOBAHN_CASES (default "*", comma-separated case patterns),
#      AUTOBAHN_RUNTIMES (default "tokio smol std mio hyper tokio-streaming
#        smol-streaming std-streaming mio-streaming"; "mio" is websock-core's mio_echo
#        example and "hyper" websock-tokio's hyper-server example; mio, hyper and the
#        RT-streaming agents are servers only),
#      AUTOBAHN_LIGHT (default "server-smol client-smol server-std
#        server-tokio-streaming server-smol-streaming server-mio-streaming": the agents,
#        named SIDE-RUNTIME, that skip sections 12 and 13; empty runs them for all),
#      AUTOBAHN_SIDES (default "server client": which agents of each runtime to test),
#      WEBSOCK_DEFLATE_LEVEL (default 1: the compression level of our agents; sections 12
#        and 13 test permessage-deflate's protocol, which no level changes, and level 1
#        takes a quarter of level 6's CPU: measured, our echo server's share of those
#        cases fell from ~30% of the run's CPU to ~15%. Level 6, the product default, is
#        what the unit, interop and fuzz tests use).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# wstest on CPython 2.7 (WEBSOCK_AUTOBAHN_PYTHON=pypy for PyPy 2.7, which needs ~2-4 GB
# per lane: not for all eight at once): the path is the installer's last line.
wstest="$(tests/peers/install-autobahn.sh | tail -n 1)"
cases="${AUTOBAHN_CASES:-*}"
export WEBSOCK_DEFLATE_LEVEL="${WEBSOCK_DEFLATE_LEVEL:-1}"
runtimes="${AUTOBAHN_RUNTIMES:-tokio smol std mio hyper tokio-streaming smol-streaming std-streaming mio-streaming}"
light="${AUTOBAHN_LIGHT-server-smol client-smol server-std server-tokio-streaming server-smol-streaming server-mio-streaming}"
sides="${AUTOBAHN_SIDES:-server client}"

# Whether runtime $1 has an agent on side $2 selected (mio, hyper and the streaming
# echo servers, RT-streaming: server only).
selected() {
  [[ " $sides " == *" $2 "* ]] && { { [ "$1" != mio ] && [ "$1" != hyper ] && [[ "$1" != *-streaming ]]; } || [ "$2" = server ]; }
}

out="$root/reports/autobahn"
mkdir -p "$out"
dirs=()
for rt in $runtimes; do
  for side in $sides; do
    selected "$rt" "$side" || continue
    rm -rf "$out/$side-$rt"
    dirs+=("$out/$side-$rt")
  done
done

# The three runtimes' examples share names, so each is built and copied on its own.
bin="$out/bin"
mkdir -p "$bin"
for rt in $runtimes; do
  rt="${rt%-streaming}"
  if [ "$rt" = mio ]; then
    cargo build -q --release -p websock-core --example mio_echo
    cp target/release/examples/mio_echo "$bin/echo-server-mio"
    continue
  fi
  if [ "$rt" = hyper ]; then
    cargo build -q --release -p websock-tokio --example hyper-server
    cp target/release/examples/hyper-server "$bin/echo-server-hyper"
    continue
  fi
  for ex in echo-server autobahn-client; do
    cargo build -q --release -p "websock-$rt" --example "$ex"
    cp "target/release/examples/$ex" "$bin/$ex-$rt"
  done
done

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 400); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "port $1 did not open" >&2
  return 1
}

json_cases() { printf '"%s"' "$cases" | sed 's/,/","/g'; }

lanes=()
start=$SECONDS
i=0
for rt in $runtimes; do
  # Our server, Autobahn as the client.
  if selected "$rt" server; then
  sport=$((9101 + i)); dir="$out/server-$rt"; mkdir -p "$dir"
  flags=(); exe="$bin/echo-server-$rt"
  if [[ "$rt" == *-streaming ]]; then flags=(--streaming); exe="$bin/echo-server-${rt%-streaming}"; fi
  "$exe" "127.0.0.1:$sport" "${flags[@]}" >"$dir/echo-server.log" 2>&1 &
  pids+=($!)
  wait_port "$sport"
  exclude=""
  if [[ " $light " == *" server-$rt "* ]]; then exclude='"12.*", "13.*"'; fi
  cat >"$dir/spec.json" <<JSON
{"outdir": "$dir", "servers": [{"agent": "websock-$rt-server", "url": "ws://127.0.0.1:$sport"}],
 "cases": [$(json_cases)], "exclude-cases": [$exclude], "exclude-agent-cases": {}}
JSON
  (cd "$dir" && exec timeout 3600 "$wstest" -m fuzzingclient -s spec.json >wstest.log 2>&1) &
  lanes+=($!)
  fi

  # Our client, Autobahn as the server.
  if selected "$rt" client; then
  cport=$((9201 + i)); dir="$out/client-$rt"; mkdir -p "$dir"
  exclude=""
  if [[ " $light " == *" client-$rt "* ]]; then exclude='"12.*", "13.*"'; fi
  cat >"$dir/spec.json" <<JSON
{"url": "ws://127.0.0.1:$cport", "outdir": "$dir", "cases": [$(json_cases)],
 "exclude-cases": [$exclude], "exclude-agent-cases": {}}
JSON
  (cd "$dir" && exec "$wstest" -m fuzzingserver --webport 0 -s spec.json >wstest.log 2>&1) &
  wspid=$!
  pids+=($wspid)
  wait_port "$cport"
  ( timeout 3600 "$bin/autobahn-client-$rt" "ws://127.0.0.1:$cport" "websock-$rt-client" \
      >"$dir/autobahn-client.log" 2>&1; status=$?; kill "$wspid" 2>/dev/null; exit $status ) &
  lanes+=($!)
  fi
  i=$((i + 1))
done

failed=0
for lane in "${lanes[@]}"; do
  wait "$lane" || failed=1
done
echo "Autobahn: all agents ran in $((SECONDS - start)) s"
if [ "$failed" != 0 ]; then
  echo "an Autobahn lane failed; logs in $out/*/" >&2
fi

indexes=()
for d in "${dirs[@]}"; do indexes+=("$d/index.json"); done
python3 tests/autobahn/validate.py --expect-agents "${#dirs[@]}" --markdown "$out/summary.md" \
  "${indexes[@]}"
exit "$failed"
