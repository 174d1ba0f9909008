#!/usr/bin/env bash
# websock benchmark suite: echo servers of every runtime against the raw-frame load generator.
#
#   tests/bench/run.sh [--smoke] [--deflate]
#
# Builds websock's echo servers from the repo root (websock-tokio/-smol/-std `echo-server`,
# websock-core `mio_echo`; each binary is copied aside since three share a name), and in
# tests/bench (its own workspace, own Cargo.lock and target/) the loadgen and, once, the
# peers crate: echo servers on tokio-tungstenite, tokio-websockets and fastwebsockets, run
# on the same runtime as websock-tokio's. Then for each server and scenario: start a fresh
# server pinned to CPU 0, run loadgen pinned to CPU 1, kill the server. Prints two markdown
# tables, absolute numbers and each server's ratio to websock-tokio (also saved to
# tests/bench/target/run/table.md).
#
# Environment:
#   DURATION=5        measured seconds per scenario (after WARMUP)
#   WARMUP=0.5        seconds of load before measuring
#   SERVERS="tokio smol std mio tungstenite tokio-websockets fastwebsockets"
#                     one table column per server, in this order
#   IDLE_CONNS=10000  connections for the idle-memory row
#   BUILD_RETRIES=6   a server that fails to build is retried (30 s apart), then skipped
#   SERVER_CPU=0 LOADGEN_CPU=1
#
#   --smoke    1 s, only scenario (a) per server
#   --deflate  offer permessage-deflate in the idle-memory row
set -uo pipefail

SMOKE=0
DEFLATE=0
for arg in "$@"; do
    case "$arg" in
        --smoke) SMOKE=1 ;;
        --deflate) DEFLATE=1 ;;
        *) echo "usage: $0 [--smoke] [--deflate]" >&2; exit 2 ;;
    esac
done

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH/../.." && pwd)"
OUT="$BENCH/target/run"
DURATION="${DURATION:-5}"
WARMUP="${WARMUP:-0.5}"
SERVERS="${SERVERS:-tokio smol std mio tungstenite tokio-websockets fastwebsockets}"
IDLE_CONNS="${IDLE_CONNS:-10000}"
BUILD_RETRIES="${BUILD_RETRIES:-6}"
SERVER_CPU="${SERVER_CPU:-0}"
LOADGEN_CPU="${LOADGEN_CPU:-1}"
if [[ $SMOKE == 1 ]]; then
    DURATION=1
    WARMUP=0.2
fi
mkdir -p "$OUT/bin" "$OUT/logs"

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

# Idle-memory row needs ~IDLE_CONNS descriptors in the server and in loadgen.
want_fds=$((IDLE_CONNS + 1024))
ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
have_fds="$(ulimit -n)"
if [[ "$have_fds" != unlimited && "$have_fds" -lt "$want_fds" ]]; then
    IDLE_CONNS=$((have_fds - 1024))
    log "RLIMIT_NOFILE is $have_fds: idle row uses $IDLE_CONNS connections"
fi

# --- build -------------------------------------------------------------------------------

log "building loadgen"
if ! (cd "$BENCH" && timeout 600 cargo build --release --quiet -p websock-loadgen); then
    log "loadgen failed to build"
    exit 1
fi
LOADGEN="$BENCH/target/release/loadgen"

# build_server NAME PACKAGE EXAMPLE: builds from the repo root, copies the binary aside.
build_server() {
    local name="$1" pkg="$2" example="$3" try
    for ((try = 1; try <= BUILD_RETRIES; try++)); do
        log "building $name ($pkg --example $example), try $try"
        if (cd "$REPO" && timeout 900 cargo build --release --quiet -p "$pkg" --example "$example") \
            >"$OUT/logs/build-$name.log" 2>&1; then
            cp "$REPO/target/release/examples/$example" "$OUT/bin/$name" && return 0
        fi
        tail -5 "$OUT/logs/build-$name.log" >&2
        ((try < BUILD_RETRIES)) && sleep 30
    done
    log "$name does not build; its column is left empty"
    return 1
}

# build_peers: builds tests/bench's peers crate (all its servers in one cargo run).
build_peers() {
    local try
    for ((try = 1; try <= BUILD_RETRIES; try++)); do
        log "building the peer libraries' echo servers (bench-peers), try $try"
        if (cd "$BENCH" && timeout 900 cargo build --release --quiet -p bench-peers) \
            >"$OUT/logs/build-peers.log" 2>&1; then
            return 0
        fi
        tail -5 "$OUT/logs/build-peers.log" >&2
        ((try < BUILD_RETRIES)) && sleep 30
    done
    log "bench-peers does not build; the peer libraries' columns are left empty"
    return 1
}

