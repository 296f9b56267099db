"""Workers: a failing validation fails the order once with a clear problem (no retry
storm), and SIGTERM lets a worker finish its step, release it and exit."""

import os
import time

from conftest import STACK, stack_ctl, unique_name
from dnsutil import nsupdate


def test_validation_failure_is_final_and_clear(api, db):
    # The name passes pre-flight (it has an address, CAA allows) but nothing answers
    # TLS-ALPN-01 at 127.0.0.2 (loopback, no listener): the CA's validation fails.
    name = unique_name("nx")
    nsupdate(f"update add {name} 60 A 127.0.0.2")
    try:
        r = api.post("/v1/orders", {"domains": [name], "challenge": "tls-alpn-01"})
        assert r.status_code == 202, r.text
        done = api.wait_order(r.json()["id"], timeout=120)
    finally:
        nsupdate(f"update delete {name} A")
    assert done["status"] == "failed"
    p = done["problem"]
    assert p["code"] == "validation_failed"
    assert p["retryable"] is False
    assert name in p["detail"]
    assert p["ca_problem"]["type"].startswith("urn:ietf:params:acme:error:")
    assert done["authorizations"][0]["status"] == "invalid"
    assert done["certificate_id"] is None
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM jobs WHERE order_id = %s", (done["id"],))
    assert cur.fetchone()[0] == 0
    cur.execute("SELECT count(*) FROM certificates WHERE order_id = %s", (done["id"],))
    assert cur.fetchone()[0] == 0


def _worker_log(n):
    return os.path.join(STACK["CM_STACK_DIR"], "log", f"worker-{n}.log")


def test_sigterm_finishes_and_releases(api, db):
    stack_ctl("stop-worker", "2")
    try:
        order = api.post("/v1/orders", {"domains": [unique_name("term")]}).json()
        cur = db.cursor()
        deadline = time.time() + 60
        while time.time() < deadline:
            cur.execute("SELECT acme_order_url FROM orders WHERE id = %s", (order["id"],))
            if cur.fetchone()[0]:
                break
            time.sleep(0.02)
        t0 = time.time()
        stack_ctl("stop-worker", "1")  # SIGTERM; the script SIGKILLs only after 15 s
        assert time.time() - t0 < 10, "the worker did not stop promptly on SIGTERM"
        with open(_worker_log(1)) as f:
            assert "stopping" in f.read().splitlines()[-1]
        # nothing is left leased to the stopped worker: its step was finished or released
        cur.execute("SELECT lease_until > now() FROM jobs WHERE order_id = %s", (order["id"],))
        row = cur.fetchone()
        assert row is None or not row[0]
    finally:
        stack_ctl("start-worker", "1")
        stack_ctl("start-worker", "2")
    assert api.wait_order(order["id"])["status"] == "issued"
