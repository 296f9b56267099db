"""Throughput with 1, 2 and 4 worker processes across the two worker hosts (issue 10,
point 4): N orders queued while no worker runs, then the workers started and the time until
the last one is issued measured. The figures go to the test's output and to
$CM_CLUSTER_DIR/log/throughput.json (docs/scaling.md quotes them)."""

import json
import os
import time

from conftest import CLUSTER, cluster_ctl, unique_name, wait_final

N_ORDERS = int(os.environ.get("CM_CLUSTER_THROUGHPUT_ORDERS", "60"))
# which workers run for each count: spread over both hosts
LAYOUTS = {1: [("work1", 1)], 2: [("work1", 1), ("work2", 1)],
           4: [("work1", 1), ("work1", 2), ("work2", 1), ("work2", 2)]}


def all_workers():
    return [(h, n) for h in ("work1", "work2") for n in range(1, int(CLUSTER["CERTMILL_CLUSTER_WORKERS"]) + 1)]


def test_throughput_with_1_2_4_workers(new_tenant):
    results = {}
    try:
        for count, layout in LAYOUTS.items():
            tenant, api = new_tenant()
            # the tenant's ACME account exists before the clock starts (one order, all workers)
            for h, n in all_workers():
                cluster_ctl("start-worker", h, str(n))
            first = api.order(unique_name("warm")).json()["id"]
            assert wait_final([first], 60) == {first: "issued"}
            for h, n in all_workers():
                cluster_ctl("stop-worker", h, str(n))
            ids = []
            for _ in range(N_ORDERS):
                r = api.order(unique_name("rate"))
                assert r.status_code == 202, r.text
                ids.append(r.json()["id"])
            start = time.time()
            for h, n in layout:
                cluster_ctl("start-worker", h, str(n))
            done = wait_final(ids, timeout=600)
            elapsed = time.time() - start
            assert len(done) == N_ORDERS and set(done.values()) == {"issued"}, done
            results[count] = {"orders": N_ORDERS, "seconds": round(elapsed, 1),
                              "orders_per_s": round(N_ORDERS / elapsed, 2)}
            print(f"{count} worker(s): {N_ORDERS} orders in {elapsed:.1f} s = {N_ORDERS / elapsed:.2f} orders/s")
            for h, n in layout:
                cluster_ctl("stop-worker", h, str(n))
    finally:
        for h, n in all_workers():
            cluster_ctl("start-worker", h, str(n))
    with open(os.path.join(CLUSTER["CM_STACK_DIR"], "log", "throughput.json"), "w") as f:
        json.dump(results, f, indent=1)
    # more workers never make it slower than one (the CA's cap is the ceiling, not a cliff)
    assert results[4]["orders_per_s"] >= 0.8 * results[1]["orders_per_s"], results
