"""Abuse limits (issue 6, point 8): a tenant with a small request rate gets 429
rate_limited with Retry-After and the RateLimit fields once its burst is spent, other
tenants and the endpoints without a key are not affected, and it is served again after
Retry-After; quotas: the order over max_active_orders or max_certificates is refused
with 403 quota_exceeded naming the quota and nothing is stored, while a renewal made by
the scheduler is not refused by the certificate quota."""

import json
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import certmill_cli, unique_name
from test_renewal import issued_cert, make_due, wait_superseded

RATELIMIT_RE = re.compile(r'^"tenant";r=(\d+);t=(\d+)$')


def set_limits(tenant_id, *args):
    return json.loads(certmill_cli("tenant", "set-limits", tenant_id, *args))


def remaining(r):
    m = RATELIMIT_RE.match(r.headers.get("RateLimit", ""))
    assert m, r.headers
    return int(m.group(1))


def tenant_orders(db, tenant_id):
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM orders WHERE tenant_id = %s", (tenant_id,))
    return cur.fetchone()[0]


def test_rate_limit_per_tenant(stack, new_tenant):
    slow_t, slow = new_tenant()
    _, other = new_tenant()
    row = set_limits(slow_t["id"], "--rate", "1/s", "--burst", "5")
    assert row["rate"] == "1/s" and row["rate_burst"] == 5, row
    # the burst is served at once, each answer saying what is left
    admitted, refused, seen = 0, None, []
    for _ in range(20):
        r = slow.get("/v1/orders")
        if r.status_code == 429:
            refused = r
            break
        assert r.status_code == 200, r.text
        assert r.headers["RateLimit-Policy"] == '"tenant";q=5;w=5', r.headers
        seen.append(remaining(r))
        admitted += 1
    assert refused is not None, "20 requests at a rate of 1/s with a burst of 5 were all served"
    # 5 at once, and at most the one or two that came back while the requests ran (1/s)
    assert 5 <= admitted <= 7, admitted
    assert seen[0] == 4 and seen == sorted(seen, reverse=True), seen
    p = refused.json()
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert p["code"] == "rate_limited" and p["status"] == 429 and p["retryable"] is True, p
    retry_after = int(refused.headers["Retry-After"])
    assert retry_after == 1, refused.headers  # at 1/s one token comes back within a second
    assert refused.headers["RateLimit-Policy"] == '"tenant";q=5;w=5'
    m = RATELIMIT_RE.match(refused.headers["RateLimit"])
    assert m and m.group(1) == "0" and 1 <= int(m.group(2)) <= 5, refused.headers
    # a refused request does no work: a POST over the limit creates nothing
    r = slow.post("/v1/orders", {"domains": [unique_name("rl")]})
    assert r.status_code == 429, r.text
    # another tenant is not affected, and has the server's generous default
    r = other.get("/v1/orders")
    assert r.status_code == 200 and remaining(r) > 1000, (r.status_code, r.headers)
    # endpoints without a key are not counted per tenant, even with the limited tenant's key
    for path in ("/healthz", "/readyz", "/v1/openapi.json"):
        r = slow.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert "RateLimit" not in r.headers, (path, r.headers)
    http01 = stack.get("CERTMILL_HTTP01_PORT")
    if http01:
        r = requests.get(f"http://127.0.0.1:{http01}/.well-known/acme-challenge/nosuchtoken",
                         headers={"Authorization": f"Bearer {slow.key}"}, timeout=30)
        assert r.status_code == 404 and "RateLimit" not in r.headers
    # after Retry-After the tenant is served again
    time.sleep(retry_after)
    r = slow.get("/v1/orders")
    assert r.status_code == 200, r.text
    # back to the server's default: no longer refused
    row = set_limits(slow_t["id"], "--rate", "default", "--burst", "default")
    assert row["rate"] is None and row["rate_burst"] is None, row
    for _ in range(10):
        assert slow.get("/v1/orders").status_code == 200
    # "none": no fields at all
    assert set_limits(slow_t["id"], "--rate", "none")["rate"] == "none"
    r = slow.get("/v1/orders")
    assert r.status_code == 200 and "RateLimit" not in r.headers and "RateLimit-Policy" not in r.headers


