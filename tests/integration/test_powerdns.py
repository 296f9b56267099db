"""The powerdns DNS provider against the real PowerDNS Authoritative of the stack:
certmill publishes and removes TXT records through PowerDNS's HTTP API in the zone
pdns.example.test, PowerDNS NOTIFYs BIND (its secondary, the server Pebble and certmill
ask), and a wildcard certificate is issued through it. Afterwards no record is left,
neither in PowerDNS nor in BIND; a wrong API key or a zone PowerDNS does not serve is a
clear 422 at the test endpoint."""

import subprocess
import time
import uuid

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import STACK
from test_issuance import check_issued

PDNS_ZONE = STACK.get("CERTMILL_PDNS_ZONE", "pdns.example.test")


def label():
    return "p" + uuid.uuid4().hex[:10]


def api_key():
    with open(STACK["CERTMILL_PDNS_API_KEY_FILE"]) as f:
        return f.read().strip()


def pdns_get_zone():
    """The zone as PowerDNS's API shows it (rrsets included)."""
    s = requests.Session()
    s.trust_env = False  # loopback only: no proxy, no CA bundle from the environment
    r = s.get(f"{STACK['CERTMILL_PDNS_API_URL']}/api/v1/servers/localhost/zones/{PDNS_ZONE}.",
              headers={"X-API-Key": api_key()}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def pdns_api_txt(name):
    """TXT values PowerDNS's database holds at name (through its API)."""
    owner = name.rstrip(".") + "."
    return [rec["content"].strip('"') for rr in pdns_get_zone()["rrsets"]
            if rr["name"] == owner and rr["type"] == "TXT" for rec in rr["records"]]


def dig(port, name, rtype):
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+short", "+norecurse", name, rtype],
                         capture_output=True, text=True, check=True, timeout=20).stdout
    return [v.strip('"') for v in out.split()]


def pdns_txt(name):
    """TXT values PowerDNS itself serves at name (its DNS port)."""
    return dig(STACK["CERTMILL_PDNS_PORT"], name, "TXT")


def bind_txt(name):
    """TXT values BIND (PowerDNS's secondary, the server Pebble asks) serves at name."""
    return dig(STACK["CERTMILL_DNS_PORT"], name, "TXT")


def bind_serial():
    return int(dig(STACK["CERTMILL_DNS_PORT"], PDNS_ZONE, "SOA")[2])


def wait_until(what, check, timeout=20):
    """Polls check() until it is true; BIND follows PowerDNS after its NOTIFY (about a second)."""
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            raise AssertionError(f"{what}: not after {timeout}s")
        time.sleep(0.2)


def create(api, key):
    r = api.post("/v1/dns-providers", {
        "name": "pdns-" + uuid.uuid4().hex[:8], "type": "powerdns",
        "config": {"api_url": STACK["CERTMILL_PDNS_API_URL"], "server_id": "localhost"},
        "secret": {"api_key": key}})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["config"] == {"api_url": STACK["CERTMILL_PDNS_API_URL"], "server_id": "localhost"}
    assert body["has_secret"] is True and "secret" not in body
    return body


@pytest.fixture
def powerdns(stack, api):
    """A powerdns provider of the demo tenant with the stack's PowerDNS API key."""
    if "CERTMILL_PDNS_API_URL" not in stack:
        pytest.fail("the stack has no PowerDNS (CERTMILL_PDNS_API_URL missing from stack.env): restart it")
    return create(api, api_key())


def assert_problem(r, status, code):
    assert r.status_code == status, f"{r.status_code} {r.text}"
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/problem+json"
    p = r.json()
    assert p["code"] == code and p["status"] == status, p
    return p


def test_provider_test_publishes_and_removes(stack, api, powerdns):
    serial = bind_serial()
    r = api.post(f"/v1/dns-providers/{powerdns['id']}/test", {"name": PDNS_ZONE})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True
    rec = body["record"]
    assert rec["name"] == "_certmill-test." + PDNS_ZONE and rec["type"] == "TXT"
    # removed again at PowerDNS, in its database and in what it serves
    assert rec["value"] not in pdns_api_txt(rec["name"])
    assert rec["value"] not in pdns_txt(rec["name"])
    # both changes bumped the serial (SOA-EDIT-API), and BIND followed the NOTIFY
    wait_until("BIND transferred the changed zone", lambda: bind_serial() >= serial + 2)
    assert rec["value"] not in bind_txt(rec["name"])


def test_provider_test_wrong_api_key(stack, api):
    wrong = "wrong-" + uuid.uuid4().hex
    bad = create(api, wrong)
    p = assert_problem(api.post(f"/v1/dns-providers/{bad['id']}/test", {"name": PDNS_ZONE}), 422,
                       "provider_test_failed")
    assert "refused the API key" in p["detail"] and "401" in p["detail"], p
    assert wrong not in p["detail"]
    assert pdns_api_txt("_certmill-test." + PDNS_ZONE) == []


def test_provider_test_zone_not_served(stack, api, powerdns):
    # example.test is BIND's own zone: PowerDNS has no zone for it
    p = assert_problem(api.post(f"/v1/dns-providers/{powerdns['id']}/test", {"name": "example.test"}), 422,
                       "provider_test_failed")
    assert "no PowerDNS zone holds _certmill-test.example.test" in p["detail"], p
    # a server_id PowerDNS does not have: every zone is unknown there, and the detail says which id was asked
    r = api.post("/v1/dns-providers", {
        "name": "pdns-" + uuid.uuid4().hex[:8], "type": "powerdns",
        "config": {"api_url": STACK["CERTMILL_PDNS_API_URL"], "server_id": "nosuch"},
        "secret": {"api_key": api_key()}})
    assert r.status_code == 201, r.text
    p = assert_problem(api.post(f"/v1/dns-providers/{r.json()['id']}/test", {"name": PDNS_ZONE}), 422,
                       "provider_test_failed")
    assert 'no PowerDNS zone holds _certmill-test.pdns.example.test (server_id "nosuch")' in p["detail"], p


def test_wildcard_through_powerdns(stack, api, powerdns, db):
    base = f"{label()}.{PDNS_ZONE}"
    names = [base, "*." + base]
    rname = "_acme-challenge." + base
    serial = bind_serial()
    r = api.post("/v1/orders", {"domains": names, "challenge": "dns-01", "dns_provider": powerdns["id"]})
    assert r.status_code == 202, r.text
    done = api.wait_order(r.json()["id"], timeout=120)
    check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)
    assert {a["challenge"] for a in done["authorizations"]} == {"dns-01"}
    assert any(a["wildcard"] for a in done["authorizations"])
    cur = db.cursor()
    cur.execute("SELECT record_target, record_zone, published_at IS NOT NULL, propagated_at IS NOT NULL,"
                " cleaned_at IS NOT NULL FROM authorizations WHERE order_id = %s", (done["id"],))
    rows = cur.fetchall()
    assert rows == [(rname, PDNS_ZONE, True, True, True)] * 2, rows
    # both values went out at the one name and came back out: gone from PowerDNS ...
    assert pdns_api_txt(rname) == []
    assert pdns_txt(rname) == []
    # ... and from BIND once it has the last change (publish 2 + remove 2 bumped the serial 4 times)
    wait_until("BIND has the zone without the records", lambda: bind_serial() >= serial + 4)
    assert bind_txt(rname) == []
