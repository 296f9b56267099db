"""GET /v1/events: a tenant's events oldest first, with a cursor a polling panel keeps
(next_cursor is never null) and a type filter; other tenants' events never appear."""

import time

import pytest

from conftest import unique_name


def walk(api, **params):
    """Every event after params' cursor, one page of `limit` at a time; (events, last cursor)."""
    out, cursor = [], params.pop("cursor", None)
    while True:
        q = dict(params)
        if cursor:
            q["cursor"] = cursor
        r = api.get("/v1/events", params=q)
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"data", "next_cursor", "has_more"}
        assert page["next_cursor"]
        out += page["data"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return out, cursor


def test_events_in_order_with_a_cursor(new_tenant):
    _, api = new_tenant()
    _, other = new_tenant()
    first, cursor = walk(api)
    assert first == []
    orders = []
    for i in range(2):
        r = api.post("/v1/orders", {"domains": [unique_name(f"ev{i}")], "customer_ref": f"ev-{i}"})
        assert r.status_code == 202, r.text
        orders.append(api.wait_order(r.json()["id"]))
        assert orders[-1]["status"] == "issued"
    r = api.post(f"/v1/certificates/{orders[0]['certificate_id']}/revoke", {"reason": "superseded"})
    assert r.status_code == 202, r.text
    # poll with the kept cursor until the revocation shows
    got = []
    for _ in range(120):
        page, cursor2 = walk(api, cursor=cursor)
        got += page
        cursor = cursor2
        if any(e["type"] == "certificate.revoked" for e in got):
            break
        time.sleep(0.5)
    types = [e["type"] for e in got]
    assert types == ["certificate.issued", "certificate.issued", "certificate.revoked"], types
    for e in got:
        assert set(e) == {"id", "type", "created_at", "data"} and e["id"].startswith("evt_")
    assert [e["data"]["certificate_id"] for e in got] == [o["certificate_id"] for o in (orders[0], orders[1], orders[0])]
    assert [e["data"]["order_id"] for e in got[:2]] == [orders[0]["id"], orders[1]["id"]]
    assert got[0]["data"]["certificate_id"] == orders[0]["certificate_id"]
    assert got[0]["data"]["customer_ref"] == "ev-0"
    # from the start, one at a time: the same events, no duplicates, no gaps
    one, _ = walk(api, limit=1)
    assert [e["id"] for e in one] == [e["id"] for e in got]
    # the kept cursor stays valid when nothing is new: empty page, the same place
    r = api.get("/v1/events", params={"cursor": cursor}).json()
    assert r["data"] == [] and r["has_more"] is False and r["next_cursor"] == cursor
    # type filter
    rev, _ = walk(api, type="certificate.revoked")
    assert [e["id"] for e in rev] == [got[2]["id"]]
    # another tenant sees none of them
    assert walk(other)[0] == []


@pytest.mark.parametrize("params,field", [
    ({"cursor": "nonsense"}, "cursor"), ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"),
    ({"type": "order.exploded"}, "type"),
])
def test_event_list_refusals(api, params, field):
    r = api.get("/v1/events", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_field" and r.json()["field"] == field
    r = api.get("/v1/events", params={"colour": "blue"})
    assert r.status_code == 400 and r.json()["code"] == "unknown_field"
