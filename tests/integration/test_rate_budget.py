"""The CA rate-limit budget (issue 4, point 10), kept in PostgreSQL for all workers.

scripts/stack.sh configures [ca.local-budget]: the stack's Pebble with a tiny budget,
one certificate per registered domain per 30 s (every test name is under example.test,
so they all share the registered domain "example.test"), two per exact set of names and
one failed validation per name and account per 30 s. An order that would exceed a
budget stays `queued` with `waiting` saying why and until when, and nothing reaches the
CA for it; a renewal (the same names as a certificate the tenant holds) is not held
back; once the window has passed the held order is issued.

The failed-validation test runs first: its orders fail or are withdrawn, so they leave
the per-domain budget free for the second test. The last one holds a budget key's
advisory lock itself, as a second worker in the middle of its take would, and shows
that the worker's gate waits for it and counts what it committed."""

import os
import subprocess
import tempfile
import time
from datetime import datetime, timezone

import psycopg2

from conftest import unique_name
from dnsutil import nsupdate

CA = "local-budget"
WINDOW = 30


def parse_time(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def openssl_verify(stack, cert):
    """`openssl verify` of the leaf, the chain untrusted, against the Pebble root."""
    with tempfile.TemporaryDirectory() as d:
        leaf, chain = os.path.join(d, "leaf.pem"), os.path.join(d, "chain.pem")
        with open(leaf, "w") as f:
            f.write(cert["certificate_pem"])
        with open(chain, "w") as f:
            f.write(cert["chain_pem"])
        r = subprocess.run(["openssl", "verify", "-CAfile", stack["CERTMILL_CA_ROOT"], "-untrusted", chain, leaf],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr


def order(api, names, challenge="http-01"):
    r = api.post("/v1/orders", {"domains": names, "challenge": challenge, "ca": CA})
    assert r.status_code == 202, r.text
    assert r.json()["ca"] == CA
    assert r.json()["waiting"] is None
    return r.json()["id"]


def wait_waiting(api, oid, timeout=60):
    """Polls until the order shows a waiting reason (or ends); returns the body."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        body = api.get(f"/v1/orders/{oid}").json()
        if body["waiting"] is not None or body["status"] in ("issued", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"order {oid} neither waits nor ended: {body}")


def never_sent(db, oid):
    """The order has no CA order and no authorizations: newOrder never reached Pebble for it."""
    cur = db.cursor()
    cur.execute("SELECT acme_order_url, (SELECT count(*) FROM authorizations a WHERE a.order_id = o.id)"
                " FROM orders o WHERE o.id = %s", (oid,))
    url, authzs = cur.fetchone()
    return url is None and authzs == 0


def test_failed_validations_hold_the_name(new_tenant, db):
    _, api = new_tenant()
    # As in test_worker: the name passes pre-flight but nothing answers TLS-ALPN-01 at
    # 127.0.0.2, so the CA's validation fails: one failed validation for the name.
    name = unique_name("budfail")
    nsupdate(f"update add {name} 60 A 127.0.0.2")
    held = None
    try:
        first = order(api, [name], "tls-alpn-01")
        done = api.wait_order(first, timeout=120)
        assert done["status"] == "failed", done
        assert done["problem"]["code"] == "validation_failed"
        failed_at = time.time()
        # A second order for the name within the window waits instead of failing again.
        held = order(api, [name], "tls-alpn-01")
        body = wait_waiting(api, held)
        assert body["status"] == "queued", body
        w = body["waiting"]
        assert w["reason"] == "rate_limit"
        assert w["budget"] == "failed_validations"
        assert w["key"] == name
        assert w["limit"] == 1 and w["window_seconds"] == WINDOW
        assert failed_at - 5 < parse_time(w["until"]) <= failed_at + WINDOW + 2, (w, failed_at)
        assert body["problem"] is None
        assert never_sent(db, held)
        cur = db.cursor()
        cur.execute("SELECT attempts, due_at > now() FROM jobs WHERE order_id = %s", (held,))
        attempts, later = cur.fetchone()
        assert attempts == 0 and later, "waiting is no failed try, and the job is not due again at once"
    finally:
        nsupdate(f"update delete {name} A")
        if held:
            # The name resolves to the wildcard again: withdraw the held order before its
            # window ends, or it would take the per-domain slot of the next test.
            cur = db.cursor()
            cur.execute("DELETE FROM jobs WHERE order_id = %s", (held,))
            cur.execute("UPDATE orders SET status = 'cancelled' WHERE id = %s", (held,))


def test_held_order_waits_renewal_passes_then_issued(stack, new_tenant, db):
    _, api = new_tenant()
    # Two orders at once for different names: only one certificate per registered domain
    # per window, so whichever worker takes the budget first goes on and the other waits
    # (two workers check at once: the advisory lock lets only one take the last slot).
    a, b = [unique_name("bud-a")], [unique_name("bud-b")]
    ids = {order(api, a): a, order(api, b): b}
    deadline = time.time() + 90
    bodies = {}
    while time.time() < deadline:
        bodies = {oid: api.get(f"/v1/orders/{oid}").json() for oid in ids}
        if any(x["status"] == "issued" for x in bodies.values()) and any(x["waiting"] for x in bodies.values()):
            break
        assert not any(x["status"] == "failed" for x in bodies.values()), bodies
        time.sleep(0.2)
    issued = [x for x in bodies.values() if x["status"] == "issued"]
    waiting = [x for x in bodies.values() if x["waiting"]]
    assert len(issued) == 1 and len(waiting) == 1, bodies
    first, held = issued[0], waiting[0]
    assert first["waiting"] is None
    assert held["status"] == "queued"
    w = held["waiting"]
    assert w["reason"] == "rate_limit"
    assert w["budget"] == "certs_per_domain"
    assert w["key"] == "example.test"
    assert w["limit"] == 1 and w["window_seconds"] == WINDOW
    until = parse_time(w["until"])
    assert time.time() - 1 < until <= time.time() + WINDOW + 1, w
    assert never_sent(db, held["id"])
    # One certificate counted for example.test between the two orders, not two.
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM rate_events WHERE ca = %s AND budget = 'certs_per_domain'"
                " AND key = 'example.test' AND order_id = ANY(%s)", (CA, list(ids)))
    assert cur.fetchone()[0] == 1

    # A renewal (the names of the certificate just issued) is exempt from the per-domain budget.
    renewal = order(api, first["domains"])
    renewed = api.wait_order(renewal, timeout=60)
    assert renewed["status"] == "issued", renewed
    assert renewed["waiting"] is None
    cert = api.get(f"/v1/certificates/{renewed['certificate_id']}").json()
    assert sorted(cert["domains"]) == sorted(first["domains"])
    if time.time() < until - 2:
        # still inside the window: the held order has not been let through by the renewal
        again = api.get(f"/v1/orders/{held['id']}").json()
        assert again["status"] == "queued" and again["waiting"]["budget"] == "certs_per_domain", again
        assert never_sent(db, held["id"])

    # Once the window has passed, the held order goes on and is issued; waiting is cleared.
    done = api.wait_order(held["id"], timeout=WINDOW + 90)
    assert done["status"] == "issued", done
    assert done["waiting"] is None
    assert done["problem"] is None
    assert time.time() >= until - 1
    cert = api.get(f"/v1/certificates/{done['certificate_id']}").json()
    assert sorted(cert["domains"]) == sorted(ids[held["id"]])
    openssl_verify(stack, cert)
    # No retry storm while it waited: a held line in its log per wait, no failed tries.
    log = api.get(f"/v1/orders/{held['id']}/log").json()
    held_lines = [e for e in log["data"] if "held back" in e["message"]]
    assert 1 <= len(held_lines) <= 4, log


def test_a_second_taker_waits_for_the_first(new_tenant, db, stack):
    """Two takers of the same key at once: while one holds the key's advisory lock (here
    the test, standing in for another worker in the middle of its take), the worker's gate
    waits for it and then counts what it committed, so the last slot is not taken twice."""
    tenant, api = new_tenant()
    name = unique_name("budlock")
    lock_key = f"{CA}|failed_validations|{tenant['id']}|{name}"
    other = psycopg2.connect(stack["CERTMILL_DB_URL"])
    held = None
    try:
        cur = other.cursor()  # a transaction: the lock lasts until commit
        cur.execute("SELECT pg_advisory_xact_lock(74000, hashtext(%s))", (lock_key,))
        held = order(api, [name])
        # the worker's gate blocks on the key (a lock not granted, in the budget's class)
        look = db.cursor()
        deadline = time.time() + 60
        while time.time() < deadline:
            look.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 74000"
                         " AND objid = hashtext(%s)::oid AND NOT granted", (lock_key,))
            if look.fetchone()[0]:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the worker's gate never waited for the key's lock")
        # the "other worker" spends the last slot (one failed validation per 30 s) and commits
        cur.execute("INSERT INTO rate_events (ca, budget, account, key) VALUES (%s, 'failed_validations', %s, %s)",
                    (CA, tenant["id"], name))
        other.commit()
        body = wait_waiting(api, held)
        assert body["status"] == "queued", body
        assert body["waiting"]["budget"] == "failed_validations", body
        assert body["waiting"]["key"] == name
        assert never_sent(db, held)
    finally:
        other.rollback()
        other.close()
        cur = db.cursor()
        cur.execute("DELETE FROM rate_events WHERE ca = %s AND account = %s", (CA, tenant["id"]))
        if held:
            cur.execute("DELETE FROM jobs WHERE order_id = %s", (held,))
            cur.execute("UPDATE orders SET status = 'cancelled' WHERE id = %s", (held,))


def test_hourly_sums_follow_the_events(db):
    """The hourly sums the budget check reads first (rate_buckets, migration 022) stay the
    events grouped by hour whatever happens to them: recorded, a reservation confirmed
    (dated anew, so it moves to this hour), pruned."""
    ca = "bucket-" + os.urandom(4).hex()
    cur = db.cursor()

    def sums():
        cur.execute("SELECT budget, key_md5, hour, n FROM rate_buckets WHERE ca = %s AND n <> 0 ORDER BY 1, 2, 3",
                    (ca,))
        kept = cur.fetchall()
        cur.execute("SELECT budget, md5(key), date_trunc('hour', at, 'UTC'), count(*)::int FROM rate_events"
                    " WHERE ca = %s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", (ca,))
        return kept, cur.fetchall()

    try:
        cur.execute("INSERT INTO rate_events (ca, budget, account, key, confirmed, at) VALUES"
                    " (%s, 'new_orders', 't', 'acct', true, now() - interval '5 hours'),"
                    " (%s, 'new_orders', 't', 'acct', true, now() - interval '1 hour'),"
                    " (%s, 'new_orders', 't', 'acct', true, now()),"
                    " (%s, 'certs_per_domain', '', 'example.test', false, now() - interval '2 hours'),"
                    " (%s, 'certs_per_domain', '', 'example.test', false, now())", (ca,) * 5)
        kept, events = sums()
        assert kept == events and sum(r[3] for r in kept) == 5, (kept, events)
        cur.execute("UPDATE rate_events SET confirmed = true, at = now() WHERE ca = %s AND NOT confirmed", (ca,))
        kept, events = sums()
        assert kept == events, (kept, events)
        # both reservations now count in the hour of their confirmation
        cur.execute("SELECT n FROM rate_buckets WHERE ca = %s AND budget = 'certs_per_domain' AND hour ="
                    " (SELECT date_trunc('hour', max(at), 'UTC') FROM rate_events WHERE ca = %s"
                    "  AND budget = 'certs_per_domain')", (ca, ca))
        assert cur.fetchone()[0] == 2
        cur.execute("DELETE FROM rate_events WHERE ca = %s AND at < now() - interval '3 hours'", (ca,))
        kept, events = sums()
        assert kept == events and sum(r[3] for r in kept) == 4, (kept, events)
    finally:
        cur.execute("DELETE FROM rate_events WHERE ca = %s", (ca,))
        cur.execute("DELETE FROM rate_buckets WHERE ca = %s", (ca,))
