#!/usr/bin/env bash
# Install the Autobahn|Testsuite (`wstest`, Python 2.7 only) into a virtualenv:
#
#   ${WEBSOCK_PEERS_DIR:-$HOME/.cache/websock-peers}/autobahn-venv        CPython 2.7 (default)
#   ${WEBSOCK_PEERS_DIR:-$HOME/.cache/websock-peers}/autobahn-pypy-venv   PyPy 2.7 (opt-in)
#
# CPython 2.7 with wsaccel is the default. WEBSOCK_AUTOBAHN_PYTHON=pypy selects PyPy
# 2.7: measured here it takes 14-22% less CPU per wstest process on sections 9, 12 and
# 13, but each process grew to 1.7-3.8 GB of RSS during sections 12/13, so eight lanes
# at once (the full run) exhausted 24 GB and the run slowed to a crawl. Use it for a
# few lanes at a time only. If the PyPy install fails, the script says so, leaves a
# marker (DIR/autobahn-pypy-failed) and uses CPython.
#
# Debian 12 has neither interpreter, so both come from Debian 11 (bullseye), served by
# the same Debian mirror the machine already uses. The bullseye entry is pinned low
# (priority 100) so that it can never upgrade or replace bookworm packages; it only
# supplies packages bookworm does not have. On PyPy, `cryptography` is built from
# source against OpenSSL 1.1 (bullseye's libssl1.1; its headers are unpacked under
# DIR/openssl-1.1, never installed over bookworm's OpenSSL 3 headers).
#
# Idempotent: does nothing if the venv's wstest exists and runs.
# Progress goes to stderr; the last line on stdout is the path of wstest.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PEERS_DIR="${WEBSOCK_PEERS_DIR:-$HOME/.cache/websock-peers}"
FLAVOUR="${WEBSOCK_AUTOBAHN_PYTHON:-cpython}"
PYPY_VENV="$PEERS_DIR/autobahn-pypy-venv"
CPY_VENV="$PEERS_DIR/autobahn-venv"
PYPY_FAILED="$PEERS_DIR/autobahn-pypy-failed"
# NOT the pyenv shim `python2.7`, which may not be a real interpreter.
# WEBSOCK_PY27 may name another CPython 2.7 (with headers) and skips apt.
PY27="${WEBSOCK_PY27:-/usr/bin/python2.7}"
PYPY=/usr/bin/pypy

log() { echo "[install-autobahn] $*" >&2; }

wstest_ok() {
    [ -x "$1/bin/wstest" ] && "$1/bin/wstest" --help >/dev/null 2>&1
}

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

# Makes bullseye's packages installable (pinned low), then refreshes the index.
add_bullseye() {
    if ! apt-cache policy python2.7 2>/dev/null | grep -q bullseye; then
        local mirror
        mirror="$(find_debian_mirror || true)"
        if [ -z "$mirror" ]; then
            mirror=http://deb.debian.org/debian
            log "could not find the Debian mirror in the apt sources; using $mirror"
        fi
        log "adding bullseye main from $mirror for Python 2.7"
        local keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed=""
        [ -f "$keyring" ] && signed="[signed-by=$keyring] "
        echo "deb ${signed}$mirror bullseye main" >/etc/apt/sources.list.d/bullseye-py27.list
        cat >/etc/apt/preferences.d/bullseye-py27 <<'PIN'
# Added by websock tests/peers/install-autobahn.sh: bullseye only supplies
# Python 2.7 (CPython, PyPy) and what they need; never let it replace or upgrade
# bookworm packages.
Package: *
Pin: release n=bullseye
Pin-Priority: 100
PIN
    fi
    log "apt-get update"
    apt-get update -qq >&2
}

# virtualenv 20.15.1 is the last one that can create Python 2.7 environments. It lives
# in a small python3 venv of its own, so that the machine's Python is left untouched.
BOOT="$PEERS_DIR/virtualenv-20.15.1"
bootstrap_virtualenv() {
    if ! "$BOOT/bin/python" -m virtualenv --version 2>/dev/null | grep -q '^virtualenv 20\.15\.1 '; then
        log "installing virtualenv==20.15.1 into $BOOT"
        rm -rf "$BOOT"
        mkdir -p "$PEERS_DIR"
        python3 -m venv "$BOOT"
        "$BOOT/bin/python" -m pip install -q --disable-pip-version-check virtualenv==20.15.1 >&2
    fi
}

