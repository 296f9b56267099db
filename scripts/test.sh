#!/usr/bin/env bash
# test.sh — the integration part of `make test`: start a private stack with
# the sanitizer build, run the pytest integration suite against it, stop the
# stack (always, also on failure) and fail on any sanitizer report in its logs.
#
# The Makefile builds build/asan/bin and runs the unit tests before this.
# Usage: scripts/test.sh [PYTEST ARGS...]     (e.g. -k orders -x)
#   CM_TEST_TIMEOUT  seconds pytest may run before it is stopped [2400]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# Own state dir, ports and binaries: runs beside a `make up` stack (CM_PORT_BASE
# moves the ports, for two test runs side by side).
export CM_STACK_DIR=${CM_STACK_DIR:-$repo/var/test}
export CM_PORT_BASE=${CM_PORT_BASE:-28000}
export CM_BIN_DIR=${CM_BIN_DIR:-$repo/build/asan/bin}
export CM_WORKERS=${CM_WORKERS:-2}
export CM_PEBBLE_NOSLEEP=${CM_PEBBLE_NOSLEEP:-1}
# Short leases so the worker-kill test waits seconds, not a minute, for the takeover.
export CM_LEASE_SECONDS=${CM_LEASE_SECONDS:-10}
# A record that never appears fails after this many seconds (the propagation test waits for it).
export CM_DNS_PROPAGATION_TIMEOUT=${CM_DNS_PROPAGATION_TIMEOUT:-15}
# JSON log lines (one object per line): tests/integration/test_logs.py follows an order through them.
export CM_LOG_FORMAT=${CM_LOG_FORMAT:-json}
# The services run sanitized; reports land in $CM_STACK_DIR/log/*.log.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Tests talk to 127.0.0.1 only. REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (set on
# some machines) would override requests' per-session `verify=` and so make
# the stack's private CAs untrusted.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE
export no_proxy='*' NO_PROXY='*'

stack=$repo/scripts/stack.sh
logdir=$CM_STACK_DIR/log
sanitizer_re='ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer'

"$repo/scripts/deps.sh"
for b in certmill certmill-fcgi certmill-worker certmill-alpn; do
    [[ -x "$CM_BIN_DIR/$b" ]] || { echo "test: no $CM_BIN_DIR/$b: build it first (make test does)" >&2; exit 1; }
done

# A stack left over by an earlier, interrupted run.
"$stack" down

stack_up=0
cleanup() {
    if ((stack_up)); then
        stack_up=0
        echo "test: stopping the test stack"
        "$stack" down || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stack_up=1
"$stack" up

# The tests get the stack's environment (CERTMILL_URL, CERTMILL_API_KEY, ...)
# plus CM_STACK_DIR & co. above, so they can call `scripts/stack.sh kill-worker N`.
set -a
# shellcheck disable=SC1091
. "$CM_STACK_DIR/stack.env"
set +a

echo "test: pytest tests/integration"
# Without arguments the whole suite runs: tests/integration/test_openapi_responses.py then
# also checks that most documented answers of the API were seen.
if (($# == 0)); then export CM_TEST_ALL=1; else export CM_TEST_ALL=0; fi
rc=0
timeout --foreground --kill-after=30 "${CM_TEST_TIMEOUT:-2400}" \
    /usr/bin/python3 -m pytest -v -p no:cacheprovider tests/integration "$@" || rc=$?
case $rc in
0) ;;
5) echo "test: FAILED: pytest collected no tests" ;;
124) echo "test: FAILED: pytest still running after ${CM_TEST_TIMEOUT:-2400}s" ;;
*) echo "test: FAILED: pytest exit status $rc" ;;
esac

# Stop the stack first: LeakSanitizer reports when a process exits.
stack_up=0
if ! "$stack" down; then
    echo "test: FAILED: the test stack did not stop cleanly"
    ((rc)) || rc=1
fi

# Sanitizer reports from any service or CLI run of this stack.
bad=0
for f in "$logdir"/*.log; do
    [[ -f "$f" ]] || continue
    if grep -qE "$sanitizer_re" "$f"; then
        bad=1
        echo "test: sanitizer report in $f:"
        grep -nE -A 25 "$sanitizer_re" "$f" | head -n 200
    fi
done
if ((bad)); then
    echo "test: FAILED: sanitizer reports found (logs in $logdir)"
    ((rc)) || rc=1
fi
# Under valgrind (CM_VALGRIND=1) each log of memcheck stays empty unless it found an
# error or a definitely lost block.
if [[ "${CM_VALGRIND:-0}" == 1 ]]; then
    vg=0
    for f in "$logdir"/valgrind-*.log; do
        [[ -f "$f" ]] || continue
        vg=$((vg + 1))
        if [[ -s "$f" ]]; then
            bad=1
            echo "test: valgrind report in $f:"
            head -n 200 "$f"
        fi
    done
    if ((vg == 0)); then
        echo "test: FAILED: CM_VALGRIND=1 but no valgrind log was written"
        ((rc)) || rc=1
    elif ((bad)); then
        echo "test: FAILED: valgrind found errors or leaks (logs in $logdir)"
        ((rc)) || rc=1
    else
        echo "test: valgrind: $vg processes, no error, nothing definitely lost"
    fi
fi

if ((rc)); then
    # Help the reader: the end of the certmill logs of this run.
    for f in "$logdir"/fcgi.log "$logdir"/worker-*.log; do
        [[ -s "$f" ]] || continue
        printf -- '----- last lines of %s -----\n' "$f"
        tail -n 30 "$f"
    done
    exit "$rc"
fi
echo "test: integration tests passed, no sanitizer reports"
