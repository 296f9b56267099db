"""GET /v1/webhook-deliveries: the deliveries of all the tenant's webhooks in one list (the
dashboard's "failed webhook deliveries"). A real delivery that gives up — a receiver that
always redirects, its three-day retry span moved into the past — is listed as failed with
its webhook; the acknowledged one as succeeded; another tenant sees neither."""

import json
import time
import uuid

import pytest

from conftest import Api, certmill_cli, unique_name
from test_api_docs import assert_shape, load_yaml_doc
from webhook_receiver import Receiver


@pytest.fixture(scope="module")
def receiver(stack):
    r = Receiver(int(stack["CERTMILL_WEBHOOK_PORT"]))
    yield r
    r.close()


def tenant(stack):
    t = json.loads(certmill_cli("tenant", "create", "t-dlv-" + uuid.uuid4().hex[:8]))
    return Api(stack["CERTMILL_URL"], t["api_key"])


def hook(api, url):
    r = api.post("/v1/webhooks", {"url": url, "events": ["certificate.issued"]})
    assert r.status_code == 201, r.text
    return r.json()


def first_delivery(api, hook_id, pred, timeout=60):
    """Polls the webhook's own delivery list until its first delivery satisfies pred."""
    deadline = time.time() + timeout
    d = None
    while time.time() < deadline:
        rows = api.get(f"/v1/webhooks/{hook_id}/deliveries").json()["data"]
        d = rows[0] if rows else None
        if d and pred(d):
            return d
        time.sleep(0.2)
    raise AssertionError(f"delivery of {hook_id}: {d}")


def listed(api, **params):
    r = api.get("/v1/webhook-deliveries", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_tenant_wide_delivery_list(stack, receiver, db):
    api = tenant(stack)
    ok_path, bad_path = f"/ok/{uuid.uuid4().hex}", f"/bad/{uuid.uuid4().hex}"
    receiver.script(bad_path, [302] * 1000)
    ok, bad = hook(api, receiver.url(ok_path)), hook(api, receiver.url(bad_path))
    other = tenant(stack)
    hook(other, receiver.url(f"/other/{uuid.uuid4().hex}"))
    assert listed(other)["data"] == []

    order = api.wait_order(api.post("/v1/orders", {"domains": [unique_name("dlv")]}).json()["id"])
    assert order["status"] == "issued", order
    done = first_delivery(api, ok["id"], lambda d: d["status"] == "succeeded")
    tried = first_delivery(api, bad["id"], lambda d: d["attempts"] >= 1)
    # Three days of retries, condensed: the span began four days ago and the next try is now.
    with db.cursor() as c:
        c.execute("UPDATE webhook_deliveries SET retry_since = now() - interval '4 days', next_attempt_at = now()"
                  " WHERE id = %s AND status = 'pending'", (tried["id"],))
    gave_up = first_delivery(api, bad["id"], lambda d: d["status"] == "failed")

    failed = listed(api, status="failed")
    assert [d["id"] for d in failed["data"]] == [gave_up["id"]]
    row = failed["data"][0]
    assert row["webhook_id"] == bad["id"] and row["webhook_url"] == bad["url"]
    assert row["event_type"] == "certificate.issued" and row["attempts"] == gave_up["attempts"]
    assert failed["next_cursor"] is None
    assert [d["id"] for d in listed(api, status="succeeded")["data"]] == [done["id"]]

    # Both, newest first, one per page, the cursor walking to the end.
    everything = listed(api)["data"]
    assert {d["id"] for d in everything} == {done["id"], gave_up["id"]}
    first = listed(api, limit=1)
    second = listed(api, limit=1, cursor=first["next_cursor"])
    assert [first["data"][0]["id"], second["data"][0]["id"]] == [d["id"] for d in everything]
    assert second["next_cursor"] is None

    # The other tenant sees none of them; the document describes the rows exactly.
    assert listed(other, status="failed")["data"] == []
    doc = load_yaml_doc()
    assert_shape(doc, "TenantDeliveryList", failed)
    assert_shape(doc, "TenantDelivery", row)


def test_tenant_wide_delivery_list_refuses_bad_parameters(api):
    r = api.get("/v1/webhook-deliveries", params={"status": "lost"})
    assert r.status_code == 422 and r.json()["field"] == "status"
    r = api.get("/v1/webhook-deliveries", params={"webhook": "wh_x"})
    assert r.status_code == 400 and r.json()["code"] == "unknown_field"
    assert Api(api.base, "cm_" + "x" * 43).get("/v1/webhook-deliveries").status_code == 401
