#!/usr/bin/env bash
# test-cluster.sh — make test-cluster: builds the multi-host topology (scripts/cluster.sh up),
# runs tests/cluster/ with pytest inside its client namespace, and takes the topology down
# again whatever happens. Arguments go to pytest (e.g. -k failover).
# Environment: CM_CLUSTER_DIR [$repo/var/cluster], CM_BIN_DIR [$repo/build/bin],
# CM_CLUSTER_PREFIX [cm-] (as scripts/cluster.sh).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CM_CLUSTER_DIR=${CM_CLUSTER_DIR:-$repo/var/cluster}
cluster=$repo/scripts/cluster.sh
# shellcheck disable=SC2034  # start is read by the EXIT trap
start=$SECONDS
trap '"$cluster" down || true; echo "test-cluster: $((SECONDS - start)) s"' EXIT
"$cluster" up
rm -f "$CM_CLUSTER_DIR/log/throughput.json"
rc=0
"$cluster" exec client /usr/bin/python3 -m pytest -p no:cacheprovider -v "$repo/tests/cluster" "$@" || rc=$?
# The figures of test_4_throughput (docs/scaling.md quotes them).
if [[ -s "$CM_CLUSTER_DIR/log/throughput.json" ]]; then
    jq -r 'to_entries[] | "test-cluster: \(.key) worker(s): \(.value.orders) orders in \(.value.seconds) s = \(.value.orders_per_s) orders/s"' \
        "$CM_CLUSTER_DIR/log/throughput.json" || true
fi
exit "$rc"
