"""A CA as slow as real ones: Pebble restarted with its random 0-15 s validation
delay. The restart also makes Pebble forget every account, so certmill must notice
(accountDoesNotExist) and register the tenant again by itself."""

import os
import time

from cryptography.hazmat.primitives.asymmetric import ec

from conftest import stack_ctl, unique_name
from test_issuance import check_issued
from test_retry_after import Front, polls_honour_retry_after


def _account_url(db, tenant_id):
    cur = db.cursor()
    cur.execute("SELECT url FROM acme_accounts WHERE tenant_id = %s AND ca = 'local'", (tenant_id,))
    row = cur.fetchone()
    return row and row[0]


def test_issuance_with_validation_delay_after_ca_restart(stack, api, db):
    # make sure the demo tenant has an account at the current Pebble
    first = api.post("/v1/orders", {"domains": [unique_name("before")]}).json()
    assert api.wait_order(first["id"])["status"] == "issued"
    old_url = _account_url(db, stack["CERTMILL_TENANT_ID"])
    assert old_url
    os.environ["CM_PEBBLE_NOSLEEP"] = "0"
    try:
        stack_ctl("restart-pebble")
        names = [unique_name("slow"), unique_name("slow")]
        r = api.post("/v1/orders", {"domains": names})
        assert r.status_code == 202, r.text
        # the same slow Pebble through ca-front, which asks for Retry-After: 2 between polls
        front = Front(stack)
        front_names = [unique_name("slowra"), unique_name("slowra")]
        fr = api.post("/v1/orders", {"domains": front_names, "ca": "local-front"})
        assert fr.status_code == 202, fr.text
        seen = set()
        deadline = time.time() + 150
        o = r.json()
        while time.time() < deadline and o["status"] not in ("issued", "failed"):
            time.sleep(0.2)
            o = api.get(f"/v1/orders/{o['id']}").json()
            seen.add(o["status"])
        assert o["status"] == "issued", o
        assert "pending_validation" in seen
        check_issued(stack, api, o, names, ec.EllipticCurvePrivateKey)
        new_url = _account_url(db, stack["CERTMILL_TENANT_ID"])
        assert new_url and new_url != old_url
        fo = api.wait_order(fr.json()["id"], timeout=150)
        check_issued(stack, api, fo, front_names, ec.EllipticCurvePrivateKey)
        # with validation taking 0-15 s, each authorization was polled, never sooner than Retry-After
        # every repeated look (if the random delay made one) came after Retry-After: 2
        looked, _ = polls_honour_retry_after(front.requests())
        assert looked >= 3
    finally:
        os.environ["CM_PEBBLE_NOSLEEP"] = "1"
        stack_ctl("restart-pebble")
