#!/usr/bin/env bash
# deps.sh — install the Debian 12 packages certmill needs to build, run its
# local stack and run its tests. Idempotent: checks with dpkg-query first, runs
# `apt-get update` + `apt-get install -y` only when something is missing, and
# prints nothing when everything is already there.
#
# Usage: scripts/deps.sh            (as root, or as a user with sudo)
#        scripts/deps.sh bench      (also what make bench needs: the peers and wrk)
#        CM_DEPS_VERBOSE=1 scripts/deps.sh   (also say when nothing is missing)
set -euo pipefail

# Build dependencies of the C code (compiler, libraries, unit-test framework; clang
# with its sanitizer and libFuzzer runtimes, libclang-rt-14-dev, for tests/fuzz), and
# publicsuffix: the Public Suffix List libpsl reads at run time (registered domains of
# the CA rate-limit budget; libpsl's built-in copy is only the fallback).
build_pkgs=(
    gcc make pkg-config clang libclang-rt-14-dev
    libssl-dev libcurl4-openssl-dev libpq-dev libjansson-dev libfcgi-dev
    libidn2-dev libpsl-dev libldns-dev libcmocka-dev
    publicsuffix
)
# Services and tools of the local stack (scripts/stack.sh, scripts/demo.sh).
# bind9-dnsutils brings dig and nsupdate; util-linux brings runuser and setsid.
# pdns-server + pdns-backend-sqlite3: PowerDNS Authoritative for the powerdns
# DNS provider (its HTTP API), with sqlite3 to create its database.
service_pkgs=(
    postgresql-15 pebble bind9 bind9-utils bind9-dnsutils
    pdns-server pdns-backend-sqlite3 sqlite3
    openssl ca-certificates curl procps iproute2 util-linux jq
)
# Integration tests run on Debian's /usr/bin/python3 with Debian's packages; the
# dashboard's browser tests (tests/browser) drive Debian's chromium with Playwright.
# python3-jsonschema validates the API's answers against docs/openapi.yaml (draft
# 2020-12), with python3-rfc3987 (format uri) and python3-rfc3339 (format date-time);
# python3-prometheus-client: test_metrics parses GET /metrics with its text-format parser.
test_pkgs=(
    python3 python3-yaml python3-pytest python3-requests python3-cryptography python3-psycopg2 valgrind
    python3-jsonschema python3-rfc3987 python3-rfc3339 python3-prometheus-client
    libfcgi-bin pgbouncer chromium
)
# make bench: the ACME clients it measures certmill against, and wrk (pgbench comes with postgresql-15).
bench_pkgs=()
if [[ "${1:-}" == bench ]]; then bench_pkgs=(lego certbot uacme wrk); fi

# is_installed PKG — true when dpkg reports PKG as fully installed.
is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

missing=()
for pkg in "${build_pkgs[@]}" "${service_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done
# Node and npm for the dashboard's npm packages (web/package-lock.json) and its browser
# tests: Debian's nodejs and npm, unless a node with its own npm is there already (the
# NodeSource nodejs package bundles npm and conflicts with Debian's).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# Any nginx flavour will do; nginx-light is the smallest one.
if ! is_installed nginx && ! is_installed nginx-light && ! is_installed nginx-core \
    && ! is_installed nginx-full && ! is_installed nginx-extras; then
    missing+=(nginx-light)
fi

# The dashboard's npm packages (npm ci from the lockfile, only when it changed).
web_deps() {
    "$(dirname "${BASH_SOURCE[0]}")/web-deps.sh"
}

if ((${#missing[@]} == 0)); then
    [[ "${CM_DEPS_VERBOSE:-0}" == 1 ]] && echo "deps: all packages present"
    web_deps
    exit 0
fi

# Root runs apt-get directly; anyone else needs sudo.
sudo=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "deps: missing packages (${missing[*]}) and not root, no sudo" >&2
        exit 1
    fi
fi

echo "deps: installing ${missing[*]}"

# Debian starts a daemon right after installing it (postgresql on 5432, bind9
# and pdns-server on port 53 of every interface, nginx on port 80). The stack runs its own
# private, loopback-only instances, so forbid service starts for the length of
# the install with the standard policy-rc.d hook, unless one is already there.
policy=/usr/sbin/policy-rc.d
made_policy=0
cleanup() {
    if ((made_policy)); then "${sudo[@]}" rm -f "$policy"; fi
}
trap cleanup EXIT
if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# temporary, from certmill scripts/deps.sh\nexit 101\n' |
        "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 0755 "$policy"
    made_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"
web_deps
echo "deps: done"