# The pinned, last-known-good Python 2 stack of autobahntestsuite 25.10.1.
PINNED=(
    autobahntestsuite==25.10.1 setuptools==44.0.0 txaio==2.1.0 incremental==16.10.1
    pyOpenSSL==19.1.0 cryptography==3.3.2 Twisted==19.10.0 zope.interface==4.6.0
    jinja2==2.11.3 markupsafe==1.1.1 Werkzeug==1.0.1 klein==17.10.0
    service_identity==18.1.0 unittest2==1.1.0 six==1.16.0
)

# pip in venv $1, quiet.
pip_in() {
    local venv=$1
    shift
    "$venv/bin/python" -m pip -q --disable-pip-version-check --no-python-version-warning "$@" >&2
}

install_cpython() {
    if [ -z "${WEBSOCK_PY27:-}" ] &&
        { ! [ -x "$PY27" ] || ! [ -f /usr/include/python2.7/Python.h ] || ! command -v gcc >/dev/null; }; then
        add_bullseye
        log "apt-get install python2.7 python2.7-dev gcc"
        apt-get install -y -qq --no-install-recommends python2.7 python2.7-dev gcc >&2
    fi
    "$PY27" --version >&2
    bootstrap_virtualenv
    rm -rf "$CPY_VENV"
    log "creating $CPY_VENV"
    "$BOOT/bin/python" -m virtualenv -q -p "$PY27" "$CPY_VENV" >&2
    log "pip install autobahntestsuite and its pinned dependencies (CPython, with wsaccel)"
    pip_in "$CPY_VENV" install setuptools==44.0.0 six==1.16.0 incremental==16.10.1
    pip_in "$CPY_VENV" install "${PINNED[@]}" 'autobahn[accelerate,twisted]==0.10.9'
}

install_pypy() {
    if ! [ -x "$PYPY" ] || ! [ -d /usr/lib/pypy/include ] ||
        ! [ -e /usr/lib/x86_64-linux-gnu/libssl.so.1.1 ] || ! command -v gcc >/dev/null; then
        add_bullseye
        log "apt-get install pypy pypy-dev libssl1.1 gcc"
        apt-get install -y -qq --no-install-recommends pypy pypy-dev libssl1.1 gcc >&2
    fi
    "$PYPY" --version >&2
    local ssl="$PEERS_DIR/openssl-1.1"
    if ! [ -f "$ssl/usr/include/openssl/ssl.h" ]; then
        log "unpacking bullseye's libssl-dev (OpenSSL 1.1 headers) into $ssl"
        local debs
        debs="$(mktemp -d)"
        (cd "$debs" && apt-get download -qq libssl-dev/bullseye libssl1.1/bullseye >&2)
        rm -rf "$ssl"
        for deb in "$debs"/*.deb; do dpkg -x "$deb" "$ssl"; done
        rm -rf "$debs"
    fi
    bootstrap_virtualenv
    rm -rf "$PYPY_VENV"
    log "creating $PYPY_VENV"
    "$BOOT/bin/python" -m virtualenv -q -p "$PYPY" "$PYPY_VENV" >&2
    # --no-compile: pip 20 cannot find the .pyc files PyPy writes for wheels.
    log "pip install autobahntestsuite and its pinned dependencies (PyPy)"
    pip_in "$PYPY_VENV" install --no-compile setuptools==44.0.0 six==1.16.0 incremental==16.10.1 wheel==0.37.1
    CFLAGS="-I$ssl/usr/include -I$ssl/usr/include/x86_64-linux-gnu" \
        LDFLAGS="-L$ssl/usr/lib/x86_64-linux-gnu" \
        pip_in "$PYPY_VENV" install --no-compile --no-cache-dir --no-build-isolation \
        --no-binary cryptography cryptography==3.3.2
    pip_in "$PYPY_VENV" install --no-compile "${PINNED[@]}" 'autobahn[twisted]==0.10.9'
}

if [ "$FLAVOUR" = pypy ]; then
    if wstest_ok "$PYPY_VENV"; then
        echo "$PYPY_VENV/bin/wstest"
        exit 0
    fi
    if ! [ -f "$PYPY_FAILED" ]; then
        mkdir -p "$PEERS_DIR"
        set +e
        (set -e; install_pypy)
        status=$?
        set -e
        if [ "$status" = 0 ] && wstest_ok "$PYPY_VENV"; then
            echo "$PYPY_VENV/bin/wstest"
            exit 0
        fi
        log "WARNING: installing wstest on PyPy failed (status $status); using CPython 2.7"
        touch "$PYPY_FAILED"
    fi
fi

if ! wstest_ok "$CPY_VENV"; then
    install_cpython
fi
if ! wstest_ok "$CPY_VENV"; then
    log "ERROR: $CPY_VENV/bin/wstest does not run:"
    "$CPY_VENV/bin/wstest" --help >&2 || true
    exit 1
fi
echo "$CPY_VENV/bin/wstest"
