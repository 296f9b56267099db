"""Renewals (issue 5, point 1; issue 3's dropped names): a certificate whose renewal time
is made due through the database is renewed by the workers without any API call; the
new certificate verifies, has a new key, and the old one is superseded with a
certificate.renewed event; POST .../renew renews now, DELETE stops renewing; an
allow_partial order's dropped names are tried again; a failing renewal backs off and
records certificate.expiring. The scheduler's claim runs on the partial index."""

import time
import uuid
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from conftest import unique_name
from dnsutil import nsupdate
from test_issuance import openssl_verify


def label(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}.example.test"


def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def issued_cert(api, body):
    r = api.post("/v1/orders", body)
    assert r.status_code == 202, r.text
    order = api.wait_order(r.json()["id"], timeout=120)
    assert order["status"] == "issued", order
    cert = api.get(f"/v1/certificates/{order['certificate_id']}").json()
    return order, cert


def make_due(db, cert_id):
    db.cursor().execute("UPDATE certificates SET renew_at = now() WHERE id = %s", (cert_id,))


def wait_superseded(db, cert_id, timeout=120):
    """Waits until the certificate is replaced; returns the new certificate's id."""
    cur = db.cursor()
    deadline = time.time() + timeout
    while time.time() < deadline:
        cur.execute("SELECT superseded_by FROM certificates WHERE id = %s", (cert_id,))
        new = cur.fetchone()[0]
        if new:
            return new
        time.sleep(0.5)
    cur.execute("SELECT c.renewal_order_id, o.status, o.problem FROM certificates c"
                " LEFT JOIN orders o ON o.id = c.renewal_order_id WHERE c.id = %s", (cert_id,))
    raise AssertionError(f"certificate {cert_id} not renewed: {cur.fetchone()}")


def renewal_orders(db, cert_id):
    cur = db.cursor()
    cur.execute("SELECT id, status, domains, dropped_domains FROM orders WHERE replaces_certificate_id = %s"
                " ORDER BY created_at", (cert_id,))
    return cur.fetchall()


def spki(pem):
    leaf = x509.load_pem_x509_certificate(pem.encode())
    return leaf.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)


def wait_for(fn, timeout=60, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_new_certificate_has_a_renewal_time(api):
    _, cert = issued_cert(api, {"domains": [unique_name("rt")]})
    assert cert["auto_renew"] is True and cert["superseded_by"] is None and cert["renewal_order_id"] is None
    nb, na, at = ts(cert["not_before"]), ts(cert["not_after"]), ts(cert["renew_at"])
    life = (na - nb).total_seconds()
    third = life / 2 if life < 10 * 86400 else life / 3
    # a third (half when short) of the lifetime before expiry, up to 5 % of it earlier (jitter)
    left = (na - at).total_seconds()
    assert third - 2 <= left <= third + 0.05 * life + 2, (cert, life, left)


def test_due_certificate_is_renewed_by_the_workers(stack, api, db):
    name = unique_name("auto")
    order, old = issued_cert(api, {"domains": [name], "customer_ref": "panel-42"})
    make_due(db, old["id"])
    new_id = wait_superseded(db, old["id"])
    # no API call made the renewal order: the scheduler did, with the old certificate's settings
    orders = renewal_orders(db, old["id"])
    assert len(orders) == 1 and orders[0][1] == "issued", orders
    ro = api.get(f"/v1/orders/{orders[0][0]}").json()
    assert ro["domains"] == [name] and ro["certificate_id"] == new_id
    assert ro["customer_ref"] == "panel-42" and ro["auto_renew"] is True
    assert ro["challenge"] == order["challenge"] and ro["key_type"] == order["key_type"] and ro["ca"] == order["ca"]

    new = api.get(f"/v1/certificates/{new_id}").json()
    assert new["status"] == "active" and new["domains"] == [name]
    openssl_verify(stack, new)
    assert spki(new["certificate_pem"]) != spki(old["certificate_pem"]), "the renewal kept the old key"
    key = serialization.load_pem_private_key(api.get(f"/v1/certificates/{new_id}/key").json()["key_pem"].encode(),
                                             None)
    assert key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo) == spki(new["certificate_pem"])
    assert new["auto_renew"] is True and new["renew_at"] is not None

    old_now = api.get(f"/v1/certificates/{old['id']}").json()
    assert old_now["status"] == "superseded" and old_now["superseded_by"] == new_id
    assert old_now["renew_at"] is None and old_now["renewal_order_id"] == orders[0][0]
    assert old_now["certificate_pem"] == old["certificate_pem"]

    cur = db.cursor()
    cur.execute("SELECT data FROM events WHERE type = 'certificate.renewed' AND certificate_id = %s", (new_id,))
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    data = rows[0][0]
    assert data["certificate_id"] == new_id and data["previous_certificate_id"] == old["id"]
    assert data["domains"] == [name] and data["previous_domains"] == [name]
    assert data["not_after"] == new["not_after"] and data["previous_not_after"] == old["not_after"]
    # certificate.issued is recorded for the new certificate as for any other
    cur.execute("SELECT count(*) FROM events WHERE type = 'certificate.issued' AND certificate_id = %s", (new_id,))
    assert cur.fetchone()[0] == 1
    # later passes make no second order for the old certificate
    time.sleep(3)
    assert len(renewal_orders(db, old["id"])) == 1


