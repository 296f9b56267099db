"""Order actions and conditional reads: Idempotency-Key replays, 409 while the first
request with the key is in flight, 422 for another body; ETag / If-None-Match on order
and certificate reads (304, and a new tag once the object changed); cancel (the job
goes, no worker brings the order back, the challenge records are cleaned up) and retry
(a failed order starts again and is issued)."""

import time
import uuid

import psycopg2
import pytest

from conftest import stack_ctl, unique_name
from dnsutil import nsupdate

IDEMPOTENCY_LOCK = "SELECT pg_advisory_xact_lock(74200, hashtext(%s || ':' || %s))"


def test_idempotency_replay_in_flight_and_conflict(stack, new_tenant):
    t, api = new_tenant()
    key = "idem-" + uuid.uuid4().hex
    body = {"domains": [unique_name("idem")], "customer_ref": "idem"}
    # the first request with this key is still being processed: the test holds its lock
    holder = psycopg2.connect(stack["CERTMILL_DB_URL"])
    try:
        cur = holder.cursor()
        cur.execute(IDEMPOTENCY_LOCK, (t["id"], key))
        started = time.monotonic()
        r = api.post("/v1/orders", body, headers={"Idempotency-Key": key})
        # answered at once, not after waiting for the lock
        assert time.monotonic() - started < 5
        assert r.status_code == 409, r.text
        p = r.json()
        assert p["code"] == "idempotency_in_flight" and p["field"] == "Idempotency-Key" and p["retryable"] is True
        # nothing was made
        check = psycopg2.connect(stack["CERTMILL_DB_URL"])
        c2 = check.cursor()
        c2.execute("SELECT count(*) FROM orders WHERE tenant_id = %s", (t["id"],))
        assert c2.fetchone()[0] == 0
        check.close()
    finally:
        holder.rollback()
        holder.close()
    # the lock is free: the order is made
    first = api.post("/v1/orders", body, headers={"Idempotency-Key": key})
    assert first.status_code == 202, first.text
    # the same key and body: the first answer again (200), the same order
    again = api.post("/v1/orders", body, headers={"Idempotency-Key": key})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    # the same body with its keys in another order is the same request
    swapped = api.post("/v1/orders", data='{"customer_ref": "idem", "domains": ["%s"]}' % body["domains"][0],
                       headers={"Idempotency-Key": key})
    assert swapped.status_code == 200 and swapped.json()["id"] == first.json()["id"]
    # the same key with another body: 422
    other = api.post("/v1/orders", {"domains": [unique_name("idem2")]}, headers={"Idempotency-Key": key})
    assert other.status_code == 422, other.text
    assert other.json()["code"] == "idempotency_conflict"
    # another tenant's key space is its own
    _, api2 = new_tenant()
    r = api2.post("/v1/orders", body, headers={"Idempotency-Key": key})
    assert r.status_code == 202 and r.json()["id"] != first.json()["id"]
    # one order per tenant for the key
    db = psycopg2.connect(stack["CERTMILL_DB_URL"])
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM orders WHERE tenant_id = %s AND idempotency_key = %s", (t["id"], key))
    assert cur.fetchone()[0] == 1
    db.close()
    for a, oid in ((api, first.json()["id"]), (api2, r.json()["id"])):
        a.wait_order(oid)


def manual_dns_order(api):
    """A dns-01 order without a provider: it waits in action_required for the panel."""
    base = unique_name("act")
    r = api.post("/v1/orders", {"domains": [base], "challenge": "dns-01"})
    assert r.status_code == 202, r.text
    order = api.wait_order(r.json()["id"], until=("action_required", "failed", "issued"), timeout=60)
    assert order["status"] == "action_required", order
    return order


