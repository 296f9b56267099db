"""Pre-flight checks: a name that cannot pass is stopped before the CA hears of it
(CAA for another CA, no address, a self-check that fails), and allow_partial orders
the names that pass and keeps the others aside."""

import uuid

import acme_peek
from cryptography.hazmat.primitives.asymmetric import ec

from dnsutil import nsupdate
from test_issuance import check_issued


def label(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}.example.test"


def _failed_before_the_ca(db, order, tenant_id, code, name):
    assert order["status"] == "failed", order
    p = order["problem"]
    assert p["code"] == "preflight_failed" and p["retryable"] is False
    bad = [r for r in p["names"] if not r["ok"]]
    assert [(r["domain"], r["code"]) for r in bad] == [(name, code)]
    assert name in p["detail"]
    assert order["preflight"] == p["names"]
    assert order["authorizations"] == []
    cur = db.cursor()
    cur.execute("SELECT acme_order_url FROM orders WHERE id = %s", (order["id"],))
    assert cur.fetchone()[0] is None, "an ACME order was created for a name that failed pre-flight"
    # the tenant never even registered at the CA
    cur.execute("SELECT count(*) FROM acme_accounts WHERE tenant_id = %s", (tenant_id,))
    assert cur.fetchone()[0] == 0


def test_caa_for_another_ca(db, new_tenant):
    t, api = new_tenant()
    name = label("caa")
    # a name with its own records no longer matches the zone's wildcard: give it its address too
    nsupdate(f'update add {name} 60 CAA 0 issue "otherca.example"', f"update add {name} 60 A 127.0.0.1")
    try:
        r = api.post("/v1/orders", {"domains": [name]})
        assert r.status_code == 202, r.text
        done = api.wait_order(r.json()["id"], timeout=60)
        _failed_before_the_ca(db, done, t["id"], "caa_forbids_ca", name)
        assert "otherca.example" in done["problem"]["detail"] or "pebble.letsencrypt.org" in done["problem"]["detail"]
    finally:
        nsupdate(f"update delete {name} CAA", f"update delete {name} A")


def test_caa_on_the_parent_applies_to_children(db, new_tenant):
    t, api = new_tenant()
    parent = label("caap")
    child = "www." + parent
    nsupdate(f'update add {parent} 60 CAA 0 issue ";"', f"update add {child} 60 A 127.0.0.1")
    try:
        done = api.wait_order(api.post("/v1/orders", {"domains": [child]}).json()["id"], timeout=60)
        _failed_before_the_ca(db, done, t["id"], "caa_forbids_ca", child)
        assert parent in done["problem"]["detail"]
    finally:
        nsupdate(f"update delete {parent} CAA", f"update delete {child} A")


def test_name_without_address(db, new_tenant):
    t, api = new_tenant()
    name = label("noaddr")
    # the name exists (a TXT record), so the zone's wildcard A does not apply to it
    nsupdate(f'update add {name} 60 TXT "no address here"')
    try:
        done = api.wait_order(api.post("/v1/orders", {"domains": [name]}).json()["id"], timeout=60)
        _failed_before_the_ca(db, done, t["id"], "dns_no_address", name)
    finally:
        nsupdate(f"update delete {name} TXT")


def test_http_self_check_failure(db, new_tenant):
    t, api = new_tenant()
    name = label("selfck")
    # 127.0.0.2 is loopback, but nothing of the stack listens there
    nsupdate(f"update add {name} 60 A 127.0.0.2")
    try:
        done = api.wait_order(api.post("/v1/orders", {"domains": [name]}).json()["id"], timeout=60)
        _failed_before_the_ca(db, done, t["id"], "http_self_check_failed", name)
        assert "127.0.0.2" in done["problem"]["detail"]
    finally:
        nsupdate(f"update delete {name} A")


def test_allow_partial_orders_the_names_that_pass(stack, db, new_tenant):
    t, api = new_tenant()
    good, bad = label("good"), label("bad")
    nsupdate(f'update add {bad} 60 CAA 0 issue "otherca.example"', f"update add {bad} 60 A 127.0.0.1")
    try:
        r = api.post("/v1/orders", {"domains": [good, bad], "allow_partial": True})
        assert r.status_code == 202, r.text
        assert r.json()["allow_partial"] is True
        done = api.wait_order(r.json()["id"], timeout=120)
        check_issued(stack, api, done, [good], ec.EllipticCurvePrivateKey)
        assert done["domains"] == [good]
        assert done["dropped_domains"] == [bad]
        assert {p["domain"]: p["ok"] for p in done["preflight"]} == {good: True, bad: False}
        # the CA's order names only the good name
        cur = db.cursor()
        cur.execute("SELECT acme_order_url FROM orders WHERE id = %s", (done["id"],))
        url = cur.fetchone()[0]
        assert acme_peek.account_orders(db, stack, t["id"]) == [url]
        key, kid = acme_peek.account(db, stack, t["id"])
        ca_order = acme_peek.Client(stack).post_as_get(key, kid, url).json()
        assert [i["value"] for i in ca_order["identifiers"]] == [good]
    finally:
        nsupdate(f"update delete {bad} CAA", f"update delete {bad} A")