def test_renew_now(stack, api, db, new_tenant):
    _, old = issued_cert(api, {"domains": [unique_name("now")]})
    r = api.post(f"/v1/certificates/{old['id']}/renew")
    assert r.status_code == 202, r.text
    ro = r.json()
    assert r.headers["Location"] == "/v1/orders/" + ro["id"]
    assert ro["domains"] == old["domains"]
    # a second request while it runs answers which order is in progress
    again = api.post(f"/v1/certificates/{old['id']}/renew")
    if again.status_code == 409:
        p = again.json()
        assert p["code"] == "renewal_in_progress" and p["order_id"] == ro["id"], p
        assert again.headers["Content-Type"].startswith("application/problem+json")
    done = api.wait_order(ro["id"], timeout=120)
    assert done["status"] == "issued", done
    assert wait_superseded(db, old["id"], timeout=10) == done["certificate_id"]
    new = api.get(f"/v1/certificates/{done['certificate_id']}").json()
    openssl_verify(stack, new)
    assert len(renewal_orders(db, old["id"])) == 1
    # the replaced certificate is not renewed again: its successor is
    r = api.post(f"/v1/certificates/{old['id']}/renew")
    assert r.status_code == 409 and r.json()["code"] == "certificate_superseded"
    assert r.json()["superseded_by"] == new["id"]
    assert api.post("/v1/certificates/crt_nosuchcertificate/renew").status_code == 404
    # another tenant's certificate does not exist for the caller
    _, other = new_tenant()
    assert other.post(f"/v1/certificates/{new['id']}/renew").status_code == 404
    assert other.s.delete(f"{other.base}/v1/certificates/{new['id']}", headers=other._h(None),
                          timeout=30).status_code == 404


def test_renew_now_conflict_while_in_progress(api, db):
    """A renewal order that waits for the panel (a manual dns-01 order for a name never
    validated, so no authorization can be reused) is in progress: 409 names it, and no
    second order is made."""
    _, cert = issued_cert(api, {"domains": [unique_name("busy")]})
    r = api.post("/v1/orders", {"domains": [label("held")], "challenge": "dns-01"})
    assert r.status_code == 202, r.text
    held = api.wait_order(r.json()["id"], until=("action_required", "failed", "issued"), timeout=60)
    assert held["status"] == "action_required", held
    # the certificate's renewal is that order (as the scheduler links it)
    db.cursor().execute("UPDATE certificates SET renewal_order_id = %s WHERE id = %s", (held["id"], cert["id"]))
    again = api.post(f"/v1/certificates/{cert['id']}/renew")
    assert again.status_code == 409, again.text
    p = again.json()
    assert p["code"] == "renewal_in_progress" and p["order_id"] == held["id"] and held["id"] in p["detail"], p
    assert again.headers["Content-Type"].startswith("application/problem+json")
    assert renewal_orders(db, cert["id"]) == []
    # made due meanwhile, the scheduler only looks: still no order, the next look set
    make_due(db, cert["id"])
    cur = db.cursor()

    def looked():
        cur.execute("SELECT renew_at > now() FROM certificates WHERE id = %s", (cert["id"],))
        return cur.fetchone()[0]
    wait_for(looked, what="the scheduler to look at the certificate")
    assert renewal_orders(db, cert["id"]) == []
    assert api.get(f"/v1/certificates/{cert['id']}").json()["renewal_order_id"] == held["id"]