def test_active_order_quota(stack, db, new_tenant):
    t, api = new_tenant()
    set_limits(t["id"], "--max-active-orders", "2")
    # manual dns-01 orders wait in action_required: active until the panel acts
    ids, bodies = [], []
    for i in range(2):
        bodies.append({"domains": [unique_name("q")], "challenge": "dns-01"})
        r = api.post("/v1/orders", bodies[-1], headers={"Idempotency-Key": f"quota-{i}"})
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    r = api.post("/v1/orders", {"domains": [unique_name("q")], "challenge": "dns-01"})
    assert r.status_code == 403, r.text
    p = r.json()
    assert p["code"] == "quota_exceeded" and p["retryable"] is False, p
    assert p["quota"] == "max_active_orders" and p["limit"] == 2 and p["used"] == 2, p
    assert remaining(r) > 0  # a refused order still carries the rate fields
    assert tenant_orders(db, t["id"]) == 2, "the refused order was stored"
    # the replay of an order made before is still answered (the key is looked up first)
    r = api.post("/v1/orders", bodies[0], headers={"Idempotency-Key": "quota-0"})
    assert r.status_code == 200 and r.json()["id"] == ids[0], r.text
    # a cancelled order no longer counts
    r = api.post(f"/v1/orders/{ids[0]}/cancel")
    assert r.status_code in (200, 202), r.text
    r = api.post("/v1/orders", {"domains": [unique_name("q")], "challenge": "dns-01"})
    assert r.status_code == 202, r.text
    assert tenant_orders(db, t["id"]) == 3
    # concurrent orders cannot pass the quota together
    set_limits(t["id"], "--max-active-orders", "4")
    with ThreadPoolExecutor(8) as ex:
        codes = list(ex.map(lambda _: api.post("/v1/orders", {"domains": [unique_name("qc")],
                                                               "challenge": "dns-01"}).status_code, range(8)))
    assert sorted(codes) == [202, 202] + [403] * 6, codes
    # "none" lifts it
    set_limits(t["id"], "--max-active-orders", "none")
    r = api.post("/v1/orders", {"domains": [unique_name("q")], "challenge": "dns-01"})
    assert r.status_code == 202, r.text
    # leave nothing waiting for the workers
    for (oid,) in _active(db, t["id"]):
        api.post(f"/v1/orders/{oid}/cancel")


def _active(db, tenant_id):
    cur = db.cursor()
    cur.execute("SELECT id FROM orders WHERE tenant_id = %s AND status NOT IN ('issued', 'failed', 'cancelled')",
                (tenant_id,))
    return cur.fetchall()


def test_certificate_quota_spares_renewals(stack, db, new_tenant):
    t, api = new_tenant()
    order, cert = issued_cert(api, {"domains": [unique_name("qcert")]})
    set_limits(t["id"], "--max-certificates", "1")
    r = api.post("/v1/orders", {"domains": [unique_name("qcert")]})
    assert r.status_code == 403, r.text
    p = r.json()
    assert p["code"] == "quota_exceeded" and p["quota"] == "max_certificates", p
    assert p["limit"] == 1 and p["used"] == 1, p
    assert tenant_orders(db, t["id"]) == 1
    # the scheduler's renewal replaces the certificate: not refused by the quota
    make_due(db, cert["id"])
    new_id = wait_superseded(db, cert["id"])
    new = api.get(f"/v1/certificates/{new_id}").json()
    assert new["status"] == "active", new
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM certificates WHERE tenant_id = %s AND status IN ('active', 'expiring')",
                (t["id"],))
    assert cur.fetchone()[0] == 1
    # and the quota still holds for new orders
    r = api.post("/v1/orders", {"domains": [unique_name("qcert")]})
    assert r.status_code == 403 and r.json()["quota"] == "max_certificates", r.text


def test_set_limits_refuses_bad_values(stack, new_tenant):
    t, _ = new_tenant()
    for args in (["--rate", "5"], ["--rate", "0/s"], ["--burst", "0"], ["--burst", "none"],
                 ["--max-active-orders", "-2"], ["--max-certificates", "many"], ["--colour", "1"]):
        try:
            certmill_cli("tenant", "set-limits", t["id"], *args)
        except subprocess.CalledProcessError as e:
            assert e.returncode in (1, 2), (args, e.returncode)
        else:
            raise AssertionError(f"set-limits accepted {args}")
