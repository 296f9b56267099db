"""Tenant isolation (issue 6, point 7), derived from the route table of fcgi/router.c so
that an endpoint added later is covered (or this test fails until it is): every route
that takes an object id, called by another tenant with one of tenant A's ids, answers
404 (never 403, never a success) and changes nothing of A's. Object ids are random
(122 bits of a version 4 UUID) and so cannot be guessed."""

import json
import re
import time
import uuid

import pytest

from conftest import Api, certmill_cli, unique_name
from test_api_docs import route_table

# What a path parameter names, by the collection before it: how to find tenant A's object.
KINDS = {"orders": "order", "certificates": "certificate", "dns-providers": "provider", "webhooks": "webhook",
         "deliveries": "delivery", "ca-credentials": "ca"}
# A plausible body for each write, so the refusal is about the id and not about the body.
BODIES = {
    ("POST", "/v1/certificates/{id}/revoke"): {"reason": "keyCompromise"},
    ("POST", "/v1/dns-providers/{id}/test"): {"name": "isolation.example.test"},
    ("PATCH", "/v1/webhooks/{id}"): {"enabled": False},
}


def _tenant(stack):
    t = json.loads(certmill_cli("tenant", "create", "t-iso-" + uuid.uuid4().hex[:8]))
    return t, Api(stack["CERTMILL_URL"], t["api_key"])


@pytest.fixture(scope="module")
def victim(stack):
    """Tenant A with one object of every kind: an issued order and its certificate, a DNS
    provider, a webhook with a delivery, an EAB credential."""
    t, api = _tenant(stack)
    r = api.post("/v1/dns-providers", {"name": "iso", "type": "manual"})
    assert r.status_code == 201, r.text
    provider = r.json()["id"]
    r = api.post("/v1/webhooks", {"url": "http://127.0.0.1:9/never", "events": ["certificate.issued"]})
    assert r.status_code == 201, r.text
    webhook = r.json()["id"]
    r = api.s.put(api.base + "/v1/ca-credentials/local-eab-nokeys", headers=api._h({"Content-Type": "application/json"}),
                  data=json.dumps({"eab_kid": "kid-iso", "eab_hmac_key": "c2VjcmV0LWlzb2xhdGlvbi1rZXktMzItYnl0ZXMh"}))
    assert r.status_code == 200, r.text
    order = api.wait_order(api.post("/v1/orders", {"domains": [unique_name("iso")]}).json()["id"], timeout=120)
    assert order["status"] == "issued", order
    deadline = time.time() + 30
    rows = []
    while time.time() < deadline and not rows:
        rows = api.get(f"/v1/webhooks/{webhook}/deliveries").json()["data"]
        time.sleep(0.2)
    assert rows, "no delivery for the webhook"
    ids = {"order": order["id"], "certificate": order["certificate_id"], "provider": provider,
           "webhook": webhook, "delivery": rows[0]["id"], "ca": "local-eab-nokeys"}
    return t, api, ids


def _snapshot(api, ids):
    """What tenant A sees of its objects (the parts another tenant must not be able to change)."""
    o = api.get(f"/v1/orders/{ids['order']}").json()
    c = api.get(f"/v1/certificates/{ids['certificate']}").json()
    p = api.get(f"/v1/dns-providers/{ids['provider']}").json()
    w = api.get(f"/v1/webhooks/{ids['webhook']}").json()
    e = api.get(f"/v1/ca-credentials/{ids['ca']}").json()
    d = [x["id"] for x in api.get(f"/v1/webhooks/{ids['webhook']}/deliveries").json()["data"]]
    return {"order": (o["status"], o["problem"]), "cert": (c["status"], c["revocation"], c["auto_renew"]),
            "provider": p, "webhook": (w["url"], w["enabled"], w["events"]), "eab": (e["eab_kid"], e["updated_at"]),
            "deliveries": d}


def _routes_with_ids():
    out = []
    for method, pattern, auth in route_table():
        params = re.findall(r"\{(\w+)\}", pattern)
        if not auth or not params:
            continue
        out.append((method, pattern))
    return out


def test_every_route_with_an_id_is_covered():
    for method, pattern in _routes_with_ids():
        segs = pattern.strip("/").split("/")
        for i, seg in enumerate(segs):
            if seg.startswith("{"):
                assert segs[i - 1] in KINDS, f"{method} {pattern}: no isolation fixture for '{segs[i - 1]}'"


@pytest.mark.parametrize("method,pattern", _routes_with_ids())
def test_another_tenants_id_is_not_found(stack, victim, method, pattern):
    _, api_a, ids = victim
    _, api_b = _tenant(stack)
    segs = pattern.strip("/").split("/")
    path = "/" + "/".join(ids[KINDS[segs[i - 1]]] if s.startswith("{") else s for i, s in enumerate(segs))
    if method == "PUT" and "{ca}" in pattern:
        pytest.skip("PUT /v1/ca-credentials/{ca} names a CA, not an object: it writes the caller's own credential")
    before = _snapshot(api_a, ids)
    body = BODIES.get((method, pattern), {})
    headers = api_b._h({"Content-Type": "application/json"})
    data = json.dumps(body) if method in ("POST", "PUT", "PATCH") else None
    if method == "GET" and pattern.endswith("/download"):
        path += "?format=pem_fullchain"
    r = api_b.s.request(method, api_b.base + path, headers=headers, data=data, timeout=30)
    assert r.status_code == 404, (method, path, r.status_code, r.text)
    assert r.json()["code"] == "not_found"
    assert _snapshot(api_a, ids) == before


def test_ids_are_random(stack, victim):
    _, api, ids = victim
    for kind in ("order", "certificate", "provider", "webhook"):
        assert re.fullmatch(r"[a-z]+_[0-9a-f]{32}", ids[kind]), ids[kind]
        # a version 4 UUID: 122 random bits
        assert ids[kind].split("_", 1)[1][12] == "4", ids[kind]
    orders = {api.post("/v1/orders", {"domains": [unique_name("idr")]}).json()["id"] for _ in range(20)}
    assert len(orders) == 20