def test_delete_stops_renewing(api, db):
    _, cert = issued_cert(api, {"domains": [unique_name("stop")]})
    r = api.s.delete(f"{api.base}/v1/certificates/{cert['id']}", headers=api._h(None), timeout=30)
    assert r.status_code == 204, r.text
    after = api.get(f"/v1/certificates/{cert['id']}").json()
    assert after["auto_renew"] is False and after["renew_at"] is None
    assert after["status"] == "active" and after["certificate_pem"] == cert["certificate_pem"]
    # made due anyway: the scheduler drops it without an order
    make_due(db, cert["id"])
    cur = db.cursor()

    def dropped():
        cur.execute("SELECT renew_at FROM certificates WHERE id = %s", (cert["id"],))
        return cur.fetchone()[0] is None
    wait_for(dropped, what="the scheduler to drop the renewal time")
    time.sleep(2)
    assert renewal_orders(db, cert["id"]) == []
    assert api.get(f"/v1/certificates/{cert['id']}").json()["status"] == "active"


def test_dropped_name_is_tried_again_at_renewal(stack, api, db):
    good, bad = label("pgood"), label("pbad")
    nsupdate(f'update add {bad} 60 CAA 0 issue "otherca.example"', f"update add {bad} 60 A 127.0.0.1")
    try:
        order, first = issued_cert(api, {"domains": [good, bad], "allow_partial": True})
        assert order["dropped_domains"] == [bad] and first["domains"] == [good]
        # still failing pre-flight at the renewal: tried, and kept aside again
        make_due(db, first["id"])
        second_id = wait_superseded(db, first["id"])
        (rid, status, domains, dropped), = renewal_orders(db, first["id"])
        assert status == "issued" and domains == [good] and dropped == [bad]
        ro = api.get(f"/v1/orders/{rid}").json()
        assert {p["domain"]: p["ok"] for p in ro["preflight"]} == {good: True, bad: False}
        second = api.get(f"/v1/certificates/{second_id}").json()
        assert second["domains"] == [good]
    finally:
        nsupdate(f"update delete {bad} CAA")
    # passing again: the next renewal certifies it
    make_due(db, second_id)
    third_id = wait_superseded(db, second_id)
    (rid, status, domains, dropped), = renewal_orders(db, second_id)
    assert status == "issued" and domains == [good, bad] and dropped == []
    third = api.get(f"/v1/certificates/{third_id}").json()
    assert third["domains"] == [good, bad]
    openssl_verify(stack, third)
    nsupdate(f"update delete {bad} A")