# websock's servers: package and example in the root workspace.
declare -A PKG=([tokio]=websock-tokio [smol]=websock-smol [std]=websock-std [mio]=websock-core)
declare -A EXAMPLE=([tokio]=echo-server [smol]=echo-server [std]=echo-server [mio]=mio_echo)
# The peer libraries' servers: binary of tests/bench's bench-peers crate, and the crate.
declare -A PEER_BIN=([tungstenite]=tungstenite-echo [tokio-websockets]=tokio-websockets-echo
    [fastwebsockets]=fastwebsockets-echo)
declare -A PEER_CRATE=([tungstenite]=tokio-tungstenite [tokio-websockets]=tokio-websockets
    [fastwebsockets]=fastwebsockets)
COLS=()
BUILT=()
PEERS_BUILT="" # "", "yes" or "no": bench-peers is built at most once
for s in $SERVERS; do
    if [[ -z "${PKG[$s]:-}" && -z "${PEER_BIN[$s]:-}" ]]; then
        log "unknown server '$s' (known: ${!PKG[*]} ${!PEER_BIN[*]}); skipped"
        continue
    fi
    COLS+=("$s")
    rm -f "$OUT/bin/$s"
    if [[ -n "${PKG[$s]:-}" ]]; then
        build_server "$s" "${PKG[$s]}" "${EXAMPLE[$s]}" && BUILT+=("$s")
        continue
    fi
    if [[ -z "$PEERS_BUILT" ]]; then
        if build_peers; then PEERS_BUILT=yes; else PEERS_BUILT=no; fi
    fi
    [[ $PEERS_BUILT == yes ]] && cp "$BENCH/target/release/${PEER_BIN[$s]}" "$OUT/bin/$s" \
        && BUILT+=("$s")
done

# --- run ---------------------------------------------------------------------------------

# Other work on the machine skews every number: record the load around the run.
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average before the run: $LOAD_START"

SERVER_PID=""
SERVER_ADDR=""

# start_server NAME TAG: fresh server on CPU $SERVER_CPU, port picked by the OS.
start_server() {
    local name="$1" tag="$2" logf="$OUT/logs/server-$1-$2.log" i
    taskset -c "$SERVER_CPU" "$OUT/bin/$name" 127.0.0.1:0 >"$logf" 2>&1 &
    SERVER_PID=$!
    SERVER_ADDR=""
    for ((i = 0; i < 100; i++)); do # 10 s at most
        SERVER_ADDR="$(awk '/^listening on /{print $3; exit}' "$logf" 2>/dev/null)"
        [[ -n "$SERVER_ADDR" ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    log "$name did not start (see $logf)"
    stop_server
    return 1
}

stop_server() {
    [[ -z "$SERVER_PID" ]] && return
    kill "$SERVER_PID" 2>/dev/null
    local i
    for ((i = 0; i < 30; i++)); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
}
trap 'stop_server' EXIT INT TERM

declare -A R # R[row,server] = value

# field LINE KEY
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# run_scenario SERVER TAG LOADGEN-ARGS...: prints loadgen's RESULT line (empty on failure).
run_scenario() {
    local name="$1" tag="$2"
    shift 2
    start_server "$name" "$tag" || return 0
    local deadline=$(( ${DURATION%.*} + 60 ))
    local out
    out="$(timeout -k 5 "$deadline" taskset -c "$LOADGEN_CPU" "$LOADGEN" "$@" --addr "$SERVER_ADDR" \
        2>>"$OUT/logs/loadgen-$name-$tag.log" | grep '^RESULT' | tail -1)"
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        log "$name exited during $tag"
    fi
    stop_server
    echo "$out"
}

echo_args=(echo --duration "$DURATION" --warmup "$WARMUP")
for s in "${BUILT[@]}"; do
    log "$s: (a) 100 conns x 16 B, 1 in flight"
    line="$(run_scenario "$s" a "${echo_args[@]}" --conns 100 --size 16 --inflight 1)"
    log "  $line"
    R[a_rate,$s]="$(field "$line" msg_per_s)"
    R[a_p50,$s]="$(field "$line" p50_us)"
    R[a_p99,$s]="$(field "$line" p99_us)"
    [[ $SMOKE == 1 ]] && continue

    log "$s: (b) 10 conns x 16 B, 100 in flight"
    line="$(run_scenario "$s" b "${echo_args[@]}" --conns 10 --size 16 --inflight 100)"
    log "  $line"
    R[b,$s]="$(field "$line" msg_per_s)"

    log "$s: (c) 10 conns x 64 KiB, 4 in flight"
    line="$(run_scenario "$s" c "${echo_args[@]}" --conns 10 --size 65536 --inflight 4)"
    log "  $line"
    R[c,$s]="$(field "$line" mb_per_s)"

    log "$s: (d) 10 conns x 1 MiB, 1 in flight"
    line="$(run_scenario "$s" d "${echo_args[@]}" --conns 10 --size 1048576 --inflight 1)"
    log "  $line"
    R[d,$s]="$(field "$line" mb_per_s)"

    log "$s: (e) idle memory, $IDLE_CONNS conns"
    idle_args=(idle --conns "$IDLE_CONNS" --settle 2)
    [[ $DEFLATE == 1 ]] && idle_args+=(--deflate)
    if start_server "$s" e; then
        line="$(timeout -k 5 200 taskset -c "$LOADGEN_CPU" "$LOADGEN" "${idle_args[@]}" \
            --addr "$SERVER_ADDR" --server-pid "$SERVER_PID" \
            2>>"$OUT/logs/loadgen-$s-e.log" | grep '^RESULT' | tail -1)"
        stop_server
        log "  $line"
        if [[ "$(field "$line" complete)" == true ]]; then
            R[e,$s]="$(field "$line" kb_per_conn)"
        elif [[ -n "$(field "$line" kb_per_conn)" ]]; then
            R[e,$s]="$(field "$line" kb_per_conn) ($(field "$line" conns) conns)"
        fi
    fi
done

# --- table -------------------------------------------------------------------------------

ratio() { # ratio NUM DEN
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "" || b == "" || a+0 != a || b+0 != b || b == 0) { printf "—"; exit }
        printf "%.2f", a / b }'
}

