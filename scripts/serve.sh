#!/usr/bin/env bash
# Serves the book at http://localhost:3000, installing the pinned mdbook and mdbook-katex
# first when they are missing. Usage: bash scripts/serve.sh [extra mdbook serve flags]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_book_tools
exec mdbook serve book --hostname 127.0.0.1 --port 3000 "$@"
