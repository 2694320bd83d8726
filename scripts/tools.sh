# Installs the pinned book tools when they are missing. Sourced by check.sh and serve.sh.
# Versions are the ones tested together: mdbook-katex 0.10.0 (the newest) is built, with
# --locked, against mdbook 0.5.3, so mdbook is pinned to 0.5.3 too (with 0.5.4 every build
# warns about the mismatch, and scripts/check_book.sh fails on that warning). KaTeX 0.16.4
# inside mdbook-katex 0.10.0 matches the vendored CSS and fonts in book/src/katex/.

MDBOOK_VERSION=0.5.3
MDBOOK_KATEX_VERSION=0.10.0

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# ensure_tool NAME VERSION: `cargo install NAME --version VERSION --locked` unless that
# exact version is already on PATH.
ensure_tool() {
    local name=$1 version=$2
    if command -v "$name" >/dev/null 2>&1 && "$name" --version 2>/dev/null | grep -qF "$version"; then
        return 0
    fi
    echo "==> installing $name $version (cargo install, a few minutes on a cold machine)"
    cargo install "$name" --version "$version" --locked
}

ensure_book_tools() {
    command -v cargo >/dev/null 2>&1 || { echo "error: cargo is not on PATH; install the Rust toolchain (rustup) first" >&2; return 1; }
    ensure_tool mdbook "$MDBOOK_VERSION"
    ensure_tool mdbook-katex "$MDBOOK_KATEX_VERSION"
}
