"""Lists: cursor pagination walks 250 orders with every page size and never repeats or
skips one (also while new orders arrive), and the filters (status, domain,
customer_ref, expires_before) pick exactly the right rows; bad filter values are 422."""

import datetime

import pytest

from conftest import stack_ctl, unique_name

N_ORDERS = 250


def walk(api, path, limit, during=None):
    """Follows next_cursor from the first page to the end; returns the ids in order."""
    ids, cursor, pages = [], None, 0
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        r = api.get(url)
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"data", "next_cursor"}
        assert len(page["data"]) <= limit
        ids += [o["id"] for o in page["data"]]
        pages += 1
        if during and pages == 1:
            during()
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
        # a cursor only follows a full page
        assert len(page["data"]) == limit


def db_ids(db, tenant_id):
    cur = db.cursor()
    cur.execute("SELECT id FROM orders WHERE tenant_id = %s ORDER BY created_at DESC, id DESC", (tenant_id,))
    return [r[0] for r in cur.fetchall()]


def parse_time(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def test_certificate_filters(stack, new_tenant):
    """Two certificates of a fresh tenant told apart by customer_ref, domain, status and expires_before.
    (First in this file: the 250-order tests below stop the workers until the module ends.)"""
    _, api = new_tenant()
    a_name, b_name = unique_name("flt-a"), unique_name("flt-b")
    a = api.post("/v1/orders", {"domains": [a_name], "customer_ref": "panel-a"}).json()
    b = api.post("/v1/orders", {"domains": [b_name], "customer_ref": "panel-b"}).json()
    a, b = api.wait_order(a["id"]), api.wait_order(b["id"])
    assert a["status"] == b["status"] == "issued", (a, b)
    ca, cb = a["certificate_id"], b["certificate_id"]
    assert set(walk(api, "/v1/certificates", 1)) == {ca, cb}
    assert walk(api, "/v1/certificates?customer_ref=panel-a", 10) == [ca]
    assert walk(api, "/v1/certificates?customer_ref=panel-c", 10) == []
    assert walk(api, f"/v1/certificates?domain={b_name}", 10) == [cb]
    assert set(walk(api, "/v1/certificates?status=active", 10)) == {ca, cb}
    assert walk(api, "/v1/certificates?status=expired", 10) == []
    na = parse_time(api.get(f"/v1/certificates/{ca}").json()["not_after"])
    nb = parse_time(api.get(f"/v1/certificates/{cb}").json()["not_after"])

    def before(t):
        return set(walk(api, "/v1/certificates?expires_before=" + t.strftime("%Y-%m-%dT%H:%M:%SZ"), 10))

    first, last = min(na, nb), max(na, nb)
    # strictly before: a certificate expiring at that very second is not included
    assert before(first) == set()
    assert before(last + datetime.timedelta(seconds=1)) == {ca, cb}
    earliest = {cid for cid, t in ((ca, na), (cb, nb)) if t == first}
    assert before(first + datetime.timedelta(seconds=1)) == earliest
    # another offset names the same instant
    shifted = (last + datetime.timedelta(seconds=1)).astimezone(datetime.timezone(datetime.timedelta(hours=2)))
    r = api.get("/v1/certificates", params={"expires_before": shifted.strftime("%Y-%m-%dT%H:%M:%S+02:00")})
    assert {c["id"] for c in r.json()["data"]} == {ca, cb}
    # combined with customer_ref
    assert walk(api, "/v1/certificates?customer_ref=panel-b&expires_before=2000-01-01T00:00:00Z", 10) == []


@pytest.fixture(scope="module")
def many(stack, new_tenant_module):
    """A fresh tenant with 250 queued orders, made while the workers are stopped (so none is worked on)."""
    t, api = new_tenant_module
    stack_ctl("stop-worker", "1")
    stack_ctl("stop-worker", "2")
    made = []
    try:
        special = unique_name("pg-special")
        for i in range(N_ORDERS):
            body = {"domains": [special if i == 100 else unique_name("pg")], "customer_ref": f"cust-{i % 5}"}
            r = api.post("/v1/orders", body)
            assert r.status_code == 202, r.text
            made.append(r.json()["id"])
        yield t, api, made, special
    finally:
        # Nothing of this tenant may reach the CA: cancel what is left (through the API), then restart workers.
        try:
            for oid in made:
                r = api.post(f"/v1/orders/{oid}/cancel")
                assert r.status_code in (202, 409), r.text
        finally:
            stack_ctl("start-worker", "1")
            stack_ctl("start-worker", "2")


@pytest.fixture(scope="module")
def new_tenant_module(stack):
    import json
    import uuid
    from conftest import Api, certmill_cli
    t = json.loads(certmill_cli("tenant", "create", "t-" + uuid.uuid4().hex[:12]))
    return t, Api(stack["CERTMILL_URL"], t["api_key"])


@pytest.fixture(scope="module")
def module_db(stack):
    import psycopg2
    conn = psycopg2.connect(stack["CERTMILL_DB_URL"])
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.mark.parametrize("limit", [1, 7, 50, 100])
def test_walk_250_orders(many, module_db, limit):
    t, api, made, _ = many
    extra = []

    def arrive():
        # an order made mid-walk is newer than the cursor: it is not in this walk and moves nothing
        r = api.post("/v1/orders", {"domains": [unique_name("pg-late")]})
        assert r.status_code == 202, r.text
        extra.append(r.json()["id"])
        made.append(r.json()["id"])  # cancelled with the others

    before = db_ids(module_db, t["id"])
    ids = walk(api, "/v1/orders", limit, during=arrive)
    assert len(ids) == len(set(ids)), "an order was listed twice"
    assert ids == before, "the walk is not every order, newest first, exactly once"
    assert extra[0] not in ids
    assert set(made[:N_ORDERS]) <= set(ids)


def test_order_filters(many, module_db):
    t, api, made, special = many
    first = made[:N_ORDERS]
    # customer_ref: every fifth order
    ids = walk(api, "/v1/orders?customer_ref=cust-3", 50)
    assert set(ids) == {oid for i, oid in enumerate(first) if i % 5 == 3}
    # domain: the one order for that name (the filter is normalised like the names: case does not matter)
    assert walk(api, f"/v1/orders?domain={special.upper()}", 10) == [first[100]]
    assert walk(api, f"/v1/orders?domain={unique_name('nobody')}", 10) == []
    # status: cancel three, then they alone are cancelled; the rest are still queued
    for oid in first[10:13]:
        r = api.post(f"/v1/orders/{oid}/cancel")
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "cancelled"
    assert set(walk(api, "/v1/orders?status=cancelled", 2)) == set(first[10:13])
    queued = walk(api, "/v1/orders?status=queued&customer_ref=cust-0", 100)
    assert set(queued) == {oid for i, oid in enumerate(first) if i % 5 == 0 and not 10 <= i < 13}
    cur = module_db.cursor()
    cur.execute("SELECT count(*) FROM jobs WHERE order_id = ANY(%s)", (first[10:13],))
    assert cur.fetchone()[0] == 0, "a cancelled queued order kept its job"


@pytest.mark.parametrize("query,field", [
    ("limit=0", "limit"),
    ("limit=201", "limit"),
    ("limit=ten", "limit"),
    ("cursor=bm90LWEtY3Vyc29y", "cursor"),
    ("status=done", "status"),
    ("domain=bad..name.example", "domain"),
    ("customer_ref=" + "x" * 201, "customer_ref"),
])
def test_bad_order_list_values(api, query, field):
    r = api.get("/v1/orders?" + query)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_field" and r.json()["field"] == field


@pytest.mark.parametrize("value", [
    "yesterday", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-03-01T00:00:00", "2026-03-01 00:00:00Z",
    "2026-03-01T24:00:00Z", "2026-03-01T00:00:00+2:00", "1767225600",
])
def test_bad_expires_before(api, value):
    r = api.get("/v1/certificates", params={"expires_before": value})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_field" and r.json()["field"] == "expires_before"


def test_bad_certificate_list_values(api):
    for query, field in (("status=valid", "status"), ("domain=-x-.example", "domain"), ("limit=0", "limit"),
                         ("customer_ref=" + "y" * 201, "customer_ref")):
        r = api.get("/v1/certificates?" + query)
        assert r.status_code == 422, (query, r.text)
        assert r.json()["field"] == field
    r = api.get("/v1/certificates?expiry=soon")
    assert r.status_code == 400 and r.json()["code"] == "unknown_field"
