"""A CA that rejects half of the nonces: certmill retries badNonce inside each call
(capped by count and time), so every order is still issued."""

import os

from cryptography.hazmat.primitives.asymmetric import ec

from conftest import stack_ctl, unique_name
from test_issuance import check_issued


def test_half_the_nonces_rejected(stack, api):
    os.environ["CM_PEBBLE_NONCEREJECT"] = "50"
    try:
        stack_ctl("restart-pebble")
        with open(os.path.join(stack["CM_STACK_DIR"], "log", "pebble.log")) as f:
            assert "reject 50% of good nonces" in f.read(), "Pebble did not take the 50% setting"
        orders = []
        for _ in range(5):
            names = [unique_name("nonce"), unique_name("nonce")]
            r = api.post("/v1/orders", {"domains": names})
            assert r.status_code == 202, r.text
            orders.append((r.json()["id"], names))
        for oid, names in orders:
            done = api.wait_order(oid, timeout=180)
            check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)
            # no step had to wait for a retry: badNonce never reached the order
            log = [e["message"] for e in api.get(f"/v1/orders/{oid}/log").json()["data"]]
            assert not [line for line in log if "badNonce" in line or "nonce" in line.lower()], log
    finally:
        os.environ.pop("CM_PEBBLE_NONCEREJECT", None)
        stack_ctl("restart-pebble")
