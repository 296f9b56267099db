"""Retry-After (issue 4, point 9) from a real CA address: the CA "local-front" of the
test stack is nginx before Pebble (scripts/ca-front.conf.in). Tests switch its faults
with files: `ratelimit` answers newOrder with 429 rateLimited + Retry-After: 3,
`unavailable` answers everything with 503 + Retry-After: 2. It always answers
authorizations and orders with Retry-After: 2. Its access log has the time of every
request, so the tests check what certmill sent and when."""

import os
import time

from cryptography.hazmat.primitives.asymmetric import ec

from conftest import unique_name
from test_issuance import check_issued


class Front:
    """The fault switches and the access log of ca-front."""

    def __init__(self, stack):
        self.dir = stack["CERTMILL_CA_FRONT_DIR"]
        self.log = os.path.join(self.dir, "access.log")
        self.start = os.path.getsize(self.log)

    def fault(self, name, on):
        path = os.path.join(self.dir, "faults", name)
        if on:
            open(path, "w").close()
        elif os.path.exists(path):
            os.unlink(path)

    def requests(self):
        """(time, method, uri, status) of every request since this object was made."""
        with open(self.log) as f:
            f.seek(self.start)
            out = []
            for line in f:
                t, method, uri, status = line.split()
                out.append((float(t), method, uri, int(status)))
            return out


def _wait_problem(api, oid, codes, timeout=60):
    deadline = time.time() + timeout
    codes = (codes,) if isinstance(codes, str) else codes
    while time.time() < deadline:
        o = api.get(f"/v1/orders/{oid}").json()
        if o["problem"] and o["problem"]["code"] in codes:
            return o
        assert o["status"] not in ("issued", "failed"), o
        time.sleep(0.1)
    raise AssertionError(f"order {oid} never showed {codes}")


def test_rate_limited_order_waits_for_retry_after(stack, new_tenant):
    _, api = new_tenant()
    front = Front(stack)
    front.fault("ratelimit", True)
    try:
        names = [unique_name("ra429")]
        r = api.post("/v1/orders", {"domains": names, "ca": "local-front"})
        assert r.status_code == 202, r.text
        oid = r.json()["id"]
        waiting = _wait_problem(api, oid, "rate_limited")
        assert waiting["problem"]["retryable"] is True
        assert waiting["problem"]["next_attempt_at"]
        assert waiting["status"] == "queued"
        time.sleep(4)  # a retry due no sooner than Retry-After: 3 meets the fault a second time
    finally:
        front.fault("ratelimit", False)
    done = api.wait_order(oid, timeout=90)
    check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)
    new_orders = [(t, s) for t, m, uri, s in front.requests() if uri == "/order-plz"]
    refused = [t for t, s in new_orders if s == 429]
    assert refused and new_orders[-1][1] == 201, new_orders
    # every newOrder after a refusal came at least Retry-After (3 s) later, and not much more
    for (t0, s0), (t1, _) in zip(new_orders, new_orders[1:]):
        if s0 == 429:
            assert t1 - t0 >= 3.0, new_orders
            assert t1 - t0 < 3.0 * 1.1 + 2, new_orders


def test_unavailable_ca_is_retried_after_retry_after(stack, new_tenant):
    _, api = new_tenant()
    front = Front(stack)
    front.fault("unavailable", True)
    try:
        names = [unique_name("ra503")]
        r = api.post("/v1/orders", {"domains": names, "ca": "local-front"})
        assert r.status_code == 202, r.text
        oid = r.json()["id"]
        # a HEAD for a nonce meets the 503 without a body (ca_unreachable), a POST with its problem (ca_error)
        o = _wait_problem(api, oid, ("ca_error", "ca_unreachable"))
        assert o["problem"]["retryable"] is True and o["problem"]["next_attempt_at"]
        time.sleep(6)
    finally:
        front.fault("unavailable", False)
    done = api.wait_order(oid, timeout=90)
    check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)
    seen = front.requests()
    refused = [t for t, m, uri, s in seen if s == 503]
    assert len(refused) >= 2, seen
    # every try waited for Retry-After: 2 (so no more than one per 2 s of outage): no storm
    for a, b in zip(refused, refused[1:]):
        assert b - a >= 2.0, refused
    assert len(refused) <= (refused[-1] - refused[0]) / 2.0 + 1, refused


def polls_honour_retry_after(front_requests, gap=2.0):
    """Asserts that looks (answered POST-as-GETs) at one authorization or order, with no
    action of ours in between (a challenge answered, a finalize), are >= gap apart;
    returns (objects looked at, repeated looks). A request the CA refused at once
    (400 badNonce, resent with a fresh nonce) is not a look."""
    last, seen = {}, set()
    repeats = 0
    for t, method, uri, status in front_requests:
        if method == "POST" and (uri.startswith("/chalZ/") or uri.startswith("/finalize-order/")):
            last.clear()  # the object changed because we acted: looking at it again at once is right
            continue
        if method != "POST" or status != 200 or not (uri.startswith("/authZ/") or uri.startswith("/my-order/")):
            continue
        if uri in last:
            assert t - last[uri] >= gap - 0.05, (uri, t - last[uri])
            repeats += 1
        last[uri] = t
        seen.add(uri)
    return len(seen), repeats


def test_polling_honours_retry_after(stack, new_tenant):
    _, api = new_tenant()
    front = Front(stack)
    names = [unique_name("poll"), unique_name("poll")]
    r = api.post("/v1/orders", {"domains": names, "ca": "local-front"})
    done = api.wait_order(r.json()["id"], timeout=90)
    check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)
    looked, _ = polls_honour_retry_after(front.requests())
    assert looked >= 3  # two authorizations and the order
