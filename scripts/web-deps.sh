#!/usr/bin/env bash
# web-deps.sh — the dashboard's npm packages (web/package.json + web/package-lock.json):
# `npm ci` into web/node_modules when the lockfile changed since the last install, then
# copies the chart library the page serves (uPlot) into web/dashboard/vendor, so the
# dashboard stays plain static files (no build step) that any front server can serve.
# The vendored copy is committed too, so `make install` and a served checkout need no npm;
# this script refreshes it after a version change in web/package.json.
#
# Usage: scripts/web-deps.sh           (scripts/deps.sh runs it; needs node and npm)
#        scripts/web-deps.sh --check   (exit 1 when the vendored copy differs from node_modules)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
web=$repo/web
vendor=$web/dashboard/vendor

command -v npm >/dev/null 2>&1 || { echo "web-deps: npm is missing (scripts/deps.sh installs it)" >&2; exit 1; }

# npm writes node_modules/.package-lock.json on each install: newer than the lockfile
# means the tree is what the lockfile says.
stamp=$web/node_modules/.package-lock.json
if [[ ! -f "$stamp" || "$web/package-lock.json" -nt "$stamp" ]]; then
    echo "web-deps: npm ci in web/"
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
fi

# The files the page loads, and the library's licence beside them.
files=(
    "uplot/dist/uPlot.iife.min.js:uPlot.iife.min.js"
    "uplot/dist/uPlot.min.css:uPlot.min.css"
    "uplot/LICENSE:uPlot.LICENSE"
)
if [[ "${1:-}" == --check ]]; then
    rc=0
    for f in "${files[@]}"; do
        cmp -s "$web/node_modules/${f%%:*}" "$vendor/${f##*:}" || { echo "web-deps: $vendor/${f##*:} differs from node_modules/${f%%:*}" >&2; rc=1; }
    done
    exit "$rc"
fi
mkdir -p "$vendor"
for f in "${files[@]}"; do
    src=$web/node_modules/${f%%:*} dst=$vendor/${f##*:}
    cmp -s "$src" "$dst" || install -m 0644 "$src" "$dst"
done
