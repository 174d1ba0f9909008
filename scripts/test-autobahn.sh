#!/usr/bin/env bash
# Runs the Autobahn testsuite against all six websock agents:
#   fuzzingclient -> the echo-server example of each runtime (3 server agents)
#   fuzzingserver <- the autobahn-client example of each runtime (3 client agents)
# then validates reports/autobahn/*/index.json (every case OK or INFORMATIONAL).
# HTML reports stay in reports/autobahn/ (ignored by git).
#
# Env: AUTOBAHN_CASES (default "*"), AUTOBAHN_RUNTIMES (default "tokio smol std").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

tests/peers/install-autobahn.sh >/dev/null
wstest="${WEBSOCK_PEERS_DIR:-$HOME/.cache/websock-peers}/autobahn-venv/bin/wstest"
cases="${AUTOBAHN_CASES:-*}"
runtimes="${AUTOBAHN_RUNTIMES:-tokio smol std}"
# Sections 12 and 13 need permessage-deflate, which is not implemented yet.
allow_unimplemented="12.,13."

out="$root/reports/autobahn"
rm -rf "$out"
mkdir -p "$out/servers" "$out/clients"

# The three runtimes' examples share names, so each is built and copied on its own.
bin="$out/bin"
mkdir -p "$bin"
for rt in $runtimes; do
  for ex in echo-server autobahn-client; do
    cargo build -q --release -p "websock-$rt" --example "$ex"
    cp "target/release/examples/$ex" "$bin/$ex-$rt"
  done
done

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "port $1 did not open" >&2
  return 1
}

json_cases() { printf '"%s"' "$cases" | sed 's/,/","/g'; }

# 1. Our servers, Autobahn as the client.
port=9101
servers=""
for rt in $runtimes; do
  "$bin/echo-server-$rt" "127.0.0.1:$port" >"$out/servers/echo-$rt.log" 2>&1 &
  pids+=($!)
  wait_port "$port"
  servers+="${servers:+,}{\"agent\": \"websock-$rt-server\", \"url\": \"ws://127.0.0.1:$port\"}"
  port=$((port + 1))
done
cat >"$out/fuzzingclient.json" <<JSON
{"outdir": "$out/servers", "servers": [$servers], "cases": [$(json_cases)], "exclude-cases": [], "exclude-agent-cases": {}}
JSON
(cd "$out" && "$wstest" -m fuzzingclient -s fuzzingclient.json >"$out/fuzzingclient.log" 2>&1)

# 2. Our clients, Autobahn as the server.
cat >"$out/fuzzingserver.json" <<JSON
{"url": "ws://127.0.0.1:9100", "outdir": "$out/clients", "cases": [$(json_cases)], "exclude-cases": [], "exclude-agent-cases": {}}
JSON
(cd "$out" && exec "$wstest" -m fuzzingserver -s fuzzingserver.json >"$out/fuzzingserver.log" 2>&1) &
wspid=$!
pids+=($wspid)
wait_port 9100
for rt in $runtimes; do
  timeout 1200 "$bin/autobahn-client-$rt" ws://127.0.0.1:9100 "websock-$rt-client" \
    >"$out/clients/client-$rt.log" 2>&1
done
kill "$wspid" 2>/dev/null || true

n_agents=$(( $(wc -w <<<"$runtimes") * 2 ))
python3 tests/autobahn/validate.py --allow-unimplemented "$allow_unimplemented" \
  --expect-agents "$n_agents" --markdown "$out/summary.md" \
  "$out/servers/index.json" "$out/clients/index.json"
