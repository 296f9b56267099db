"""Tenancy: every object belongs to one tenant. Tenant B gets 404 (never 403) for
tenant A's order, certificate and key, and B's lists never show A's objects."""

import pytest

from conftest import unique_name


@pytest.fixture(scope="module")
def issued(stack):
    """Tenant A with one issued certificate, and tenant B with nothing: made once per module."""
    import json
    import uuid

    from conftest import Api, certmill_cli

    def tenant():
        t = json.loads(certmill_cli("tenant", "create", "ten-" + uuid.uuid4().hex[:12]))
        return t, Api(stack["CERTMILL_URL"], t["api_key"])

    (ta, a), (tb, b) = tenant(), tenant()
    names = [unique_name("ten"), unique_name("ten")]
    r = a.post("/v1/orders", {"domains": names, "challenge": "http-01", "customer_ref": "tenancy"},
               headers={"Idempotency-Key": "tenancy-shared-key"})
    assert r.status_code == 202, r.text
    order = a.wait_order(r.json()["id"])
    assert order["status"] == "issued", order
    assert order["certificate_id"], order
    return {"a": a, "b": b, "ta": ta, "tb": tb, "order": order, "names": names,
            "cert_id": order["certificate_id"]}


def assert_not_found(r):
    assert r.status_code == 404, f"{r.status_code} {r.text}"
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_found"


def test_owner_reads_its_objects(issued):
    a = issued["a"]
    assert a.get(f"/v1/orders/{issued['order']['id']}").status_code == 200
    r = a.get(f"/v1/certificates/{issued['cert_id']}")
    assert r.status_code == 200, r.text
    assert sorted(r.json()["domains"]) == sorted(issued["names"])
    r = a.get(f"/v1/certificates/{issued['cert_id']}/key")
    assert r.status_code == 200, r.text
    assert "PRIVATE KEY" in r.json()["key_pem"]
    assert r.headers.get("Cache-Control") == "no-store"


def test_other_tenant_gets_404_for_order(issued):
    assert_not_found(issued["b"].get(f"/v1/orders/{issued['order']['id']}"))


def test_other_tenant_gets_404_for_certificate(issued):
    assert_not_found(issued["b"].get(f"/v1/certificates/{issued['cert_id']}"))


def test_other_tenant_gets_404_for_key(issued):
    r = issued["b"].get(f"/v1/certificates/{issued['cert_id']}/key")
    assert_not_found(r)
    assert "PRIVATE KEY" not in r.text


def all_pages(api, path, limit=2):
    """Walks a list through its cursors; returns every item."""
    items, cursor, pages = [], None, 0
    while True:
        q = f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        r = api.get(q)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"data", "next_cursor"}
        items += body["data"]
        cursor = body["next_cursor"]
        pages += 1
        assert pages < 500
        if not cursor:
            return items


def test_lists_are_per_tenant(issued):
    a, b = issued["a"], issued["b"]
    a_orders = {o["id"] for o in all_pages(a, "/v1/orders")}
    a_certs = {c["id"] for c in all_pages(a, "/v1/certificates")}
    assert issued["order"]["id"] in a_orders
    assert issued["cert_id"] in a_certs
    b_orders = {o["id"] for o in all_pages(b, "/v1/orders")}
    b_certs = {c["id"] for c in all_pages(b, "/v1/certificates")}
    assert not (a_orders & b_orders)
    assert not (a_certs & b_certs)
    # filters do not reach across tenants either
    r = b.get("/v1/certificates?domain=" + issued["names"][0])
    assert r.status_code == 200 and r.json()["data"] == []
    r = b.get("/v1/orders?customer_ref=tenancy")
    assert r.status_code == 200 and r.json()["data"] == []
    r = a.get("/v1/certificates?domain=" + issued["names"][0].upper())
    assert [c["id"] for c in r.json()["data"]] == [issued["cert_id"]]


def test_cursor_of_one_tenant_shows_nothing_of_it_to_another(issued):
    a, b = issued["a"], issued["b"]
    # make A's list longer than one page so it hands out a cursor
    for _ in range(2):
        r = a.post("/v1/orders", {"domains": [unique_name("page")]})
        assert r.status_code == 202, r.text
    r = a.get("/v1/orders?limit=1")
    cursor = r.json()["next_cursor"]
    assert cursor
    r = b.get(f"/v1/orders?limit=200&cursor={cursor}")
    assert r.status_code == 200, r.text
    assert not ({o["id"] for o in r.json()["data"]} & {issued["order"]["id"]})


def test_pagination_is_newest_first_without_overlap(issued):
    a = issued["a"]
    for _ in range(2):
        r = a.post("/v1/orders", {"domains": [unique_name("page")]})
        assert r.status_code == 202, r.text
    items = all_pages(a, "/v1/orders", limit=1)
    ids = [o["id"] for o in items]
    assert len(ids) == len(set(ids)) >= 3
    created = [o["created_at"] for o in items]
    assert created == sorted(created, reverse=True)
    assert "authorizations" not in items[0]


def test_idempotency_keys_are_per_tenant(issued, db):
    # B uses the key A used, with the same body: B gets its own new order
    b = issued["b"]
    r = b.post("/v1/orders", {"domains": issued["names"], "challenge": "http-01", "customer_ref": "tenancy"},
               headers={"Idempotency-Key": "tenancy-shared-key"})
    assert r.status_code == 202, r.text
    assert r.json()["id"] != issued["order"]["id"]
    with db.cursor() as cur:
        cur.execute("SELECT tenant_id FROM orders WHERE idempotency_key = 'tenancy-shared-key' AND tenant_id IN (%s, %s)",
                    (issued["ta"]["id"], issued["tb"]["id"]))
        assert sorted(t for (t,) in cur.fetchall()) == sorted([issued["ta"]["id"], issued["tb"]["id"]])
