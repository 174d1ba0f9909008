#!/usr/bin/env bash
# websock benchmark suite: websock's servers of every runtime and the peer libraries'
# servers against the raw-frame load generator (tests/bench/loadgen).
#
#   tests/bench/run.sh [--smoke] [--deflate]
#
# Builds websock's echo servers from the repo root (websock-tokio/-smol/-std `echo-server`,
# websock-core `mio_echo`; each binary is copied aside since three share a name), and in
# tests/bench (its own workspace, own Cargo.lock and target/) the loadgen and, once, the
# peers crate: echo servers on tokio-tungstenite, tokio-websockets and fastwebsockets, run
# on the same runtime as websock-tokio's, and the broadcast servers (the three peers' and
# websock-tokio/-smol/-std's; mio has none: "n/a"). Then for each server and scenario:
# start a fresh server pinned to CPU 0, run loadgen pinned to CPU 1, kill the server (a
# run that yields no figure is retried once, on a fresh server). The rate rows run in
# ROUNDS interleaved rounds (each round runs every server's cell of a row back to back
# before the next row); each figure in the table is the median of its rounds, and a second
# table gives the median and range over the rounds of each websock server's ratio to that
# round's best peer, and of websock-smol's, -std's and mio's to websock-tokio's.
#
# Scenarios (SCENARIOS picks them): a) 100 conns x 16 B echo, 1 in flight (rate, p50, p99
# RTT); b) 10 conns x 16 B, 100 in flight; c) 10 x 64 KiB, 4 in flight; d) 10 x 1 MiB;
# e) idle memory per connection; f, g) broadcast, 1 sender x BCAST_RECEIVERS receivers,
# 16 B and 1 KiB: every message a connection sends, the server sends to every other open
# connection; the sender keeps at most BCAST_LAG messages per receiver undelivered; the
# figure is deliveries/s (messages read by all receivers together).
#
# Prints one markdown table (also saved to tests/bench/target/run/table.md): a column of
# absolute figures per server, then the best peer library per row and, per websock server,
# its ratio to that best peer (>1 = websock better, also on "lower is better" rows).
#
# Environment:
#   DURATION=5        measured seconds per cell and round (after WARMUP)
#   ROUNDS=3          rounds of every rate row (a-d, f, g); the idle row (e) runs once
#   WARMUP=0.5        seconds of load before measuring
#   SERVERS="tokio smol std mio tungstenite tokio-websockets fastwebsockets"
#                     one table column per server, in this order
#   SCENARIOS="a b c d e f g"   the rows to run, in any order (shown in table order)
#   IDLE_CONNS=10000  connections for the idle-memory row
#   BCAST_RECEIVERS=1000  receivers in the broadcast rows
#   BCAST_LAG=16      broadcast: undelivered messages allowed per receiver
#   BUILD_RETRIES=6   a server that fails to build is retried (30 s apart), then skipped
#   SERVER_CPU=0 LOADGEN_CPU=1
#
#   --smoke    CI check: DURATION=1, ROUNDS=2 (so the medians and the spread table
#              run too), SCENARIOS="a f", BCAST_RECEIVERS=50, BUILD_RETRIES=1;
#              exits non-zero unless every server produced every figure in every round
#              (a server without a broadcast binary, mio, only needs (a)). Timing is not
#              asserted. About 40-60 s once everything is built (a first build: minutes).
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
ROUNDS="${ROUNDS:-3}"
SERVERS="${SERVERS:-tokio smol std mio tungstenite tokio-websockets fastwebsockets}"
IDLE_CONNS="${IDLE_CONNS:-10000}"
BCAST_RECEIVERS="${BCAST_RECEIVERS:-1000}"
BCAST_LAG="${BCAST_LAG:-16}"
BUILD_RETRIES="${BUILD_RETRIES:-6}"
SCENARIOS="${SCENARIOS:-a b c d e f g}"
SERVER_CPU="${SERVER_CPU:-0}"
LOADGEN_CPU="${LOADGEN_CPU:-1}"
if [[ $SMOKE == 1 ]]; then
    DURATION=1
    ROUNDS=2
    WARMUP=0.2
    SCENARIOS="a f"
    BCAST_RECEIVERS=50
    BUILD_RETRIES=1
