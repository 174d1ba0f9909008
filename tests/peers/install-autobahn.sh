#!/usr/bin/env bash
# Install the Autobahn|Testsuite (`wstest`, Python 2.7 only) into a virtualenv.
#
#   DIR = ${WEBSOCK_PEERS_DIR:-$HOME/.cache/websock-peers}/autobahn-venv
#
# The interpreter is PyPy 2.7 (Debian bullseye's `pypy`), whose JIT runs wstest
# much faster than CPython 2.7 on the permessage-deflate sections (12, 13).
# CPython 2.7 is the fallback when PyPy cannot be installed; it is also used with
# WEBSOCK_AUTOBAHN_PYTHON=cpython or WEBSOCK_PY27=/path/to/python2.7.
#
# Debian 12 has neither pypy nor python2.7, so they are taken from Debian 11
# (bullseye), served by the same Debian mirror the machine already uses. The
# bullseye entry is pinned low (priority 100) so that it can never
# upgrade/replace bookworm packages; it only supplies packages bookworm does
# not have.
#
# Idempotent: does nothing if DIR/bin/wstest exists, runs, and uses the wanted
# interpreter (recorded in DIR/.websock-python; a CPython fallback stays until
# DIR is removed). Progress goes to stderr; the last line on stdout is the path
# of wstest.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PEERS_DIR="${WEBSOCK_PEERS_DIR:-$HOME/.cache/websock-peers}"
VENV="$PEERS_DIR/autobahn-venv"
WSTEST="$VENV/bin/wstest"
MARK="$VENV/.websock-python"
# NOT the pyenv shim `python2.7`, which may not be a real interpreter.
# WEBSOCK_PY27 may name another Python 2.7 (with headers) and skips apt.
PY27="${WEBSOCK_PY27:-/usr/bin/python2.7}"
PYPY=/usr/bin/pypy
WANT="${WEBSOCK_AUTOBAHN_PYTHON:-pypy}"
[ -n "${WEBSOCK_PY27:-}" ] && WANT=cpython
if [ "$WANT" != pypy ] && [ "$WANT" != cpython ]; then
    echo "WEBSOCK_AUTOBAHN_PYTHON is pypy or cpython, not '$WANT'" >&2
    exit 2
fi

log() { echo "[install-autobahn] $*" >&2; }

wstest_ok() {
    [ -x "$WSTEST" ] && "$WSTEST" --help >/dev/null 2>&1
}

have="$(cat "$MARK" 2>/dev/null || true)"
if wstest_ok && { [ "$have" = "$WANT" ] || [ "$have" = cpython-fallback ]; }; then
    echo "$WSTEST"
    exit 0
fi

# --- 1. PyPy 2.7 (or python2.7) from Debian bullseye ----------------------

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

# Adds the pinned bullseye suite if needed, and runs apt-get update (once).
apt_updated=""
bullseye_apt() {
    [ -z "$apt_updated" ] || return 0
    if ! apt-cache policy python2.7 2>/dev/null | grep -q bullseye; then
        mirror="$(find_debian_mirror || true)"
        if [ -z "$mirror" ]; then
            mirror=http://deb.debian.org/debian
            log "could not find the Debian mirror in the apt sources; using $mirror"
        fi
        log "adding bullseye main from $mirror for pypy / python2.7"
        keyring=/usr/share/keyrings/debian-archive-keyring.gpg
        signed=""
        [ -f "$keyring" ] && signed="[signed-by=$keyring] "
        echo "deb ${signed}$mirror bullseye main" >/etc/apt/sources.list.d/bullseye-py27.list
        cat >/etc/apt/preferences.d/bullseye-py27 <<'EOF'
# Added by websock tests/peers/install-autobahn.sh: bullseye only supplies
# pypy and python2.7; never let it replace or upgrade bookworm packages.
Package: *
Pin: release n=bullseye
Pin-Priority: 100
EOF
    fi
    log "apt-get update"
    apt-get update -qq >&2
    apt_updated=1
}

