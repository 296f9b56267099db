"""GET /metrics on the real stack, parsed with the Prometheus client's own text-format parser
(python3-prometheus-client), before and after one certificate is issued through the API.

The order goes to [ca.local-metrics], a CA name of the test stack that only this test uses
(the same Pebble as [ca.local]), so its per-CA counters move by exactly what this order
does. The workers add their counts to the database when they go idle (at most 10 s apart
otherwise), so the ACME and step counters are polled for; the API's own counts are added
by the scraping front before it answers, so they show at once."""

import json
import math
import time
import uuid
from datetime import datetime

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import Api, certmill_cli, unique_name
from webhook_receiver import Receiver

CA = "local-metrics"


def scrape(stack):
    """Scrapes /metrics (no API key) and parses it: {family name: Metric}."""
    r = requests.get(stack["CERTMILL_URL"] + "/metrics", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
    return {f.name: f for f in text_string_to_metric_families(r.text)}


def value(fams, family, sample, **labels):
    """The value of the sample with exactly these labels (0 when absent: a counter not yet counted)."""
    f = fams.get(family)
    assert f is not None, f"no family {family} in {sorted(fams)}"
    for s in f.samples:
        if s.name == sample and s.labels == labels:
            return s.value
    return 0.0


def acme(fams, endpoint, result="2xx"):
    return value(fams, "certmill_acme_requests", "certmill_acme_requests_total", ca=CA, endpoint=endpoint,
                 result=result)


def api_count(fams, method, route, status):
    return value(fams, "certmill_api_requests", "certmill_api_requests_total", method=method, route=route,
                 status=status)


def poll(stack, pred, timeout=60, what="metrics"):
    """Scrapes until pred(families) holds; returns the last scrape."""
    deadline = time.time() + timeout
    while True:
        fams = scrape(stack)
        if pred(fams):
            return fams
        if time.time() > deadline:
            raise AssertionError(f"{what} not as expected after {timeout}s")
        time.sleep(0.5)


def check_histograms(fams):
    """Every histogram series: buckets ascending in le never decrease, +Inf equals _count, _sum >= 0."""
    seen = 0
    for f in fams.values():
        if f.type != "histogram":
            continue
        series = {}
        for s in f.samples:
            base = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(base, {"buckets": [], "count": None, "sum": None})
            if s.name.endswith("_bucket"):
                series[base]["buckets"].append((float(s.labels["le"]), s.value))
            elif s.name.endswith("_count"):
                series[base]["count"] = s.value
            elif s.name.endswith("_sum"):
                series[base]["sum"] = s.value
        for base, h in series.items():
            buckets = sorted(h["buckets"])
            assert buckets and math.isinf(buckets[-1][0]), (f.name, base)
            values = [v for _, v in buckets]
            assert values == sorted(values), (f.name, base, buckets)
            assert h["count"] == buckets[-1][1], (f.name, base, h)
            assert h["sum"] is not None and h["sum"] >= 0, (f.name, base, h)
            seen += 1
    return seen


def rfc3339(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def receiver(stack):
    r = Receiver(int(stack["CERTMILL_WEBHOOK_PORT"]))
    yield r
    r.close()


def test_metrics_after_an_issued_certificate(stack, db, receiver):
    t = json.loads(certmill_cli("tenant", "create", "t-metrics-" + uuid.uuid4().hex[:8]))
    api = Api(stack["CERTMILL_URL"], t["api_key"])
    path = f"/metrics-hook/{uuid.uuid4().hex}"
    r = api.post("/v1/webhooks", {"url": receiver.url(path), "events": ["certificate.issued"]})
    assert r.status_code == 201, r.text
    hook = r.json()

    before = scrape(stack)
    for name in ("certmill_orders", "certmill_certificates", "certmill_queue_due", "certmill_acme_requests",
                 "certmill_step_duration_seconds", "certmill_webhook_deliveries", "certmill_api_requests",
                 "certmill_api_request_duration_seconds", "certmill_certificate_soonest_expiry_timestamp_seconds",
                 "certmill_queue_oldest_due_age_seconds"):
        assert name in before, (name, sorted(before))
    issued_before = value(before, "certmill_orders", "certmill_orders", status="issued", ca=CA)
    posts_before = api_count(before, "POST", "/v1/orders", "202")
    hooks_before = value(before, "certmill_webhook_deliveries", "certmill_webhook_deliveries_total", result="2xx")

    r = api.post("/v1/orders", {"domains": [unique_name("metrics")], "ca": CA, "auto_renew": False})
    assert r.status_code == 202, r.text
    order = api.wait_order(r.json()["id"])
    assert order["status"] == "issued", order
    cert = api.get(f"/v1/certificates/{order['certificate_id']}").json()

    # The API's counter: the scraping front adds its own counts first, so the POST shows at once.
    after = scrape(stack)
    assert api_count(after, "POST", "/v1/orders", "202") == posts_before + 1
    # Labelled by the route's pattern, never the order's id.
    assert api_count(after, "GET", "/v1/orders/{id}", "200") >= 1
    assert not any(order["id"] in str(s.labels) for f in after.values() for s in f.samples)

    # The order counted under issued for its CA, the certificate under active.
    assert value(after, "certmill_orders", "certmill_orders", status="issued", ca=CA) == issued_before + 1
    assert value(after, "certmill_certificates", "certmill_certificates", status="active", ca=CA) >= 1

    # The soonest expiry: the earliest not_after of the certificates in service, the new one's at most.
    soonest = value(after, "certmill_certificate_soonest_expiry_timestamp_seconds",
                    "certmill_certificate_soonest_expiry_timestamp_seconds")
    assert soonest <= rfc3339(cert["not_after"])
    assert soonest > time.time()
    with db.cursor() as c:
        c.execute("SELECT min(not_after) FROM certificates WHERE status IN ('active', 'expiring')")
        assert soonest == math.floor(c.fetchone()[0].timestamp())

    # The worker's counts for this CA: exactly one newOrder and one finalize answered 2xx; and
    # the delivery of certificate.issued the receiver acknowledged.
    receiver.wait(path, 1)
    after = poll(stack, lambda f: acme(f, "newOrder") > acme(before, "newOrder")
                 and acme(f, "finalize") > acme(before, "finalize")
                 and value(f, "certmill_webhook_deliveries", "certmill_webhook_deliveries_total",
                           result="2xx") >= hooks_before + 1,
                 what="ACME and webhook counters")
    assert acme(after, "newOrder") == acme(before, "newOrder") + 1
    assert acme(after, "finalize") == acme(before, "finalize") + 1
    assert acme(after, "newAccount") == acme(before, "newAccount") + 1  # a new tenant: a new account
    assert acme(after, "directory") >= 1 and acme(after, "authz") >= 1 and acme(after, "certificate") >= 1
    dur = after["certmill_acme_request_duration_seconds"]
    assert any(s.name.endswith("_count") and s.labels == {"ca": CA, "endpoint": "newOrder"} and s.value >= 1
               for s in dur.samples)
    # Steps: the order's finalize step ran and was timed.
    steps = after["certmill_step_duration_seconds"]
    assert any(s.name.endswith("_count") and s.labels == {"step": "finalize"} and s.value >= 1 for s in steps.samples)
    assert check_histograms(after) >= 3

    # Idle: nothing due waits for a worker (polled: other tests' retries may be due for a moment).
    idle = poll(stack, lambda f: all(value(f, "certmill_queue_due", "certmill_queue_due", kind=k) == 0
                                     for k in ("order", "revoke", "webhook")), what="an idle queue")
    assert value(idle, "certmill_queue_oldest_due_age_seconds", "certmill_queue_oldest_due_age_seconds",
                 kind="order") == 0
    api.s.delete(api.base + f"/v1/webhooks/{hook['id']}", headers=api._h(None), timeout=30)


def test_metrics_counters_are_monotonic_and_need_no_key(stack):
    first = scrape(stack)
    r = requests.get(stack["CERTMILL_URL"] + "/healthz", timeout=30)
    assert r.status_code == 200
    second = scrape(stack)
    # Every counter sample of the first scrape is still there, never smaller.
    for name, f in first.items():
        if f.type not in ("counter", "histogram"):
            continue
        for s in f.samples:
            later = [x.value for x in second[name].samples if x.name == s.name and x.labels == s.labels]
            assert later and later[0] >= s.value, (s, later)
    assert api_count(second, "GET", "/healthz", "200") >= api_count(first, "GET", "/healthz", "200") + 1
    # An unknown path is counted under "unmatched", never under its own path.
    assert requests.get(stack["CERTMILL_URL"] + "/v1/no-such-thing-" + uuid.uuid4().hex, timeout=30).status_code == 404
    third = scrape(stack)
    assert api_count(third, "GET", "unmatched", "404") >= 1
    assert not any("no-such-thing" in str(s.labels) for f in third.values() for s in f.samples)
    assert check_histograms(third) >= 1
