"""One front host's nginx stopped in the middle of a run (issue 10, point 3): orders sent
through the other front still complete. The front is first drained from DNS, as an
operator or a health-checked DNS does (Pebble validates HTTP-01 only at the first address
a name resolves to, so a name still pointing at a dead front fails validation). As an
operator does, the front is stopped only after a drain pause: a validation that looked
the name up just before the DNS change still reaches it (certmill fails an order whose
validation could not connect at once, as a misdirected name must fail)."""

import time

import requests

from conftest import describe, cluster_ctl, problems, unique_name, wait_final

N_ORDERS = 80
STOP_AFTER = 20
DRAIN_S = 3


def test_orders_complete_with_one_front_stopped(new_tenant):
    tenant, api = new_tenant()
    ids, refused = [], 0
    try:
        for i in range(N_ORDERS):
            if i == STOP_AFTER:
                cluster_ctl("dns-drop", "front1")
                time.sleep(DRAIN_S)
                cluster_ctl("stop-nginx", "front1")
            name = unique_name("front")
            try:
                r = api.order(name)
            except requests.ConnectionError:
                # front1 is gone: the panel sends the same order to the other front
                refused += 1
                r = api.order(name, base=api.bases[1])
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        done = wait_final(ids, timeout=300)
    finally:
        cluster_ctl("start-nginx", "front1")
        cluster_ctl("dns-add", "front1")
    assert refused >= (N_ORDERS - STOP_AFTER) // 2 - 1, f"front1 refused only {refused} requests"
    assert len(done) == N_ORDERS, f"{N_ORDERS - len(done)} orders not final after 300 s: {describe(ids)}"
    assert set(done.values()) == {"issued"}, (
        {s: list(done.values()).count(s) for s in set(done.values())}, problems(ids))
    # the stopped front answers again afterwards
    assert api.get("/v1/orders?limit=1", base=api.bases[0]).status_code == 200