ROWS=(a_rate a_p50 a_p99)
[[ $SMOKE == 0 ]] && ROWS+=(b c d e)
declare -A LABEL=(
    [a_rate]="(a) 100 conns × 16 B, 1 in flight — msg/s"
    [a_p50]="(a) p50 RTT, µs (lower is better)"
    [a_p99]="(a) p99 RTT, µs (lower is better)"
    [b]="(b) 10 conns × 16 B, 100 in flight — msg/s"
    [c]="(c) 10 conns × 64 KiB, 4 in flight — MB/s"
    [d]="(d) 10 conns × 1 MiB, 1 in flight — MB/s"
    [e]="(e) idle memory, $IDLE_CONNS conns$([[ $DEFLATE == 1 ]] && echo ', deflate offered') — KB/conn (lower is better)"
)

# crate_version NAME: the version tests/bench's Cargo.lock resolved for a peer library.
crate_version() {
    awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' \
        "$BENCH/Cargo.lock"
}

# Columns other than tokio, for the ratio table (only when tokio itself is in the run).
OTHERS=()
HAVE_TOKIO=0
for c in "${COLS[@]}"; do
    if [[ $c == tokio ]]; then HAVE_TOKIO=1; else OTHERS+=("$c"); fi
done

{
    echo "websock echo benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$([[ -n "$(git -C "$REPO" status --porcelain 2>/dev/null)" ]] && echo ' (dirty tree)'), DURATION=${DURATION}s, server on CPU $SERVER_CPU, loadgen on CPU $LOADGEN_CPU, $(nproc) cores"
    echo "load average (1/5/15 min) just before the run: $LOAD_START"
    echo
    header="| scenario |"
    rule="|---|"
    for c in "${COLS[@]}"; do
        header+=" $c |"
        rule+="---:|"
    done
    echo "$header"
    echo "$rule"
    for row in "${ROWS[@]}"; do
        cells=""
        for c in "${COLS[@]}"; do
            v="${R[$row,$c]:-}"
            cells+=" ${v:-—} |"
        done
        echo "| ${LABEL[$row]} |$cells"
    done
    if ((HAVE_TOKIO && ${#OTHERS[@]} > 0)); then
        echo
        echo "Ratio to websock-tokio (each cell = server / tokio; for the rows marked \"lower is better\", below 1 beats tokio):"
        echo
        header="| scenario |"
        rule="|---|"
        for c in "${OTHERS[@]}"; do
            header+=" $c/tokio |"
            rule+="---:|"
        done
        echo "$header"
        echo "$rule"
        for row in "${ROWS[@]}"; do
            cells=""
            for c in "${OTHERS[@]}"; do
                cells+=" $(ratio "${R[$row,$c]:-}" "${R[$row,tokio]:-}") |"
            done
            echo "| ${LABEL[$row]} |$cells"
        done
    fi
    echo
    echo "tokio, smol, std, mio: websock's echo servers (websock-tokio/-smol/-std \`echo-server\`, websock-core \`mio_echo\`)."
    peers=""
    for c in "${COLS[@]}"; do
        [[ -n "${PEER_CRATE[$c]:-}" ]] || continue
        peers+="${peers:+, }$c: ${PEER_CRATE[$c]} $(crate_version "${PEER_CRATE[$c]}")"
    done
    [[ -n "$peers" ]] && echo "Peer libraries (tests/bench/peers, same tokio runtime as websock-tokio's echo server): $peers."
    echo "MB = 10^6 bytes of payload echoed per second (one direction). Logs: tests/bench/target/run/logs/"
} | tee "$OUT/table.md"
