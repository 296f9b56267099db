"""Webhooks on the real stack: a receiver started here (127.0.0.1, CERTMILL_WEBHOOK_PORT)
checks every delivery with its own Standard Webhooks verification (webhook_receiver.verify);
one order's certificate.issued reaches several webhooks of one tenant, each with a
receiver that behaves differently (acknowledges, fails three times, redirects). The stack's
[webhooks] allows 127.0.0.0/8 and starts retries 200 ms apart (retry_base_ms = 200)."""

import json
import os
import re
import time
import uuid

import pytest

from conftest import REPO, unique_name
from webhook_receiver import Receiver, verify


@pytest.fixture(scope="module")
def receiver(stack):
    r = Receiver(int(stack["CERTMILL_WEBHOOK_PORT"]))
    yield r
    r.close()


def make_hook(api, url, **kw):
    body = {"url": url}
    body.update(kw)
    r = api.post("/v1/webhooks", body)
    assert r.status_code == 201, r.text
    hook = r.json()
    assert r.headers["Location"] == "/v1/webhooks/" + hook["id"]
    assert hook["secret"].startswith("whsec_")
    return hook


def deliveries(api, hook_id, **params):
    r = api.get(f"/v1/webhooks/{hook_id}/deliveries", params=params)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def wait_delivery(api, hook_id, pred, timeout=60):
    """Polls the webhook's deliveries until pred(first delivery) holds."""
    deadline = time.time() + timeout
    d = None
    while time.time() < deadline:
        rows = deliveries(api, hook_id)
        d = rows[0] if rows else None
        if d and pred(d):
            return d
        time.sleep(0.2)
    raise AssertionError(f"delivery of {hook_id} not as wanted after {timeout}s: {d}")


@pytest.fixture(scope="module")
def issued(stack, receiver):
    """One tenant, four webhooks (acknowledging, 500 x3 then 200, redirecting, revoked-only), one issued order."""
    from conftest import Api, certmill_cli
    t = json.loads(certmill_cli("tenant", "create", "t-hooks-" + uuid.uuid4().hex[:8]))
    api = Api(stack["CERTMILL_URL"], t["api_key"])
    paths = {k: f"/{k}/{uuid.uuid4().hex}" for k in ("ok", "flaky", "redirect", "revoked")}
    receiver.script(paths["flaky"], [500, 500, 500])
    receiver.script(paths["redirect"], [302] * 1000)
    hooks = {
        "ok": make_hook(api, receiver.url(paths["ok"]), events=["certificate.issued"], description="panel"),
        "flaky": make_hook(api, receiver.url(paths["flaky"])),
        "redirect": make_hook(api, receiver.url(paths["redirect"]), events=["certificate.issued"]),
        "revoked": make_hook(api, receiver.url(paths["revoked"]), events=["certificate.revoked"]),
    }
    r = api.post("/v1/orders", {"domains": [unique_name("hook")], "customer_ref": "hooks-1"})
    assert r.status_code == 202, r.text
    order = api.wait_order(r.json()["id"])
    assert order["status"] == "issued", order
    yield {"api": api, "paths": paths, "hooks": hooks, "order": order}
    for h in hooks.values():
        api.s.delete(api.base + f"/v1/webhooks/{h['id']}", headers=api._h(None), timeout=30)