def test_order_etag(api):
    order = manual_dns_order(api)
    oid = order["id"]
    r = api.get(f"/v1/orders/{oid}")
    etag = r.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    # the same representation: the same tag; a poller that has it gets 304 without a body
    assert api.get(f"/v1/orders/{oid}").headers["ETag"] == etag
    for inm in (etag, f'"x", {etag}', "W/" + etag, "*"):
        nm = api.get(f"/v1/orders/{oid}", headers={"If-None-Match": inm})
        assert nm.status_code == 304, (inm, nm.status_code)
        assert nm.content == b""
        assert nm.headers["ETag"] == etag
    other = api.get(f"/v1/orders/{oid}", headers={"If-None-Match": '"0000"'})
    assert other.status_code == 200 and other.json()["id"] == oid
    # the order changes (cancelled): the old tag no longer matches, and the new one does
    assert api.post(f"/v1/orders/{oid}/cancel").status_code == 202
    changed = api.get(f"/v1/orders/{oid}", headers={"If-None-Match": etag})
    assert changed.status_code == 200, changed.status_code
    assert changed.json()["status"] == "cancelled"
    assert changed.headers["ETag"] != etag
    assert api.get(f"/v1/orders/{oid}", headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304


def test_certificate_etag(api):
    r = api.post("/v1/orders", {"domains": [unique_name("etag")]})
    done = api.wait_order(r.json()["id"])
    assert done["status"] == "issued", done
    # the order moved on while it was issued: its tag is that of the final representation
    cid = done["certificate_id"]
    first = api.get(f"/v1/certificates/{cid}")
    etag = first.headers["ETag"]
    assert api.get(f"/v1/certificates/{cid}", headers={"If-None-Match": etag}).status_code == 304
    # the certificate changes: a revocation is asked
    assert api.post(f"/v1/certificates/{cid}/revoke", {"reason": "superseded"}).status_code == 202
    after = api.get(f"/v1/certificates/{cid}", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["revocation"] is not None
    assert after.headers["ETag"] != etag


def job_of(db, oid):
    cur = db.cursor()
    cur.execute("SELECT id, fence, lease_owner FROM jobs WHERE order_id = %s", (oid,))
    return cur.fetchone()


def test_cancel_queued_order_stays_cancelled(stack, api, db):
    """Cancelled while queued (workers stopped): the job goes at once and no worker brings the order back."""
    stack_ctl("stop-worker", "1")
    stack_ctl("stop-worker", "2")
    try:
        r = api.post("/v1/orders", {"domains": [unique_name("cnl")]})
        oid = r.json()["id"]
        assert r.json()["status"] == "queued"
        assert job_of(db, oid) is not None
        c = api.post(f"/v1/orders/{oid}/cancel")
        assert c.status_code == 202, c.text
        assert c.json()["status"] == "cancelled"
        assert c.headers["Location"] == f"/v1/orders/{oid}"
        assert job_of(db, oid) is None
        again = api.post(f"/v1/orders/{oid}/cancel")
        assert again.status_code == 409 and again.json()["code"] == "order_not_cancellable"
        # a worker that had claimed the job just before would find its fence gone: simulate one
        r2 = api.post("/v1/orders", {"domains": [unique_name("cnl-held")]})
        held = r2.json()["id"]
        cur = db.cursor()
        cur.execute("UPDATE jobs SET lease_owner = 'test-worker', lease_until = now() + interval '1 hour',"
                    " fence = fence + 1 WHERE order_id = %s RETURNING id, fence", (held,))
        job_id, fence = cur.fetchone()
        assert api.post(f"/v1/orders/{held}/cancel").status_code == 202
        # the claim's fencing token no longer names a job: its outcome transaction would stop there
        cur.execute("SELECT 1 FROM jobs WHERE id = %s AND fence = %s", (job_id, fence))
        assert cur.fetchone() is None
    finally:
        stack_ctl("start-worker", "1")
        stack_ctl("start-worker", "2")
    # the workers run again and leave both orders alone
    time.sleep(3)
    for o in (oid, held):
        assert api.get(f"/v1/orders/{o}").json()["status"] == "cancelled"
        assert job_of(db, o) is None
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM authorizations WHERE order_id IN (%s, %s)", (oid, held))
    assert cur.fetchone()[0] == 0, "a worker took a cancelled order to the CA"


def test_cancel_waiting_order_cleans_up(api, db):
    """An order that reached the CA: cancelled at once; a worker then removes its records and the job."""
    order = manual_dns_order(api)
    oid = order["id"]
    before = job_of(db, oid)
    c = api.post(f"/v1/orders/{oid}/cancel")
    assert c.status_code == 202, c.text
    assert c.json()["status"] == "cancelled" and c.json()["problem"] is None
    deadline = time.time() + 60
    while job_of(db, oid) is not None and time.time() < deadline:
        time.sleep(0.5)
    assert job_of(db, oid) is None, "the clean-up job was never done"
    assert before is not None
    done = api.get(f"/v1/orders/{oid}").json()
    assert done["status"] == "cancelled" and done["certificate_id"] is None
    log = api.get(f"/v1/orders/{oid}/log").json()
    assert any("cancelled by the panel" in line["message"] for line in log["data"]), log


def test_cancel_and_retry_refused_by_status(api):
    r = api.post("/v1/orders", {"domains": [unique_name("done")]})
    done = api.wait_order(r.json()["id"])
    assert done["status"] == "issued", done
    c = api.post(f"/v1/orders/{done['id']}/cancel")
    assert c.status_code == 409 and c.json()["code"] == "order_not_cancellable", c.text
    assert "issued" in c.json()["detail"]
    rt = api.post(f"/v1/orders/{done['id']}/retry")
    assert rt.status_code == 409 and rt.json()["code"] == "order_not_retryable", rt.text
    assert api.post("/v1/orders/ord_00000000000000000000000000000000/cancel").status_code == 404
    assert api.post("/v1/orders/ord_00000000000000000000000000000000/retry").status_code == 404
    # a body other than nothing or {} is refused
    bad = api.post(f"/v1/orders/{done['id']}/cancel", {"force": True})
    assert bad.status_code == 400 and bad.json()["code"] == "unknown_field"


def test_retry_failed_order_is_issued(stack, api, db):
    """CAA forbids the CA: the order fails before the CA. The panel fixes CAA and retries: issued."""
    name = f"rty{uuid.uuid4().hex[:10]}.example.test"
    nsupdate(f'update add {name} 60 CAA 0 issue "otherca.example"', f"update add {name} 60 A 127.0.0.1")
    try:
        r = api.post("/v1/orders", {"domains": [name]})
        failed = api.wait_order(r.json()["id"], timeout=60)
        assert failed["status"] == "failed", failed
        assert failed["problem"]["code"] == "preflight_failed"
        nsupdate(f"update delete {name} CAA")
        rt = api.post(f"/v1/orders/{failed['id']}/retry")
        assert rt.status_code == 202, rt.text
        assert rt.json()["status"] == "queued" and rt.json()["problem"] is None
        assert job_of(db, failed["id"]) is not None
        done = api.wait_order(failed["id"], timeout=120)
        assert done["status"] == "issued", done
        cert = api.get(f"/v1/certificates/{done['certificate_id']}").json()
        assert cert["domains"] == [name] and cert["status"] == "active"
        assert job_of(db, failed["id"]) is None
        log = api.get(f"/v1/orders/{failed['id']}/log").json()
        assert any("started again" in line["message"] for line in log["data"])
    finally:
        nsupdate(f"update delete {name} CAA", f"update delete {name} A")


def test_cancel_removes_published_records(stack, api, db):
    """Cancelled while waiting for its record to propagate: a worker removes the record it published, then the job."""
    from test_challenges import _exec_provider
    base = f"cnlrec{uuid.uuid4().hex[:10]}.example.test"
    # /bin/true "publishes" nothing the servers see: the order waits in propagation (up to 15 s on the test stack)
    r = api.post("/v1/orders", {"domains": [base], "challenge": "dns-01",
                                "dns_provider": _exec_provider(api, "/bin/true")})
    assert r.status_code == 202, r.text
    oid = r.json()["id"]
    cur = db.cursor()
    deadline = time.time() + 30
    published = None
    while time.time() < deadline:
        cur.execute("SELECT count(*) FROM authorizations WHERE order_id = %s AND published_at IS NOT NULL", (oid,))
        published = cur.fetchone()[0]
        if published:
            break
        time.sleep(0.2)
    assert published == 1, "the record was never published"
    c = api.post(f"/v1/orders/{oid}/cancel")
    assert c.status_code == 202, c.text
    assert c.json()["status"] == "cancelled"
    deadline = time.time() + 60
    while job_of(db, oid) is not None and time.time() < deadline:
        time.sleep(0.5)
    assert job_of(db, oid) is None, "the clean-up job was never done"
    cur.execute("SELECT cleaned_at IS NOT NULL FROM authorizations WHERE order_id = %s", (oid,))
    assert cur.fetchall() == [(True,)], "the published record was not removed"
    lines = [e["message"] for e in api.get(f"/v1/orders/{oid}/log").json()["data"]]
    assert f"removed TXT _acme-challenge.{base}" in lines, lines
    assert any("cancelled by the panel" in m for m in lines)
    # removed after the cancel, and the order never moved again
    assert lines.index(f"removed TXT _acme-challenge.{base}") > [i for i, m in enumerate(lines)
                                                                  if "cancelled by the panel" in m][0]
    done = api.get(f"/v1/orders/{oid}").json()
    assert done["status"] == "cancelled" and done["problem"] is None
