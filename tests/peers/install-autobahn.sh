#!/usr/bin/env bash
# Install the Autobahn|Testsuite (`wstest`, Python 2.7 only) into a virtualenv.
#
#   DIR = ${WEBSOCK_PEERS_DIR:-$HOME/.cache/websock-peers}/autobahn-venv
#
# Debian 12 has no python2.7, so it is taken from Debian 11 (bullseye), served
# by the same Debian mirror the machine already uses. The bullseye entry is
# pinned low (priority 100) so that it can never upgrade/replace bookworm
# packages; it only supplies packages bookworm does not have.
#
# Idempotent: does nothing if DIR/bin/wstest exists and runs.
# Progress goes to stderr; the last line on stdout is the path of wstest.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PEERS_DIR="${WEBSOCK_PEERS_DIR:-$HOME/.cache/websock-peers}"
VENV="$PEERS_DIR/autobahn-venv"
WSTEST="$VENV/bin/wstest"
# NOT the pyenv shim `python2.7`, which may not be a real interpreter.
# WEBSOCK_PY27 may name another Python 2.7 (with headers) and skips apt.
PY27="${WEBSOCK_PY27:-/usr/bin/python2.7}"

log() { echo "[install-autobahn] $*" >&2; }

wstest_ok() {
    [ -x "$WSTEST" ] && "$WSTEST" --help >/dev/null 2>&1
}

if wstest_ok; then
    echo "$WSTEST"
    exit 0
fi

# --- 1. python2.7 from Debian bullseye -------------------------------------

# Print the URI of the main Debian archive used by the configured apt sources
# (both deb822 *.sources and one-line *.list formats), e.g.
# http://deb.debian.org/debian
find_debian_mirror() {
    local f
    {
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] || continue
            # deb [opts] URI SUITE COMPONENTS...
            sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
                awk '$1 == "deb" && $3 ~ /^bookworm(-updates)?$/ { print $2 }'
        done
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] || continue
            # deb822 stanzas separated by blank lines
            awk '
                function flush() {
                    if (enabled && types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm(-updates)?( |$)/) {
                        n = split(uris, u, " ")
                        for (i = 1; i <= n; i++) print u[i]
                    }
                    types = ""; uris = ""; suites = ""; enabled = 1
                }
                BEGIN { enabled = 1 }
                /^[ \t]*#/ { next }
                /^[ \t]*$/ { flush(); next }
                {
                    key = $1; sub(/:$/, "", key); key = tolower(key)
                    val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                    if (key == "types") types = val
                    else if (key == "uris") uris = val
                    else if (key == "suites") suites = val
                    else if (key == "enabled" && tolower(val) == "no") enabled = 0
                }
                END { flush() }
            ' "$f"
        done
    } | grep -E '^(https?|mirror\+https?)://' | sed 's:/*$::' | head -n1
}

if [ -z "${WEBSOCK_PY27:-}" ] &&
    { ! [ -x "$PY27" ] || ! [ -f /usr/include/python2.7/Python.h ] || ! command -v gcc >/dev/null; }; then
    if ! apt-cache policy python2.7 2>/dev/null | grep -q bullseye; then
        mirror="$(find_debian_mirror || true)"
        if [ -z "$mirror" ]; then
            mirror=http://deb.debian.org/debian
            log "could not find the Debian mirror in the apt sources; using $mirror"
        fi
        log "adding bullseye main from $mirror for python2.7"
        keyring=/usr/share/keyrings/debian-archive-keyring.gpg
        signed=""
        [ -f "$keyring" ] && signed="[signed-by=$keyring] "
        echo "deb ${signed}$mirror bullseye main" >/etc/apt/sources.list.d/bullseye-py27.list
        cat >/etc/apt/preferences.d/bullseye-py27 <<'EOF'
# Added by websock tests/peers/install-autobahn.sh: bullseye only supplies
# python2.7; never let it replace or upgrade bookworm packages.
Package: *
Pin: release n=bullseye
Pin-Priority: 100
EOF
    fi
    log "apt-get update"
    apt-get update -qq >&2
    log "apt-get install python2.7 python2.7-dev gcc"
    # Only new packages come from bullseye (python2.7, libpython2.7*, libssl1.1,
    # libffi7, mime-support); the pin keeps every bookworm package as it is.
    apt-get install -y -qq --no-install-recommends python2.7 python2.7-dev gcc >&2
fi
"$PY27" --version >&2

# --- 2. virtualenv with the pinned, last-known-good Python 2 stack ----------

# virtualenv 20.15.1 is the last one that can create Python 2.7 environments.
# It lives in a small python3 venv of its own, so that the machine's Python
# is left untouched.
BOOT="$PEERS_DIR/virtualenv-20.15.1"
if ! "$BOOT/bin/python" -m virtualenv --version 2>/dev/null | grep -q '^virtualenv 20\.15\.1 '; then
    log "installing virtualenv==20.15.1 into $BOOT"
    rm -rf "$BOOT"
    mkdir -p "$PEERS_DIR"
    python3 -m venv "$BOOT"
    "$BOOT/bin/python" -m pip install -q --disable-pip-version-check virtualenv==20.15.1 >&2
fi

mkdir -p "$PEERS_DIR"
rm -rf "$VENV"
log "creating $VENV"
"$BOOT/bin/python" -m virtualenv -q -p "$PY27" "$VENV" >&2

pip2() { "$VENV/bin/python" -m pip -q --disable-pip-version-check --no-python-version-warning "$@" >&2; }

log "pip install autobahntestsuite and its pinned dependencies"
pip2 install setuptools==44.0.0 six==1.16.0 incremental==16.10.1
pip2 install \
    autobahntestsuite==25.10.1 \
    setuptools==44.0.0 \
    txaio==2.1.0 \
    incremental==16.10.1 \
    pyOpenSSL==19.1.0 \
    cryptography==3.3.2 \
    Twisted==19.10.0 \
    zope.interface==4.6.0 \
    jinja2==2.11.3 \
    markupsafe==1.1.1 \
    Werkzeug==1.0.1 \
    klein==17.10.0 \
    service_identity==18.1.0 \
    unittest2==1.1.0 \
    six==1.16.0 \
    'autobahn[accelerate,twisted]==0.10.9'

if ! wstest_ok; then
    log "ERROR: $WSTEST does not run:"
    "$WSTEST" --help >&2 || true
    exit 1
fi
echo "$WSTEST"