def test_certificate_issued_is_delivered_signed(issued, receiver):
    api, hook, path = issued["api"], issued["hooks"]["ok"], issued["paths"]["ok"]
    (p, headers, body), = receiver.wait(path, 1)
    assert verify(hook["secret"], headers, body), headers
    # a wrong secret, a changed body or an old timestamp do not verify: the check can fail
    assert not verify("whsec_" + "A" * 43 + "=", headers, body)
    assert not verify(hook["secret"], headers, body + b" ")
    assert not verify(hook["secret"], headers, body, now=time.time() + 3600)
    assert headers["content-type"] == "application/json"
    msg = json.loads(body)
    assert set(msg) == {"type", "timestamp", "data"}
    assert msg["type"] == "certificate.issued"
    assert msg["data"]["certificate_id"] == issued["order"]["certificate_id"]
    assert msg["data"]["order_id"] == issued["order"]["id"]
    assert msg["data"]["customer_ref"] == "hooks-1"
    # the delivery as the API lists it: webhook-id is its id
    d = wait_delivery(api, hook["id"], lambda d: d["status"] == "succeeded")
    assert d["id"] == headers["webhook-id"]
    assert d["event_type"] == "certificate.issued"
    assert d["attempts"] == 1 and d["last_response_code"] == 200 and d["next_attempt_at"] is None
    ev = api.get("/v1/events", params={"type": "certificate.issued"}).json()["data"]
    assert d["event_id"] in [e["id"] for e in ev]
    # the secret is shown once: never on reads
    got = api.get(f"/v1/webhooks/{hook['id']}").json()
    assert "secret" not in got and got["events"] == ["certificate.issued"] and got["description"] == "panel"
    assert all("secret" not in h for h in api.get("/v1/webhooks").json()["data"])
    # only the types of the filter: the revoked-only webhook got nothing
    assert receiver.received(issued["paths"]["revoked"]) == []
    assert deliveries(api, issued["hooks"]["revoked"]["id"]) == []


def test_three_failures_then_acknowledged_once(issued, receiver):
    api, hook, path = issued["api"], issued["hooks"]["flaky"], issued["paths"]["flaky"]
    got = receiver.wait(path, 4)
    d = wait_delivery(api, hook["id"], lambda d: d["status"] == "succeeded")
    time.sleep(2)  # nothing more comes once a 2xx acknowledged it
    got = receiver.received(path)
    assert len(got) == 4, [g[1].get("webhook-id") for g in got]
    ids = {h["webhook-id"] for _, h, _ in got}
    assert ids == {d["id"]}, ids
    for _, h, b in got:
        assert verify(hook["secret"], h, b)
    # every attempt sends the same body; the timestamp is the attempt's
    assert len({b for _, _, b in got}) == 1
    assert d["attempts"] == 4 and d["last_response_code"] == 200 and d["last_error"] is None


def test_redirect_is_not_followed(issued, receiver):
    api, hook, path = issued["api"], issued["hooks"]["redirect"], issued["paths"]["redirect"]
    receiver.wait(path, 2)
    d = wait_delivery(api, hook["id"], lambda d: d["attempts"] >= 2)
    assert d["status"] == "pending" and d["last_response_code"] == 302, d
    assert "redirect" in d["last_error"] and d["next_attempt_at"], d
    assert receiver.received(path + "/redirected") == []
    # disabled: no more attempts
    r = api.s.patch(api.base + f"/v1/webhooks/{hook['id']}", data=json.dumps({"enabled": False}),
                    headers=api._h({"Content-Type": "application/json"}), timeout=30)
    assert r.status_code == 200 and r.json()["enabled"] is False, r.text
    time.sleep(1.5)
    n = len(receiver.received(path))
    time.sleep(2)
    assert len(receiver.received(path)) == n
    assert receiver.received(path + "/redirected") == []


def test_rotate_secret_and_manual_retry(issued, receiver):
    api, hook, path = issued["api"], issued["hooks"]["ok"], issued["paths"]["ok"]
    d = wait_delivery(api, hook["id"], lambda d: d["status"] == "succeeded")
    r = api.post(f"/v1/webhooks/{hook['id']}/rotate-secret")
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new.startswith("whsec_") and new != hook["secret"]
    assert "secret" not in api.get(f"/v1/webhooks/{hook['id']}").json()
    before = len(receiver.received(path))
    r = api.post(f"/v1/webhooks/{hook['id']}/deliveries/{d['id']}/retry")
    assert r.status_code == 202, r.text
    assert r.json()["id"] == d["id"] and r.json()["status"] == "pending"
    got = receiver.wait(path, before + 1)
    _, h, b = got[-1]
    assert h["webhook-id"] == d["id"]
    # during the grace period both the new and the old secret sign
    assert len(h["webhook-signature"].split(" ")) == 2
    assert verify(new, h, b) and verify(hook["secret"], h, b)
    d2 = wait_delivery(api, hook["id"], lambda x: x["attempts"] == d["attempts"] + 1 and x["status"] == "succeeded")
    assert d2["id"] == d["id"]
    # unknown ids are 404; another tenant sees nothing
    assert api.post(f"/v1/webhooks/{hook['id']}/deliveries/msg_nope/retry").status_code == 404
    assert api.post("/v1/webhooks/wh_nope/rotate-secret").status_code == 404