fi
if ! [[ $ROUNDS =~ ^[1-9][0-9]*$ ]]; then
    echo "ROUNDS must be a positive whole number, not '$ROUNDS'" >&2
    exit 2
fi
# want ROW: whether scenario ROW (a..g) is selected.
want() { [[ " $SCENARIOS " == *" $1 "* ]]; }
mkdir -p "$OUT/bin" "$OUT/logs"

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

# The idle-memory row needs ~IDLE_CONNS descriptors in the server and in loadgen, the
# broadcast rows ~BCAST_RECEIVERS.
want_fds=$(( (IDLE_CONNS > BCAST_RECEIVERS ? IDLE_CONNS : BCAST_RECEIVERS) + 1024 ))
ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
have_fds="$(ulimit -n)"
if [[ "$have_fds" != unlimited && "$have_fds" -lt "$want_fds" ]]; then
    ((IDLE_CONNS > have_fds - 1024)) && IDLE_CONNS=$((have_fds - 1024))
    ((BCAST_RECEIVERS > have_fds - 1024)) && BCAST_RECEIVERS=$((have_fds - 1024))
    log "RLIMIT_NOFILE is $have_fds: idle row uses $IDLE_CONNS connections, broadcast $BCAST_RECEIVERS receivers"
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
        log "building the peer libraries' servers and the broadcast servers (bench-peers), try $try"
        if (cd "$BENCH" && timeout 900 cargo build --release --quiet -p bench-peers) \
            >"$OUT/logs/build-peers.log" 2>&1; then
            return 0
        fi
        tail -5 "$OUT/logs/build-peers.log" >&2
        ((try < BUILD_RETRIES)) && sleep 30
    done
    log "bench-peers does not build; the peer libraries' columns and broadcast rows are left empty"
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
# Broadcast servers, all binaries of bench-peers (mio has none: its cells show "n/a").
declare -A BCAST_BIN=([tokio]=websock-tokio-broadcast [smol]=websock-smol-broadcast
    [std]=websock-std-broadcast [tungstenite]=tungstenite-broadcast
    [tokio-websockets]=tokio-websockets-broadcast [fastwebsockets]=fastwebsockets-broadcast)
WANT_BCAST=0
{ want f || want g; } && WANT_BCAST=1
COLS=()
BUILT=()
PEERS_BUILT="" # "", "yes" or "no": bench-peers is built at most once
FAILED=()      # servers (or their broadcast binaries) that did not build
peers_built() {
    if [[ -z "$PEERS_BUILT" ]]; then
        if build_peers; then PEERS_BUILT=yes; else PEERS_BUILT=no; fi
    fi
    [[ $PEERS_BUILT == yes ]]
}
for s in $SERVERS; do
    if [[ -z "${PKG[$s]:-}" && -z "${PEER_BIN[$s]:-}" ]]; then
        log "unknown server '$s' (known: ${!PKG[*]} ${!PEER_BIN[*]}); skipped"
        continue
    fi
    COLS+=("$s")
    rm -f "$OUT/bin/$s" "$OUT/bin/$s-broadcast"
    if [[ $WANT_BCAST == 1 && -n "${BCAST_BIN[$s]:-}" ]]; then
        if peers_built; then
            cp "$BENCH/target/release/${BCAST_BIN[$s]}" "$OUT/bin/$s-broadcast"
        else
            FAILED+=("$s-broadcast")
        fi
    fi
    if [[ -n "${PKG[$s]:-}" ]]; then
        if build_server "$s" "${PKG[$s]}" "${EXAMPLE[$s]}"; then BUILT+=("$s"); else FAILED+=("$s"); fi
        continue
    fi
    if peers_built && cp "$BENCH/target/release/${PEER_BIN[$s]}" "$OUT/bin/$s"; then
        BUILT+=("$s")
    else
        FAILED+=("$s")
    fi
