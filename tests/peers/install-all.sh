#!/usr/bin/env bash
# Install every external test peer (Autobahn wstest, Python websockets, Node ws +
# Playwright/Chromium). Quiet on success: one line per peer. On failure, the
# failing installer's full output is shown and the exit status is non-zero.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/websock-peers-install.XXXXXX")"
trap 'rm -rf "$LOG_DIR"' EXIT

for peer in autobahn python node; do
    log="$LOG_DIR/$peer.log"
    if bash "$HERE/install-$peer.sh" >"$LOG_DIR/$peer.out" 2>"$log"; then
        echo "$peer: $(tail -n1 "$LOG_DIR/$peer.out")"
    else
        rc=$?
        echo "$peer: FAILED (exit $rc)" >&2
        cat "$log" "$LOG_DIR/$peer.out" >&2
        exit "$rc"
    fi
done
