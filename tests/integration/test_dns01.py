"""DNS-01 end to end on the real stack: records published by certmill through RFC 2136
into BIND (wildcards included), or by the panel itself (manual), checked at every
authoritative server before the CA is asked, and removed afterwards."""

import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import STACK
from dnsutil import dig_txt, nsupdate, tsig_key
from test_issuance import check_issued


def label():
    return "d" + uuid.uuid4().hex[:10]


@pytest.fixture
def rfc2136(api):
    """An rfc2136 provider of the demo tenant pointing at the stack's BIND."""
    name, alg, secret = tsig_key()
    r = api.post("/v1/dns-providers", {
        "name": "bind-" + uuid.uuid4().hex[:8], "type": "rfc2136",
        "config": {"server": "127.0.0.1:" + STACK["CERTMILL_DNS_PORT"], "key_name": name, "algorithm": alg},
        "secret": {"key_secret": secret}})
    assert r.status_code == 201, r.text
    return r.json()


def test_wildcard_through_rfc2136(stack, api, rfc2136):
    base = f"{label()}.example.test"
    names = [base, "*." + base]
    r = api.post("/v1/orders", {"domains": names, "challenge": "dns-01", "dns_provider": rfc2136["id"]})
    assert r.status_code == 202, r.text
    done = api.wait_order(r.json()["id"], timeout=120)
    check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)
    assert {a["challenge"] for a in done["authorizations"]} == {"dns-01"}
    assert any(a["wildcard"] for a in done["authorizations"])
    # both values were published at the one name, and both are gone now
    assert dig_txt("_acme-challenge." + base) == []


def test_cname_delegation_is_followed(stack, api, rfc2136, db):
    base = f"{label()}.example.test"
    target = f"{label()}-acme.example.test"
    nsupdate(f"update add _acme-challenge.{base} 60 CNAME {target}.")
    try:
        r = api.post("/v1/orders", {"domains": [base], "challenge": "dns-01", "dns_provider": rfc2136["id"]})
        done = api.wait_order(r.json()["id"], timeout=120)
        check_issued(stack, api, done, [base], ec.EllipticCurvePrivateKey)
        cur = db.cursor()
        cur.execute("SELECT record_target, record_zone, cleaned_at IS NOT NULL FROM authorizations"
                    " WHERE order_id = %s", (done["id"],))
        assert cur.fetchone() == (target, "example.test", True)
        assert dig_txt(target) == []
    finally:
        nsupdate(f"update delete _acme-challenge.{base} CNAME")


def test_manual_dns_driven_by_the_panel(stack, api):
    base = f"{label()}.example.test"
    r = api.post("/v1/orders", {"domains": [base, "*." + base], "challenge": "dns-01"})
    assert r.status_code == 202, r.text
    oid = r.json()["id"]
    order = api.wait_order(oid, until=("action_required", "failed", "issued"), timeout=60)
    assert order["status"] == "action_required", order
    records = [a["record"] for a in order["authorizations"]]
    assert all(rec and rec["type"] == "TXT" and rec["name"] == "_acme-challenge." + base for rec in records)
    assert len({rec["value"] for rec in records}) == 2
    # the panel publishes the records, then says so
    nsupdate(*[f'update add {rec["name"]} 60 TXT "{rec["value"]}"' for rec in records])
    try:
        c = api.post(f"/v1/orders/{oid}/continue", {})
        assert c.status_code == 202, c.text
        done = api.wait_order(oid, timeout=120)
        check_issued(stack, api, done, [base, "*." + base], ec.EllipticCurvePrivateKey)
    finally:
        nsupdate(f"update delete _acme-challenge.{base} TXT")


def test_manual_dns_noticed_without_continue(stack, api):
    """The panel publishes the record but never calls continue: certmill notices by itself."""
    base = f"{label()}.example.test"
    r = api.post("/v1/orders", {"domains": [base], "challenge": "dns-01"})
    oid = r.json()["id"]
    order = api.wait_order(oid, until=("action_required", "failed", "issued"), timeout=60)
    assert order["status"] == "action_required", order
    assert order["problem"]["code"] == "dns_record_required"
    rec = order["authorizations"][0]["record"]
    nsupdate(f'update add {rec["name"]} 60 TXT "{rec["value"]}"')
    try:
        done = api.wait_order(oid, timeout=120)
        check_issued(stack, api, done, [base], ec.EllipticCurvePrivateKey)
    finally:
        nsupdate(f"update delete {rec['name']} TXT")
