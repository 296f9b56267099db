"""One worker host cut off from the network while it holds leases (issue 10, point 3): its
steps are taken over by the other host once the lease ends ([worker] lease_seconds, short in
this topology), every order is issued, and no order used two ACME orders.

Steps take milliseconds, so a lease seen held may be given back before the link goes down:
work1's workers are frozen (SIGSTOP) until the database shows leases they hold, cut off
while frozen, and thawed cut off, so the test always cuts a host in the middle of steps."""

import os
import signal
import time

from conftest import describe, CLUSTER, ca_orders, cluster_ctl, unique_name, wait_final

N_ORDERS = 30


def _worker_pid(host, n):
    """The pid of worker n on host, from the cluster's pid file."""
    with open(os.path.join(CLUSTER["CM_STACK_DIR"], "run", f"worker-{host}-{n}.pid")) as f:
        return int(f.read().split()[0])


def test_cut_off_worker_host_steps_are_taken_over_after_the_lease(new_tenant, db):
    workers = int(CLUSTER["CERTMILL_CLUSTER_WORKERS"])
    lease = int(CLUSTER["CERTMILL_CLUSTER_LEASE_SECONDS"])
    tenant, api = new_tenant()
    cur = db.cursor()
    # only work1's workers run while the orders arrive, so work1 holds the leases
    for n in range(1, workers + 1):
        cluster_ctl("stop-worker", "work2", str(n))
    held = {}
    cut_at = None
    pids = []
    try:
        ids = []
        for _ in range(N_ORDERS):
            r = api.order(unique_name("cut"))
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        pids = [_worker_pid("work1", n) for n in range(1, workers + 1)]
        deadline = time.time() + 60
        while time.time() < deadline and not held:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            # frozen: what they hold now they still hold at the cut
            cur.execute("SELECT order_id, lease_until FROM jobs WHERE order_id = ANY(%s)"
                        " AND lease_owner LIKE %s AND lease_until > now()", (ids, "%/work1-%"))
            held = dict(cur.fetchall())
            if not held:
                for pid in pids:
                    os.kill(pid, signal.SIGCONT)
                time.sleep(0.02)
        assert held, "work1 never held a lease"
        cluster_ctl("link-down", "work1")
        cut_at = time.time()
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        for n in range(1, workers + 1):
            cluster_ctl("start-worker", "work2", str(n))
        done = wait_final(ids, timeout=240)
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
        cluster_ctl("link-up", "work1")
        for n in range(1, workers + 1):
            cluster_ctl("start-worker", "work2", str(n))
    assert len(done) == N_ORDERS, f"{N_ORDERS - len(done)} orders not final after 240 s: {describe(ids)}"
    assert set(done.values()) == {"issued"}, done
    # the orders work1 held were finished by work2 (work1 reached no database until after the
    # wait above), and not before their lease ended
    cur.execute("SELECT o.id, c.created_at FROM orders o JOIN certificates c ON c.order_id = o.id"
                " WHERE o.id = ANY(%s)", (list(held),))
    issued_at = dict(cur.fetchall())
    assert set(issued_at) == set(held)
    early = {o: (issued_at[o], held[o]) for o in held if issued_at[o] < held[o]}
    assert not early, f"taken over before the lease ended: {early}"
    assert time.time() - cut_at >= lease - 1
    # work1 is back; give its stale workers time to try their old steps (the fence refuses them)
    time.sleep(lease + 2)
    cur.execute("SELECT status, count(*) FROM orders WHERE tenant_id = %s GROUP BY status", (tenant["id"],))
    assert dict(cur.fetchall()) == {"issued": N_ORDERS}
    cur.execute("SELECT count(*), count(DISTINCT order_id) FROM certificates WHERE tenant_id = %s", (tenant["id"],))
    assert cur.fetchone() == (N_ORDERS, N_ORDERS)
    cur.execute("SELECT count(DISTINCT acme_order_url) FROM orders WHERE tenant_id = %s", (tenant["id"],))
    assert cur.fetchone()[0] == N_ORDERS
    assert len(ca_orders(db, tenant["id"])) == N_ORDERS, "an order used more than one ACME order"
