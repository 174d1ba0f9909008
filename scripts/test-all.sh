#!/usr/bin/env bash
# Runs every test of the project: formatting, lints (also without TLS, and websock-core
# without permessage-deflate, whose tests run too), the docs' links,
# the no_std build, the unit and cross-crate tests (which install their external peers
# themselves), the Autobahn testsuite for all agents, the benchmark suite's smoke run (it
# builds, every server answers; figures are never checked), and the fuzz corpus replay
# plus short fuzz runs.
#
# Usage: scripts/test-all.sh            everything
#        SKIP_FUZZ=1 scripts/test-all.sh    without the (slow) libFuzzer runs
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, -D warnings)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo clippy without the default features (no TLS) for websock-std and websock-smol"
cargo clippy -p websock-std -p websock-smol --no-default-features --all-targets -- -D warnings

step "websock-core without permessage-deflate: clippy on every target, and its tests"
cargo clippy -p websock-core --no-default-features --features std --all-targets -- -D warnings
cargo test -p websock-core --no-default-features --features std --quiet

step "cargo doc (broken intra-doc links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "websock-core builds without std (no_std + alloc)"
cargo build -p websock-core --no-default-features

step "cargo test --workspace"
cargo test --workspace

step "scripts/test-autobahn.sh"
scripts/test-autobahn.sh

step "tests/bench/run.sh --smoke (builds the suite, two rounds of 1 s per server and scenario)"
tests/bench/run.sh --smoke

step "scripts/test-fuzz.sh"
scripts/test-fuzz.sh

step "all tests passed"
