"""Outages (issue 6, points 2 and 3): PostgreSQL stopped while the API is under load and
orders are in flight, and the CA stopped for a minute during issuance. Nothing the API
acknowledged is lost, every order completes, the API answers 503 with Retry-After while
the database is away (never a 500, never a hang), and certmill asks a CA that is down no
more often than its backoff schedule says."""

import os
import threading
import time
import uuid

import psycopg2
import requests

from conftest import stack_ctl, unique_name
from test_retry_after import Front


def _load(api, stop, seen, acked):
    """Posts orders and reads them back until told to stop; records every answer."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {api.key}"
    while not stop.is_set():
        key = uuid.uuid4().hex
        t0 = time.time()
        try:
            r = s.post(api.base + "/v1/orders", json={"domains": [unique_name("dbo")]},
                       headers={"Idempotency-Key": key}, timeout=30)
        except requests.RequestException as e:
            seen.append(("error", time.time() - t0, repr(e), None))
            continue
        seen.append((r.status_code, time.time() - t0, r.headers.get("Retry-After"), r.headers.get("Content-Type")))
        if r.status_code == 202:
            acked.append(r.json()["id"])
            g = s.get(api.base + "/v1/orders/" + r.json()["id"], timeout=30)
            seen.append((g.status_code, g.elapsed.total_seconds(), g.headers.get("Retry-After"),
                         g.headers.get("Content-Type")))
        time.sleep(0.05)


def test_database_outage_under_load(stack, new_tenant):
    _, api = new_tenant()
    stop, seen, acked = threading.Event(), [], []
    t = threading.Thread(target=_load, args=(api, stop, seen, acked), daemon=True)
    t.start()
    try:
        time.sleep(2)
        stack_ctl("stop-postgres")
        down_at = len(seen)
        time.sleep(6)
        stack_ctl("start-postgres")
        # the API comes back by itself
        deadline = time.time() + 30
        while time.time() < deadline and not any(st == 202 for st, *_ in seen[down_at:][-5:]):
            time.sleep(0.5)
        time.sleep(2)
    finally:
        stop.set()
        t.join(timeout=60)
    statuses = [st for st, *_ in seen]
    assert 500 not in statuses and "error" not in statuses, [x for x in seen if x[0] in (500, "error")][:5]
    outage = [x for x in seen if x[0] == 503]
    assert outage, "the outage was never seen"
    # a 503 says when to come back and is a problem document
    assert all(x[2] and x[2].isdigit() for x in outage), outage[:3]
    assert all(x[3] and x[3].startswith("application/problem+json") for x in outage), outage[:3]
    # never a hang: every answer, during the outage too, within a few seconds
    assert max(x[1] for x in seen) < 6, max(seen, key=lambda x: x[1])
    assert statuses[-1] in (200, 202), statuses[-10:]
    # every acknowledged order is there and completes (a new connection: the old one died with the server)
    assert acked
    db = psycopg2.connect(stack["CERTMILL_DB_URL"])
    db.autocommit = True
    deadline = time.time() + 180
    while time.time() < deadline:
        cur = db.cursor()
        cur.execute("SELECT status, count(*) FROM orders WHERE id = ANY(%s) GROUP BY status", (acked,))
        counts = dict(cur.fetchall())
        if counts.get("issued", 0) == len(acked):
            break
        time.sleep(1)
    db.close()
    assert counts == {"issued": len(acked)}, counts


def test_ca_down_for_a_minute(stack, new_tenant, db):
    """Ten orders wait for Pebble's (slow) validation through ca-front when Pebble stops
    for about a minute; the Pebble that comes back has forgotten them. certmill's
    requests meet ca-front's 502 meanwhile: each authorization is asked about at most
    once a minute (the first retry of the backoff schedule). The outage lasts 55 s, so
    Pebble is back before the first retries (60-72 s after each first failure) fall due:
    a retry landing while Pebble is still starting would wait the schedule's 10 minutes,
    as it should, but longer than a test."""
    _, api = new_tenant()
    os.environ["CM_PEBBLE_NOSLEEP"] = "0"
    stopped_at = started_at = None
    try:
        stack_ctl("restart-pebble")
        ids = [api.post("/v1/orders", {"domains": [unique_name("cad")], "ca": "local-front"}).json()["id"]
               for _ in range(10)]
        # wait until every order has answered its challenge (Pebble then validates within 0-15 s)
        deadline = time.time() + 60
        while time.time() < deadline:
            cur = db.cursor()
            cur.execute("SELECT count(*) FROM authorizations WHERE order_id = ANY(%s) AND responded_at IS NOT NULL",
                        (ids,))
            if cur.fetchone()[0] == len(ids):
                break
            time.sleep(0.2)
        front = Front(stack)
        stack_ctl("stop-pebble")
        stopped_at = time.time()
        time.sleep(55)
    finally:
        os.environ["CM_PEBBLE_NOSLEEP"] = "1"
        started_at = time.time()  # from here on Pebble may answer again
        stack_ctl("start-pebble")
    deadline = time.time() + 200
    done = {}
    while time.time() < deadline and len(done) < len(ids):
        for oid in ids:
            o = api.get(f"/v1/orders/{oid}").json()
            if o["status"] in ("issued", "failed"):
                done[oid] = o
        time.sleep(1)
    assert len(done) == len(ids) and all(o["status"] == "issued" for o in done.values()), \
        [(o["id"], o["status"], o["problem"]) for o in done.values() if o["status"] != "issued"]
    during = [(t, m, uri, st) for t, m, uri, st in front.requests() if stopped_at <= t <= started_at]
    assert during and all(st == 502 for _, _, _, st in during), during[:5]
    # within the backoff schedule: the same authorization at most once a minute while the CA is down
    last = {}
    for t, m, uri, st in during:
        if uri.startswith("/authZ/"):
            if uri in last:
                assert t - last[uri] >= 59, (uri, t - last[uri])
            last[uri] = t
    # and in all, a handful of requests per order, not a storm
    assert len(during) <= 4 * len(ids), len(during)
    # orders whose CA order the new Pebble forgot were started afresh
    restarted = 0
    for oid in ids:
        lines = [e["message"] for e in api.get(f"/v1/orders/{oid}/log").json()["data"]]
        restarted += sum(1 for line in lines if line.startswith("CA local-front: order")) > 1
    assert restarted >= 1
