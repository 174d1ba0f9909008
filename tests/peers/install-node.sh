#!/usr/bin/env bash
# Install the Node.js test peers:
#   - tests/peers/node/node_modules: `ws` and `playwright-core`, as pinned by
#     the committed package-lock.json (npm install; node_modules is gitignored)
#   - Debian's Chromium at /usr/bin/chromium (apt), driven by playwright-core
#     (playwright's own browser downloads are never used)
# then checks with node/smoke-chromium.mjs that Playwright can drive Chromium.
#
# Idempotent: skips npm when node_modules matches package.json and
# package-lock.json and skips apt when /usr/bin/chromium exists. The smoke test
# (about a second) always runs; WEBSOCK_PEERS_VERIFY=0 skips it when nothing
# had to be installed.
# Progress goes to stderr; the last line on stdout is a one-line summary.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE_DIR="$HERE/node"
STAMP="$NODE_DIR/node_modules/.websock-stamp"
CHROMIUM=/usr/bin/chromium

log() { echo "[install-node] $*" >&2; }

changed=0

# --- npm packages -----------------------------------------------------------
want_stamp="$(cat "$NODE_DIR/package.json" "$NODE_DIR/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want_stamp" ] ||
    ! [ -f "$NODE_DIR/node_modules/ws/package.json" ] ||
    ! [ -f "$NODE_DIR/node_modules/playwright-core/package.json" ]; then
    log "npm install in $NODE_DIR"
    (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error >&2)
    # npm may have rewritten the lock file: stamp what is there now.
    cat "$NODE_DIR/package.json" "$NODE_DIR/package-lock.json" | sha256sum | cut -d' ' -f1 >"$STAMP"
    changed=1
fi

# --- Debian's Chromium ------------------------------------------------------
if ! [ -x "$CHROMIUM" ]; then
    log "apt-get update"
    apt-get update -qq >&2
    log "apt-get install chromium"
    apt-get install -y -qq --no-install-recommends chromium >&2
    changed=1
fi

# --- smoke test -------------------------------------------------------------
if [ "$changed" = 1 ] || [ "${WEBSOCK_PEERS_VERIFY:-1}" != 0 ]; then
    log "smoke test: playwright-core + $CHROMIUM"
    out="$(cd "$NODE_DIR" && CHROMIUM="$CHROMIUM" node smoke-chromium.mjs)"
    log "$out"
fi

ws_v="$(node -p 'require(process.argv[1]).version' "$NODE_DIR/node_modules/ws/package.json")"
pw_v="$(node -p 'require(process.argv[1]).version' "$NODE_DIR/node_modules/playwright-core/package.json")"
echo "ws $ws_v, playwright-core $pw_v, $CHROMIUM"