def test_failing_renewal_backs_off_and_warns(api, db):
    name = label("fail")
    nsupdate(f"update add {name} 60 A 127.0.0.1")
    try:
        _, cert = issued_cert(api, {"domains": [name]})
        # the CA is no longer allowed for the name: every renewal fails at pre-flight
        nsupdate(f'update add {name} 60 CAA 0 issue "otherca.example"')
        cur = db.cursor()
        # two days left of 82: inside the expiring period (less than 7 days left), and due
        cur.execute("UPDATE certificates SET not_before = now() - interval '80 days',"
                    " not_after = now() + interval '2 days', renew_at = now() WHERE id = %s", (cert["id"],))

        def failed(n):
            def check():
                cur.execute("SELECT c.renew_failures, c.renew_retry_at, c.renew_at, c.status, o.status, o.problem,"
                            " o.updated_at FROM certificates c JOIN orders o ON o.id = c.renewal_order_id"
                            " WHERE c.id = %s", (cert["id"],))
                row = cur.fetchone()
                return row if row and row[0] == n else None
            return wait_for(check, what=f"renewal failure {n}")

        failures, retry_at, renew_at, status, ostatus, problem, failed_at = failed(1)
        assert ostatus == "failed" and problem["code"] == "preflight_failed"
        # first backoff: 1 minute (+ up to 20 % jitter) after the failure; the next look is then
        delay = (retry_at - failed_at).total_seconds()
        assert 55 <= delay <= 80, delay
        assert renew_at == retry_at
        # the certificate is kept, marked expiring, with one certificate.expiring event
        assert status == "expiring"
        c = api.get(f"/v1/certificates/{cert['id']}").json()
        assert c["status"] == "expiring" and c["certificate_pem"] == cert["certificate_pem"]
        assert c["renew_at"] is not None and c["superseded_by"] is None
        cur.execute("SELECT data FROM events WHERE type = 'certificate.expiring' AND certificate_id = %s",
                    (cert["id"],))
        events = cur.fetchall()
        assert len(events) == 1, events
        assert events[0][0]["certificate_id"] == cert["id"] and events[0][0]["domains"] == [name]
        assert events[0][0]["not_after"] == c["not_after"]
        # nothing happens before the backoff is over: no second order
        time.sleep(3)
        assert len(renewal_orders(db, cert["id"])) == 1

        # the backoff over: a second attempt, which fails too and backs off 10 minutes
        cur.execute("UPDATE certificates SET renew_retry_at = now(), renew_at = now() WHERE id = %s", (cert["id"],))
        failures, retry_at, renew_at, status, ostatus, problem, failed_at = failed(2)
        delay = (retry_at - failed_at).total_seconds()
        assert 590 <= delay <= 730, delay
        assert len(renewal_orders(db, cert["id"])) == 2
        # at most one certificate.expiring a day
        cur.execute("SELECT count(*) FROM events WHERE type = 'certificate.expiring' AND certificate_id = %s",
                    (cert["id"],))
        assert cur.fetchone()[0] == 1
    finally:
        nsupdate(f"update delete {name} CAA", f"update delete {name} A")


def test_scheduler_claim_reads_only_what_is_due(db):
    """EXPLAIN ANALYZE of the scheduler's claim among 20000 certificates not due: the
    partial index on renew_at is used and only the due rows are read."""
    cur = db.cursor()
    cur.execute("BEGIN")
    try:
        cur.execute("SELECT id FROM tenants LIMIT 1")
        tenant = cur.fetchone()[0]
        cur.execute("INSERT INTO orders (id, tenant_id, domains, challenge, key_type, ca, status, step)"
                    " SELECT 'ord_explain' || g, %s, ARRAY['x' || g || '.example.test'], 'http-01', 'ec-p256',"
                    " 'pebble', 'issued', 'done' FROM generate_series(1, 20000) g", (tenant,))
        cur.execute("INSERT INTO chains (sha256, pem) VALUES (sha256('explain'::bytea), '')"
                    " ON CONFLICT (sha256) DO UPDATE SET pem = EXCLUDED.pem RETURNING id")
        chain = cur.fetchone()[0]
        cur.execute("INSERT INTO certificates (id, tenant_id, order_id, ca, domains, serial, not_before, not_after,"
                    " cert_pem, chain_id, renew_at)"
                    " SELECT 'crt_explain' || g, %s, 'ord_explain' || g, 'pebble', ARRAY['x.example.test'], 'ab',"
                    " now(), now() + interval '90 days', '', %s, now() + g * interval '1 minute'"
                    " FROM generate_series(1, 20000) g", (tenant, chain))
        cur.execute("ANALYZE certificates")
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id FROM certificates WHERE renew_at <= now()"
                    " ORDER BY renew_at LIMIT 1 FOR UPDATE SKIP LOCKED")
        plan = cur.fetchone()[0][0]["Plan"]

        def nodes(n):
            yield n
            for c in n.get("Plans", []):
                yield from nodes(c)
        scans = [n for n in nodes(plan) if n.get("Relation Name") == "certificates"]
        assert scans and all(n["Node Type"] == "Index Scan" and n["Index Name"] == "certificates_renew_due"
                             for n in scans), plan
        # the 20000 rows not due are not read: a few index pages, not the table's hundreds
        cur.execute("SELECT relpages FROM pg_class WHERE relname = 'certificates'")
        assert cur.fetchone()[0] > 100
        blocks = plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
        assert blocks < 20, plan
    finally:
        cur.execute("ROLLBACK")
