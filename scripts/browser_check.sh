#!/usr/bin/env bash
# Opens the built book (book/book) in headless Chromium and fails on what a reader would
# notice; see scripts/browser_check.py. Installs what it needs when missing: Debian's
# `chromium` (apt-get) and the pinned Python `playwright` package in a virtual environment
# under target/ (pip; playwright drives the system browser, no browser is downloaded).
# Usage: bash scripts/browser_check.sh (after scripts/check_book.sh built the book).
set -euo pipefail
cd "$(dirname "$0")/.."

PLAYWRIGHT_VERSION=1.65.2
venv=target/browser-venv

# apt_install PACKAGE...: Debian packages, as root or through sudo.
apt_install() {
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if ! command -v chromium >/dev/null 2>&1; then
    echo "==> installing chromium (apt-get, about a minute)"
    apt_install chromium
fi

if ! "$venv/bin/python" -c "import playwright, importlib.metadata as m; \
        assert m.version('playwright') == '$PLAYWRIGHT_VERSION'" 2>/dev/null; then
    echo "==> installing playwright $PLAYWRIGHT_VERSION into $venv (pip)"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        # Debian's python3 ships venv separately.
        rm -rf "$venv"
        apt_install python3 python3-venv
        python3 -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "playwright==$PLAYWRIGHT_VERSION"
fi

CHROMIUM=$(command -v chromium) exec "$venv/bin/python" scripts/browser_check.py "$@"