def test_connected_address_checked_at_send_time(issued, receiver, db):
    """A host that resolved to a permitted address at creation and to a private one later
    (DNS rebinding): the address curl is about to connect is refused before any socket."""
    api, hook = issued["api"], issued["hooks"]["ok"]
    d = wait_delivery(api, hook["id"], lambda d: d["status"] == "succeeded")
    with db.cursor() as c:
        # what a rebinding name would give at send time; the API never accepts this URL
        c.execute("UPDATE webhooks SET url = 'http://10.0.0.1:9/x' WHERE id = %s", (hook["id"],))
    try:
        r = api.post(f"/v1/webhooks/{hook['id']}/deliveries/{d['id']}/retry")
        assert r.status_code == 202, r.text
        d2 = wait_delivery(api, hook["id"], lambda x: x["attempts"] > d["attempts"] and x["last_error"])
        assert "10.0.0.1" in d2["last_error"] and "not allowed" in d2["last_error"], d2
        assert d2["last_response_code"] is None and d2["status"] == "pending"
    finally:
        api.s.patch(api.base + f"/v1/webhooks/{hook['id']}", data=json.dumps({"enabled": False}),
                    headers=api._h({"Content-Type": "application/json"}), timeout=30)


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/", "http://172.16.5.4/hook", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1/", "http://0.0.0.0/", "http://[fd00::1]/", "http://[fe80::1]/", "http://[::ffff:10.0.0.1]/",
    "https://[fd00:ec2::254]/",
])
def test_private_destinations_refused(new_tenant, url):
    _, api = new_tenant()
    r = api.post("/v1/webhooks", {"url": url})
    assert r.status_code == 422, (url, r.text)
    assert r.json()["code"] == "webhook_destination_refused" and r.json()["field"] == "url", r.text
    assert api.get("/v1/webhooks").json()["data"] == []


def test_loopback_allowed_by_the_configuration(new_tenant, receiver):
    """The stack's [webhooks] allow_destinations = 127.0.0.0/8 ::1/128 (the default refuses them,
    tests/unit/test_webhook_netpolicy.c)."""
    _, api = new_tenant()
    for url in (receiver.url("/x"), f"http://[::1]:{receiver.port}/x", f"http://localhost:{receiver.port}/x"):
        h = make_hook(api, url)
        assert api.s.delete(api.base + f"/v1/webhooks/{h['id']}", headers=api._h(None), timeout=30).status_code == 204