# OpenSSL 1.1 headers, to build cryptography 3.3.2 (the last release for
# Python 2) for PyPy: PyPI has no PyPy 2 wheel of it, and it does not build
# against bookworm's OpenSSL 3. Bullseye's libssl-dev is unpacked into
# PEERS_DIR, never installed (it would replace bookworm's); the build links
# against libssl1.1, which pypy depends on anyway.
SSL11="$PEERS_DIR/openssl-1.1"
openssl11_headers() {
    [ -f "$SSL11/include/openssl/opensslconf.h" ] && [ -e "$SSL11/lib/libssl.so" ] && return 0
    local tmp libssl d
    libssl="$(ldconfig -p | awk '/libssl\.so\.1\.1 / { print $NF; exit }')"
    [ -n "$libssl" ] || return 1
    bullseye_apt
    log "unpacking bullseye's libssl-dev (OpenSSL 1.1 headers) into $SSL11"
    tmp="$(mktemp -d)"
    if ! (cd "$tmp" && apt-get download -q libssl-dev/bullseye) >&2 2>&1; then
        rm -rf "$tmp"
        return 1
    fi
    dpkg-deb -x "$tmp"/libssl-dev_*.deb "$tmp/root"
    rm -rf "$SSL11"
    mkdir -p "$SSL11/include" "$SSL11/lib"
    cp -r "$tmp/root/usr/include/openssl" "$SSL11/include/"
    # opensslconf.h and configuration.h live in the multiarch directory.
    for d in "$tmp"/root/usr/include/*/openssl; do
        cp -r "$d/." "$SSL11/include/openssl/"
    done
    rm -rf "$tmp"
    ln -s "$libssl" "$SSL11/lib/libssl.so"
    ln -s "$(dirname "$libssl")/libcrypto.so.1.1" "$SSL11/lib/libcrypto.so"
    [ -f "$SSL11/include/openssl/opensslconf.h" ]
}

impl=cpython
if [ "$WANT" = pypy ]; then
    if ! [ -x "$PYPY" ] || ! [ -f /usr/lib/pypy/include/Python.h ] || ! command -v gcc >/dev/null; then
        bullseye_apt
        log "apt-get install pypy pypy-dev gcc"
        # From bullseye: pypy, pypy-lib, pypy-dev, and libssl1.1 and libffi7 if
        # python2.7 did not bring them already.
        apt-get install -y -qq --no-install-recommends pypy pypy-dev gcc >&2 ||
            log "apt-get could not install pypy"
    fi
    if [ -x "$PYPY" ] && "$PYPY" --version >&2 && openssl11_headers; then
        impl=pypy
    else
        log "PyPy 2.7 is not available: falling back to CPython 2.7"
    fi
fi

if [ "$impl" = cpython ] && [ -z "${WEBSOCK_PY27:-}" ] &&
    { ! [ -x "$PY27" ] || ! [ -f /usr/include/python2.7/Python.h ] || ! command -v gcc >/dev/null; }; then
    bullseye_apt
    log "apt-get install python2.7 python2.7-dev gcc"
    # Only new packages come from bullseye (python2.7, libpython2.7*, libssl1.1,
    # libffi7, mime-support); the pin keeps every bookworm package as it is.
    apt-get install -y -qq --no-install-recommends python2.7 python2.7-dev gcc >&2
fi
if [ "$impl" = cpython ]; then
    "$PY27" --version >&2
fi

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
if [ "$impl" = pypy ]; then
    log "creating $VENV (PyPy)"
    "$BOOT/bin/python" -m virtualenv -q -p "$PYPY" "$VENV" >&2
    # pip 20.3.4 on PyPy 2 trips over the .pyc files it compiles: compile none, in
    # build-isolation environments too, hence the environment (for this
    # store_false option, pip reads 0 as "do not compile").
    export PIP_NO_COMPILE=0
    export CFLAGS="-I$SSL11/include${CFLAGS:+ $CFLAGS}"
    export LDFLAGS="-L$SSL11/lib${LDFLAGS:+ $LDFLAGS}"
    # No autobahn[accelerate]: wsaccel and ujson are C extensions, which PyPy runs
    # through its slow C-API emulation; autobahn's pure-Python paths are JIT-compiled.
    autobahn='autobahn[twisted]==0.10.9'
    # Built here against OpenSSL 1.1; never a wheel cached from another build.
    no_cache=--no-cache-dir
else
    log "creating $VENV (CPython)"
    "$BOOT/bin/python" -m virtualenv -q -p "$PY27" "$VENV" >&2
    autobahn='autobahn[accelerate,twisted]==0.10.9'
    no_cache=""
fi

pip2() { "$VENV/bin/python" -m pip -q --disable-pip-version-check --no-python-version-warning "$@" >&2; }

log "pip install autobahntestsuite and its pinned dependencies"
pip2 install setuptools==44.0.0 six==1.16.0 incremental==16.10.1
pip2 install $no_cache cryptography==3.3.2
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
    "$autobahn"

if ! wstest_ok; then
    log "ERROR: $WSTEST does not run:"
    "$WSTEST" --help >&2 || true
    exit 1
fi
if [ "$impl" = cpython ] && [ "$WANT" = pypy ]; then
    echo cpython-fallback >"$MARK"
else
    echo "$impl" >"$MARK"
fi
log "wstest runs on $("$VENV/bin/python" -c 'import platform; print(platform.python_implementation())')"
echo "$WSTEST"