done

# --- run ---------------------------------------------------------------------------------

# Other work on the machine skews every number: record the load around the run.
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average before the run: $LOAD_START"

SERVER_PID=""
SERVER_ADDR=""

# start_server NAME TAG [BINARY]: fresh server on CPU $SERVER_CPU, port picked by the OS
# (BINARY defaults to NAME, the echo server, in $OUT/bin).
start_server() {
    local name="$1" tag="$2" bin="${3:-$1}" logf="$OUT/logs/server-$1-$2.log" i
    # Emptied here, not only by the background job's redirection: until that job runs, the
    # poll below would read the previous run's "listening on" line.
    : >"$logf"
    taskset -c "$SERVER_CPU" "$OUT/bin/$bin" 127.0.0.1:0 >"$logf" 2>&1 &
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
# With BIN set, that binary of $OUT/bin is the server instead of SERVER's echo server.
run_scenario() {
    local name="$1" tag="$2"
    shift 2
    local deadline=$(( ${DURATION%.*} + 60 ))
    local out try
    # A failed attempt (no figure) is retried once, on a fresh server.
    for try in 1 2; do
        start_server "$name" "$tag" "${BIN:-$name}" || continue
        out="$(timeout -k 5 "$deadline" taskset -c "$LOADGEN_CPU" "$LOADGEN" "$@" \
            --addr "$SERVER_ADDR" 2>>"$OUT/logs/loadgen-$name-$tag.log" | grep '^RESULT' | tail -1)"
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            log "$name exited during $tag"
        fi
        stop_server
        [[ "$out" == *" secs="* ]] && break
        log "  $name ($tag), try $try: ${out:-no RESULT line}"
    done
    echo "$out"
}

echo_args=(echo --duration "$DURATION" --warmup "$WARMUP")
bcast_args=(broadcast --duration "$DURATION" --warmup "$WARMUP" --receivers "$BCAST_RECEIVERS"
    --lag "$BCAST_LAG")
declare -A ECHO_SHAPE=([a]="--conns 100 --size 16 --inflight 1" [b]="--conns 10 --size 16 --inflight 100"
    [c]="--conns 10 --size 65536 --inflight 4" [d]="--conns 10 --size 1048576 --inflight 1")
declare -A ECHO_TITLE=([a]="100 conns x 16 B, 1 in flight" [b]="10 conns x 16 B, 100 in flight"
    [c]="10 conns x 64 KiB, 4 in flight" [d]="10 conns x 1 MiB, 1 in flight")

# Rounds, interleaved: every server runs a row's cell once per round, one server after the
# other, before the next row starts, so a burst of other load on the machine lands on one
# cell of one round rather than on every cell of one server. R[key,server,round] holds a
# round's figure; R[key,server] (filled after the rounds) the median of the rounds.
for ((round = 1; round <= ROUNDS; round++)); do
    ((ROUNDS > 1)) && log "round $round of $ROUNDS"
    for row in a b c d; do
        want "$row" || continue
        for s in "${BUILT[@]}"; do
            log "$s: ($row) ${ECHO_TITLE[$row]}"
            # shellcheck disable=SC2086 # the shape is a list of arguments
            line="$(run_scenario "$s" "$row" "${echo_args[@]}" ${ECHO_SHAPE[$row]})"
            log "  $line"
            if [[ $row == a ]]; then
                R[a_rate,$s,$round]="$(field "$line" msg_per_s)"
                R[a_p50,$s,$round]="$(field "$line" p50_us)"
                R[a_p99,$s,$round]="$(field "$line" p99_us)"
            elif [[ $row == b ]]; then
                R[b,$s,$round]="$(field "$line" msg_per_s)"
            else
                R[$row,$s,$round]="$(field "$line" mb_per_s)"
            fi
        done
    done

    # The broadcast rows, for every column (built or not) with a broadcast binary.
    for row in f g; do
        want "$row" || continue
        for s in "${COLS[@]}"; do
            [[ -n "${BCAST_BIN[$s]:-}" && -x "$OUT/bin/$s-broadcast" ]] || continue
            size=16
            [[ $row == g ]] && size=1024
            log "$s: ($row) broadcast 1 sender x $BCAST_RECEIVERS receivers, $size B"
            line="$(BIN="$s-broadcast" run_scenario "$s" "$row" "${bcast_args[@]}" --size "$size")"
            log "  $line"
            R[$row,$s,$round]="$(field "$line" deliveries_per_s)"
        done
    done
done

# median VALUES...: the median of the plain numbers among VALUES (nothing if none); of an
# even count, the mean of the middle two, with as many decimals as the values have.
median() {
    printf '%s\n' "$@" | grep -E '^[0-9]+(\.[0-9]+)?$' | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) exit
              if (NR % 2) { print v[(NR + 1) / 2]; exit }
              dot = index(v[1], ".")
              printf "%." (dot ? length(v[1]) - dot : 0) "f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for key in a_rate a_p50 a_p99 b c d f g; do
    for s in "${COLS[@]}"; do
        [[ $key == [fg] && -z "${BCAST_BIN[$s]:-}" ]] && { R[$key,$s]="n/a"; continue; }
        vals=()
        for ((round = 1; round <= ROUNDS; round++)); do vals+=("${R[$key,$s,$round]:-}"); done
        R[$key,$s]="$(median "${vals[@]}")"
    done
done

# The idle-memory row, once (a count of bytes, not a rate: it barely moves between runs).
for s in "${BUILT[@]}"; do
    want e || break
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

# num VALUE: whether VALUE is a plain number (not "—", "n/a" or "12.3 (900 conns)").
num() { [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

# ratio WEBSOCK BEST LOWER: websock's figure over the best peer's, inverted on "lower is
# better" rows (LOWER=1), so that >1 always means websock is better.
ratio() {
    num "$1" && num "$2" || { printf "—"; return; }
    awk -v a="$1" -v b="$2" -v lower="$3" 'BEGIN {
        if (lower == 1) { t = a; a = b; b = t }
        if (b == 0) { printf "—"; exit }
        printf "%.2f", a / b }'
}

# commas N: 1000 -> 1,000.
commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }

ROWS=()
for row in a_rate a_p50 a_p99 b c d e f g; do
    want "${row%%_*}" && ROWS+=("$row")
done
declare -A LABEL=(
    [a_rate]="(a) 100 conns × 16 B, 1 in flight — msg/s"
    [a_p50]="(a) p50 RTT, µs (lower is better)"
    [a_p99]="(a) p99 RTT, µs (lower is better)"
    [b]="(b) 10 conns × 16 B, 100 in flight — msg/s"
    [c]="(c) 10 conns × 64 KiB, 4 in flight — MB/s"
    [d]="(d) 10 conns × 1 MiB, 1 in flight — MB/s"
    [e]="(e) idle memory, $IDLE_CONNS conns$([[ $DEFLATE == 1 ]] && echo ', deflate offered') — KB/conn (lower is better)"
    [f]="(f) broadcast 1 sender × $(commas "$BCAST_RECEIVERS") receivers, 16 B — deliveries/s"
    [g]="(g) broadcast 1 sender × $(commas "$BCAST_RECEIVERS") receivers, 1 KiB — deliveries/s"
)
declare -A LOWER=([a_p50]=1 [a_p99]=1 [e]=1)

# crate_version NAME: the version tests/bench's Cargo.lock resolved for a peer library.
crate_version() {
    awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' \
        "$BENCH/Cargo.lock"
}

# The websock columns (ratio columns) and the peer columns (candidates for "best peer").
WS_COLS=()
PEER_COLS=()
for c in "${COLS[@]}"; do
    if [[ -n "${PEER_CRATE[$c]:-}" ]]; then PEER_COLS+=("$c"); else WS_COLS+=("$c"); fi
done
RATIOS=0
((${#WS_COLS[@]} > 0 && ${#PEER_COLS[@]} > 0)) && RATIOS=1

# best_peer ROW [ROUND]: prints "NAME VALUE" of the best peer figure in ROW (the medians, or
# ROUND's figures; nothing if none).
best_peer() {
    local row="$1" suffix="${2:+,$2}" c v best="" bestv=""
    for c in "${PEER_COLS[@]}"; do
        v="${R[$row,$c$suffix]:-}"
        num "$v" || continue
        if [[ -z "$bestv" ]] || awk -v v="$v" -v b="$bestv" -v lower="${LOWER[$row]:-0}" \
            'BEGIN { exit !(lower == 1 ? v < b : v > b) }'; then
            best="$c"
            bestv="$v"
        fi
    done
    [[ -n "$best" ]] && echo "$best $bestv"
}

{
    echo "websock benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$([[ -n "$(git -C "$REPO" status --porcelain 2>/dev/null)" ]] && echo ' (dirty tree)'), DURATION=${DURATION}s × $ROUNDS round$( ((ROUNDS > 1)) && echo "s (each figure the median)"), server on CPU $SERVER_CPU, loadgen on CPU $LOADGEN_CPU, $(nproc) cores$([[ $SMOKE == 1 ]] && echo ', SMOKE run (figures meaningless)')"
    echo "load average (1/5/15 min) just before the run: $LOAD_START"
    echo
    if ((RATIOS)); then
        echo "Absolute figures per server; \"best peer\" is the best of ${PEER_COLS[*]} in the same run (highest, or lowest on the rows marked \"lower is better\"), and each \"÷ best peer\" column is that websock server's figure over it, inverted on the lower-is-better rows: **above 1 means websock is better** on every row."
    else
        echo "Absolute figures per server."
    fi
    echo
    header="| scenario |"
    rule="|---|"
    for c in "${COLS[@]}"; do
        header+=" $c |"
        rule+="---:|"
    done
    if ((RATIOS)); then
        header+=" best peer |"
        rule+="---|"
        for c in "${WS_COLS[@]}"; do
            header+=" $c ÷ best peer |"
            rule+="---:|"
        done
    fi
    echo "$header"
    echo "$rule"
    for row in "${ROWS[@]}"; do
        cells=""
        for c in "${COLS[@]}"; do
            v="${R[$row,$c]:-}"
            cells+=" ${v:-—} |"
        done
        if ((RATIOS)); then
            read -r bname bval <<<"$(best_peer "$row")"
            cells+=" ${bname:-—} |"
            for c in "${WS_COLS[@]}"; do
                cells+=" $(ratio "${R[$row,$c]:-}" "${bval:-}" "${LOWER[$row]:-0}") |"
            done
        fi
        echo "| ${LABEL[$row]} |$cells"
    done
    # The spread: each round's ratio of a websock server to that round's best peer, and
    # of websock-smol / -std / mio to websock-tokio (the same engine on other runtimes).
    VS_TOKIO=()
    if [[ " ${WS_COLS[*]} " == *" tokio "* ]]; then
        for c in "${WS_COLS[@]}"; do [[ $c != tokio ]] && VS_TOKIO+=("$c"); done
    fi
    if ((ROUNDS > 1 && (RATIOS || ${#VS_TOKIO[@]} > 0))); then
        echo
        echo "Each ratio per round, median (lowest-highest) of the $ROUNDS rounds: a websock server over that round's best peer, and websock's other servers over websock-tokio in the same round (above 1: better than websock-tokio). The idle row runs once."
        echo
        header="| scenario |"
        rule="|---|"
        if ((RATIOS)); then
            for c in "${WS_COLS[@]}"; do
                header+=" $c ÷ best peer |"
                rule+="---:|"
            done
        fi
        for c in "${VS_TOKIO[@]}"; do
            header+=" $c ÷ tokio |"
            rule+="---:|"
        done
        echo "$header"
        echo "$rule"
        # spread ROW COL REFS...: COL's ratio to REFS' figure of the same round (REFS: one
        # per round), every round, as "median (lowest-highest)" of the plain numbers.
        spread() {
            local row="$1" c="$2" round ratios=() mid range
            shift 2
            for ((round = 1; round <= ROUNDS; round++)); do
                ratios+=("$(ratio "${R[$row,$c,$round]:-}" "${!round}" "${LOWER[$row]:-0}")")
            done
            mid="$(median "${ratios[@]}")"
            range="$(printf '%s\n' "${ratios[@]}" | grep -E '^[0-9.]+$' | sort -g | sed -n '1p;$p' | paste -sd-)"
            echo "${mid:-—}${range:+ ($range)}"
        }
        for row in "${ROWS[@]}"; do
            [[ $row == e ]] && continue
            # Each round's references: the best peer's figure, and websock-tokio's.
            best_of_round=()
            tokio_of_round=()
            for ((round = 1; round <= ROUNDS; round++)); do
                read -r _ bval <<<"$(best_peer "$row" "$round")"
                best_of_round+=("${bval:-}")
                tokio_of_round+=("${R[$row,tokio,$round]:-}")
            done
            cells=""
            if ((RATIOS)); then
                for c in "${WS_COLS[@]}"; do
                    cells+=" $(spread "$row" "$c" "${best_of_round[@]}") |"
                done
            fi
            for c in "${VS_TOKIO[@]}"; do
                cells+=" $(spread "$row" "$c" "${tokio_of_round[@]}") |"
            done
            echo "| ${LABEL[$row]} |$cells"
        done
    fi
    echo
    echo "tokio, smol, std, mio: websock's echo servers (websock-tokio/-smol/-std \`echo-server\`, websock-core \`mio_echo\`); broadcast rows: tests/bench/peers' \`*-broadcast\` servers (mio has none: n/a)."
    peers=""
    for c in "${COLS[@]}"; do
        [[ -n "${PEER_CRATE[$c]:-}" ]] || continue
        peers+="${peers:+, }$c: ${PEER_CRATE[$c]} $(crate_version "${PEER_CRATE[$c]}")"
    done
    [[ -n "$peers" ]] && echo "Peer libraries (tests/bench/peers, same tokio runtime as websock-tokio's echo server): $peers."
    echo "MB = 10^6 bytes of payload echoed per second (one direction). Broadcast: every message a connection sends goes to every other connection; deliveries/s = messages read by all receivers together, the sender keeping at most $BCAST_LAG undelivered messages per receiver. — = no figure (failed). Logs: tests/bench/target/run/logs/"
} | tee "$OUT/table.md"

# Smoke: every server must have produced every selected figure, in every round ("n/a"
# excepted).
status=0
if ((${#FAILED[@]} > 0)); then
    log "did not build: ${FAILED[*]}"
    status=1
fi
for row in "${ROWS[@]}"; do
    for c in "${COLS[@]}"; do
        v="${R[$row,$c]:-}"
        [[ "$v" == n/a ]] && continue
        if ! num "$v" && [[ "$v" != *conns\)* ]]; then
            log "no figure: ${LABEL[$row]} for $c"
            status=1
        fi
        [[ $row == e ]] && continue
        for ((round = 1; round <= ROUNDS; round++)); do
            if ! num "${R[$row,$c,$round]:-}"; then
                log "no figure in round $round: ${LABEL[$row]} for $c"
                status=1
            fi
        done
    done
done
if ((status)); then
    log "FAILED: some server did not build or produce a figure"
else
    log "every server produced every figure"
fi
if [[ $SMOKE == 1 ]]; then exit "$status"; fi
exit 0
