#!/usr/bin/env bash
# Create a Python 3 venv with the latest `websockets` from PyPI:
#
#   ${WEBSOCK_PEERS_DIR:-$HOME/.cache/websock-peers}/py3-venv
#
# Idempotent: does nothing if the venv exists and can import websockets
# (set WEBSOCK_PEERS_UPGRADE=1 to upgrade websockets to the latest anyway).
# Progress goes to stderr; the last line on stdout names the venv's python.
set -euo pipefail

PEERS_DIR="${WEBSOCK_PEERS_DIR:-$HOME/.cache/websock-peers}"
VENV="$PEERS_DIR/py3-venv"
PY="$VENV/bin/python"

log() { echo "[install-python] $*" >&2; }

version() { "$PY" -c 'import websockets; print(websockets.__version__)' 2>/dev/null; }

if [ "${WEBSOCK_PEERS_UPGRADE:-0}" != 1 ] && v="$(version)"; then
    echo "$PY (websockets $v)"
    exit 0
fi

if ! [ -x "$PY" ] || ! "$PY" -c 'import sys; assert sys.version_info >= (3, 9)' 2>/dev/null; then
    rm -rf "$VENV"
    mkdir -p "$PEERS_DIR"
    log "creating $VENV"
    python3 -m venv "$VENV"
fi

log "pip install --upgrade websockets"
"$PY" -m pip install -q --disable-pip-version-check --upgrade websockets >&2

v="$(version)" || { log "ERROR: websockets does not import in $VENV"; exit 1; }
echo "$PY (websockets $v)"