def test_bad_webhook_bodies(new_tenant, receiver):
    _, api = new_tenant()
    for body, field in [({"url": "ftp://127.0.0.1/x"}, "url"), ({"url": "not a url"}, "url"),
                        ({"url": "http://no-such-host.invalid/"}, "url"),
                        ({"url": receiver.url("/x"), "events": ["order.exploded"]}, "events"),
                        ({"url": receiver.url("/x"), "events": ["order.failed", "order.failed"]}, "events"),
                        ({"url": receiver.url("/x"), "enabled": "yes"}, "enabled"), ({}, "url")]:
        r = api.post("/v1/webhooks", body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == "invalid_field" and r.json()["field"] == field, (body, r.text)
    r = api.post("/v1/webhooks", {"url": receiver.url("/x"), "secret": "mine"})
    assert r.status_code == 400 and r.json()["code"] == "unknown_field"


def test_webhook_crud_and_tenancy(new_tenant, receiver):
    _, api = new_tenant()
    _, other = new_tenant()
    h = make_hook(api, receiver.url("/crud"), description="first")
    assert h["events"] == [] and h["enabled"] is True
    hid = h["id"]
    hdr = api._h({"Content-Type": "application/json"})
    r = api.s.patch(api.base + f"/v1/webhooks/{hid}", timeout=30, headers=hdr,
                    data=json.dumps({"url": receiver.url("/crud2"), "events": ["order.failed"], "description": None}))
    assert r.status_code == 200, r.text
    got = api.get(f"/v1/webhooks/{hid}").json()
    assert got["url"] == receiver.url("/crud2") and got["events"] == ["order.failed"] and got["description"] is None
    r = api.s.patch(api.base + f"/v1/webhooks/{hid}", data=json.dumps({"url": "http://10.1.2.3/"}), headers=hdr,
                    timeout=30)
    assert r.status_code == 422 and r.json()["code"] == "webhook_destination_refused"
    assert api.get(f"/v1/webhooks/{hid}").json()["url"] == receiver.url("/crud2")
    # another tenant's webhook does not exist for the caller
    assert other.get(f"/v1/webhooks/{hid}").status_code == 404
    assert other.get(f"/v1/webhooks/{hid}/deliveries").status_code == 404
    assert other.post(f"/v1/webhooks/{hid}/rotate-secret").status_code == 404
    assert other.s.delete(other.base + f"/v1/webhooks/{hid}", headers=other._h(None), timeout=30).status_code == 404
    assert [w["id"] for w in api.get("/v1/webhooks").json()["data"]] == [hid]
    assert api.s.delete(api.base + f"/v1/webhooks/{hid}", headers=api._h(None), timeout=30).status_code == 204
    assert api.get(f"/v1/webhooks/{hid}").status_code == 404
    assert api.get("/v1/webhooks").json()["data"] == []


def docs_python_verifier():
    """The verify_webhook function of docs/webhooks.md's Python example, as a panel would copy it."""
    with open(os.path.join(REPO, "docs", "webhooks.md"), encoding="utf-8") as f:
        md = f.read()
    code = next(b for b in re.findall(r"```python\n(.*?)```", md, re.S) if "def verify_webhook" in b)
    ns = {}
    exec(compile(code, "docs/webhooks.md", "exec"), ns)
    return ns["verify_webhook"]


def test_docs_python_example_verifies_real_deliveries(issued, receiver):
    verify_webhook = docs_python_verifier()
    hook, path = issued["hooks"]["flaky"], issued["paths"]["flaky"]
    got = receiver.wait(path, 1)
    for _, h, b in got:
        assert verify_webhook(hook["secret"], h, b)
        assert not verify_webhook(hook["secret"], h, b.replace(b"issued", b"revoked"))
        assert not verify_webhook(issued["hooks"]["ok"]["secret"], h, b)


def test_answers_have_the_documented_members(issued):
    """Webhook, WebhookWithSecret, Delivery and EventList as docs/openapi.yaml lists them."""
    from test_api_docs import assert_shape, load_yaml_doc
    doc = load_yaml_doc()
    api, hook = issued["api"], issued["hooks"]["ok"]
    assert_shape(doc, "WebhookWithSecret", hook)
    assert_shape(doc, "Webhook", api.get(f"/v1/webhooks/{hook['id']}").json())
    page = api.get("/v1/webhooks?limit=1").json()
    assert_shape(doc, "WebhookList", page)
    d = api.get(f"/v1/webhooks/{hook['id']}/deliveries").json()
    assert_shape(doc, "DeliveryList", d)
    assert_shape(doc, "Delivery", d["data"][0])
    ev = api.get("/v1/events").json()
    assert_shape(doc, "EventList", ev)
    assert_shape(doc, "Event", ev["data"][0])
