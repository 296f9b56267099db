"""Leases with heartbeats (issue 6, point 1): a step that takes longer than its lease
(here an operator's DNS hook that needs 15 s, with the test stack's 10 s lease) keeps
its lease while it runs, so no other worker takes the step over and runs it a second
time; the order uses one ACME order and the hook publishes once."""

import os

from cryptography.hazmat.primitives.asymmetric import ec

import acme_peek
from conftest import STACK, unique_name
from test_issuance import check_issued


def test_a_step_longer_than_its_lease_keeps_it(stack, new_tenant, db):
    tenant, api = new_tenant()
    hook = os.path.join(STACK["CM_STACK_DIR"], "hooks", "slow-hook")
    r = api.post("/v1/dns-providers", {"name": "slow", "type": "exec", "config": {"program": hook, "timeout_s": 40}})
    assert r.status_code == 201, r.text
    name = unique_name("slow")
    r = api.post("/v1/orders", {"domains": [name], "challenge": "dns-01", "dns_provider": r.json()["id"]})
    assert r.status_code == 202, r.text
    done = api.wait_order(r.json()["id"], timeout=150)
    check_issued(stack, api, done, [name], ec.EllipticCurvePrivateKey)
    lines = [e["message"] for e in api.get(f"/v1/orders/{done['id']}/log").json()["data"]]
    # the hook ran once to publish and once to clean up: no second worker repeated the step
    assert sum(1 for line in lines if line.startswith("exec present:")) == 1, lines
    assert sum(1 for line in lines if line.startswith("exec cleanup:")) == 1, lines
    # and the CA saw one order for it
    assert len(acme_peek.account_orders(db, stack, tenant["id"])) == 1
