"""The PostgreSQL primary stopped (pg_ctl stop -m immediate) and the synchronous standby
promoted while orders are in flight (issue 10, point 3): every order acknowledged with 202,
before or after the failover, is issued. The programs find the new primary through their
multi-host conninfo (target_session_attrs=read-write). Runs last: it leaves db2 as a primary
without a standby."""

import threading
import time

import requests

from conftest import describe, cluster_ctl, unique_name, wait_final

BEFORE = 40  # orders acknowledged before the failover starts
AFTER_S = 30  # how long orders keep coming after it


def test_failover_keeps_every_acknowledged_order(new_tenant, db):
    tenant, api = new_tenant()
    acked, refused = [], []
    stop = threading.Event()
    failed_over = threading.Event()

    def send():
        while not stop.is_set():
            try:
                r = api.order(unique_name("fo"))
            except requests.RequestException as e:
                refused.append(str(e))
                continue
            if r.status_code == 202:
                acked.append((r.json()["id"], failed_over.is_set()))
            else:
                refused.append(f"{r.status_code} {r.text[:200]}")
                time.sleep(0.1)

    t = threading.Thread(target=send, daemon=True)
    t.start()
    deadline = time.time() + 120
    while len(acked) < BEFORE and time.time() < deadline:
        time.sleep(0.05)
    assert len(acked) >= BEFORE, f"only {len(acked)} orders acknowledged before the failover"
    db.close()
    cluster_ctl("failover")
    failed_over.set()
    time.sleep(AFTER_S)
    stop.set()
    t.join(timeout=60)
    after = [oid for oid, late in acked if late]
    assert after, f"no order acknowledged after the failover ({len(refused)} refused: {refused[-3:]})"
    ids = [oid for oid, _ in acked]
    done = wait_final(ids, timeout=300)
    missing = [i for i in ids if i not in done]
    assert not missing, f"{len(missing)} of {len(ids)} acknowledged orders not final {describe(missing)}"
    assert set(done.values()) == {"issued"}, {s: list(done.values()).count(s) for s in set(done.values())}
