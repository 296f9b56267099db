"""Logs (issue 8, point 6): one line per event carrying the order, tenant and request id.
An order is followed through the stack's logs: certmill-fcgi's line for the POST carries
the request id nginx made ($request_id, answered in X-Request-Id and written to nginx's
own log) with the new order's id and its tenant's; the workers' lines for the order carry
the order and tenant ids. `make test` runs the stack with [log] format = json
(scripts/test.sh); text lines (key=value at the end) are read too."""

import json
import os
import re
import subprocess
import time

from conftest import STACK, unique_name

TEXT_RE = re.compile(r"^(\S+) (\S+)\[(\d+)\] (error|warn|info|debug): (.*)$")
ID_RE = re.compile(r" (order_id|tenant_id|request_id)=(\S+)")


def _parse(line):
    """One log line as a dict (time, level, program, pid, msg, ids), or None for other output (sanitizers)."""
    line = line.rstrip("\n")
    if line.startswith("{"):
        rec = json.loads(line)  # a JSON line that does not parse fails the test
        for k in ("time", "level", "program", "pid", "msg"):
            assert k in rec, (k, line)
        return rec
    m = TEXT_RE.match(line)
    if not m:
        return None
    rec = {"time": m[1], "program": m[2], "pid": int(m[3]), "level": m[4]}
    msg = m[5]
    ids = {}
    while True:  # the ids come last, in this order
        t = re.search(r" (order_id|tenant_id|request_id)=(\S+)$", msg)
        if not t:
            break
        ids[t[1]] = t[2]
        msg = msg[:t.start()]
    rec.update(ids, msg=msg)
    return rec


def _records(name):
    path = os.path.join(STACK["CERTMILL_LOG_DIR"], name)
    with open(path, errors="replace") as f:
        return [r for r in map(_parse, f) if r]


def _worker_logs():
    return [n for n in os.listdir(STACK["CERTMILL_LOG_DIR"]) if re.fullmatch(r"worker-\d+\.log", n)]


def test_order_followed_through_the_logs(new_tenant):
    tenant, api = new_tenant()
    r = api.post("/v1/orders", {"domains": [unique_name("logs")]})
    assert r.status_code == 202, r.text
    order = r.json()
    rid = r.headers.get("X-Request-Id")
    assert rid and re.fullmatch(r"[0-9a-f]{32}", rid), rid  # nginx's $request_id
    assert api.wait_order(order["id"])["status"] == "issued"

    # nginx logged the same id for the POST it passed on
    with open(os.path.join(STACK["CERTMILL_STACK_DIR"], "nginx", "api.log")) as f:
        assert any('"POST /v1/orders ' in line and f"request_id={rid}" in line for line in f)

    # certmill-fcgi: the line of the order's creation carries the request, the order and the tenant
    fcgi = [x for x in _records("fcgi.log") if x.get("request_id") == rid]
    assert fcgi, "no certmill-fcgi line with the request id of the POST"
    created = [x for x in fcgi if x.get("order_id") == order["id"]]
    assert created and all(x["tenant_id"] == tenant["id"] for x in created), fcgi
    assert all(x["program"] == "certmill-fcgi" for x in fcgi)

    # the workers: every line about the order names its tenant too, and the issuance is among them
    deadline = time.time() + 10
    while True:
        work = [x for n in _worker_logs() for x in _records(n) if x.get("order_id") == order["id"]]
        if any("issued certificate" in x["msg"] for x in work) or time.time() > deadline:
            break
        time.sleep(0.2)
    assert any("issued certificate" in x["msg"] for x in work), work
    assert all(x.get("tenant_id") == tenant["id"] for x in work), work
    assert all(x["program"] == "certmill-worker" and "request_id" not in x for x in work), work

    # the tenant's API key is in no log
    for name in ["fcgi.log"] + _worker_logs():
        with open(os.path.join(STACK["CERTMILL_LOG_DIR"], name), errors="replace") as f:
            assert tenant["api_key"] not in f.read(), name


def test_json_lines_when_configured():
    """Under `make test` (format = json) every record of the services is one JSON object."""
    conf = open(STACK["CERTMILL_CONFIG"]).read()
    if not re.search(r"^format\s*=\s*json\s*$", conf, re.M):
        return  # a stack with another format: the unit test covers JSON (tests/unit/test_log.c)
    n = 0
    for name in ["fcgi.log"] + _worker_logs():
        with open(os.path.join(STACK["CERTMILL_LOG_DIR"], name), errors="replace") as f:
            for line in f:
                if line.startswith("{"):
                    _parse(line)
                    n += 1
                else:
                    # only what certmill does not write itself: sanitizer reports and the like
                    assert not TEXT_RE.match(line.rstrip("\n")), line
    assert n > 0


def _fcgi(params):
    """Sends one request straight to certmill-fcgi (no nginx) with the given CGI parameters."""
    env = dict(os.environ, REQUEST_METHOD="GET", PATH_INFO="/healthz", REQUEST_URI="/healthz", QUERY_STRING="")
    env.pop("REQUEST_ID", None)
    env.pop("UNIQUE_ID", None)
    env.update(params)
    r = subprocess.run(["cgi-fcgi", "-bind", "-connect", f"127.0.0.1:{STACK['CERTMILL_FCGI_PORT']}"], env=env,
                       capture_output=True, timeout=30)
    head = r.stdout.decode(errors="replace").split("\r\n\r\n", 1)[0]
    m = re.search(r"^X-Request-Id: (.*?)\r?$", head, re.M | re.I)
    assert m, head
    return m[1]


def test_request_id_from_the_front_or_made():
    # nginx's REQUEST_ID and Apache mod_unique_id's UNIQUE_ID are taken as they are
    assert _fcgi({"REQUEST_ID": "0123456789abcdef0123456789abcdef"}) == "0123456789abcdef0123456789abcdef"
    assert _fcgi({"UNIQUE_ID": "ZbX@fH8AAQEAAC1kHfYAAAAB"}) == "ZbX@fH8AAQEAAC1kHfYAAAAB"
    # none, or one that could forge a log field: certmill makes its own, a new one each time
    made = {_fcgi({}), _fcgi({}), _fcgi({"REQUEST_ID": "x request_id=forged"}), _fcgi({"REQUEST_ID": "a" * 65})}
    assert len(made) == 4 and all(re.fullmatch(r"[0-9a-f]{32}", m) for m in made), made
