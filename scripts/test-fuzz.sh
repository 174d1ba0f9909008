#!/usr/bin/env bash
# Fuzzing, in two parts (see fuzz/README.md):
#
#  1. Replay: `cargo test` in fuzz/ runs every target's body over its checked-in corpus,
#     its regression inputs and its hand-written seeds, on stable Rust.
#  2. Unless SKIP_FUZZ=1: each libFuzzer target runs for FUZZ_SECONDS (default 20),
#     one after another, seeded from the checked-in corpus. New inputs go to a
#     temporary directory, never into fuzz/corpus. Any crash, leak, timeout or
#     out-of-memory fails the script; the input is left in fuzz/artifacts/<target>/.
#
# cargo-fuzz needs nightly features: RUSTC_BOOTSTRAP=1 enables them on stable.
# It is installed from crates.io if missing.
#
# Usage: scripts/test-fuzz.sh                 replay, then 20 s per target
#        FUZZ_SECONDS=300 scripts/test-fuzz.sh    a longer run
#        FUZZ_TARGETS="utf8 mask" scripts/test-fuzz.sh    only some targets
#        SKIP_FUZZ=1 scripts/test-fuzz.sh     replay only
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${FUZZ_SECONDS:-20}"
timeout="${FUZZ_TIMEOUT:-10}"

echo "==> fuzz corpus replay (cargo test in fuzz/)"
cargo test

if [ "${SKIP_FUZZ:-0}" = 1 ]; then
  echo "==> SKIP_FUZZ=1: no libFuzzer runs"
  exit 0
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
echo "==> building the fuzz targets"
cargo fuzz build --features libfuzzer

targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for target in $targets; do
  echo "==> fuzzing $target for ${seconds}s"
  mkdir -p "$work/$target"
  corpora=("$work/$target" "corpus/$target")
  if [ -d "regressions/$target" ]; then
    corpora+=("regressions/$target")
  fi
  extra=()
  case "$target" in
    handshake_* | *_connection) extra+=("-dict=dict/http.dict") ;;
  esac
  cargo fuzz run "$target" --features libfuzzer "${corpora[@]}" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout="$timeout" \
    -print_final_stats=1 ${extra[@]+"${extra[@]}"}
done
echo "==> fuzzing found nothing"
