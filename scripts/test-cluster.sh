#!/usr/bin/env bash
# test-cluster.sh — make test-cluster: builds the multi-host topology (scripts/cluster.sh up),
# runs tests/cluster/ with pytest inside its client namespace, takes the topology down
# again whatever happens, and fails on any sanitizer report in the services' logs (when
# CM_BIN_DIR is the sanitized build, build/asan/bin). Arguments go to pytest (e.g. -k failover).
# Environment: CM_CLUSTER_DIR [$repo/var/cluster], CM_BIN_DIR [$repo/build/bin],
# CM_CLUSTER_PREFIX (as scripts/cluster.sh).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CM_CLUSTER_DIR=${CM_CLUSTER_DIR:-$repo/var/cluster}
cluster=$repo/scripts/cluster.sh
logdir=$CM_CLUSTER_DIR/log
sanitizer_re='ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer'
start=$SECONDS
rc=0

# finish — the topology down (LeakSanitizer reports at exit), then the logs checked.
finish() {
    local st=$? f
    ((rc)) || rc=$st
    "$cluster" down || { echo "test-cluster: FAILED: the topology did not go down cleanly"; ((rc)) || rc=1; }
    for f in "$logdir"/*.log; do
        [[ -f "$f" ]] || continue
        if grep -qE "$sanitizer_re" "$f"; then
            echo "test-cluster: sanitizer report in $f:"
            grep -nE -A 25 "$sanitizer_re" "$f" | head -n 200
            ((rc)) || rc=1
        fi
    done
    echo "test-cluster: $((SECONDS - start)) s"
    exit "$rc"
}
trap finish EXIT

"$cluster" up
rm -f "$logdir/throughput.json"
"$cluster" exec client /usr/bin/python3 -m pytest -p no:cacheprovider -v "$repo/tests/cluster" "$@" || rc=$?
# The figures of test_4_throughput (docs/scaling.md quotes them).
if [[ -s "$logdir/throughput.json" ]]; then
    jq -r 'to_entries[] | "test-cluster: \(.key) worker(s): \(.value.orders) orders in \(.value.seconds) s = \(.value.orders_per_s) orders/s"' \
        "$logdir/throughput.json" || true
fi
