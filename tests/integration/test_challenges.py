"""The other ways a name is validated: TLS-ALPN-01 answered by certmill-alpn, DNS-01
through an operator's exec hook, and a record that never reaches the servers."""

import os
import uuid

from cryptography.hazmat.primitives.asymmetric import ec

from conftest import STACK
from dnsutil import dig_txt
from test_issuance import check_issued


def name(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}.example.test"


def test_tls_alpn_01(stack, api):
    names = [name("alpn"), name("alpn")]
    r = api.post("/v1/orders", {"domains": names, "challenge": "tls-alpn-01"})
    assert r.status_code == 202, r.text
    done = api.wait_order(r.json()["id"], timeout=120)
    check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)
    assert {a["challenge"] for a in done["authorizations"]} == {"tls-alpn-01"}


def _exec_provider(api, program):
    r = api.post("/v1/dns-providers", {"name": "hook-" + uuid.uuid4().hex[:8], "type": "exec",
                                       "config": {"program": program, "timeout_s": 20}})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_exec_hook_publishes_and_removes(stack, api):
    hook = os.path.join(STACK["CM_STACK_DIR"], "hooks", "dns-hook")
    base = name("exec")
    r = api.post("/v1/orders", {"domains": [base, "*." + base], "challenge": "dns-01",
                                "dns_provider": _exec_provider(api, hook)})
    assert r.status_code == 202, r.text
    done = api.wait_order(r.json()["id"], timeout=120)
    check_issued(stack, api, done, [base, "*." + base], ec.EllipticCurvePrivateKey)
    assert dig_txt("_acme-challenge." + base) == []
    # the hook's output is in the order's log, with the publication and the removal
    log = api.get(f"/v1/orders/{done['id']}/log")
    assert log.status_code == 200, log.text
    lines = [e["message"] for e in log.json()["data"]]
    assert f"exec present: added _acme-challenge.{base}." in lines
    assert f"exec cleanup: removed _acme-challenge.{base}." in lines
    assert f"removed TXT _acme-challenge.{base}" in lines


def test_record_that_never_propagates_fails_clearly(stack, api, db):
    # /bin/true "publishes" nothing: certmill must not ask the CA, and must say which server lacks it
    base = name("lost")
    r = api.post("/v1/orders", {"domains": [base], "challenge": "dns-01",
                                "dns_provider": _exec_provider(api, "/bin/true")})
    done = api.wait_order(r.json()["id"], timeout=180)
    assert done["status"] == "failed"
    p = done["problem"]
    assert p["code"] == "dns_propagation_timeout" and p["retryable"] is False
    assert f"_acme-challenge.{base}" in p["detail"]
    assert "127.0.0.1:" + STACK["CERTMILL_DNS_PORT"] in p["detail"]
    cur = db.cursor()
    cur.execute("SELECT responded_at FROM authorizations WHERE order_id = %s", (done["id"],))
    assert cur.fetchone()[0] is None, "the CA was asked to validate a record that was not there"
