"""/v1/dns-providers and POST /v1/orders/{id}/continue on the real stack: providers of
each type are created, listed, read and deleted; their secrets never come back and are
not in the database in clear; bad settings name the member at fault; names are unique
per tenant; another tenant sees nothing; a provider an order in progress uses cannot be
deleted; dns-01 orders accept only the tenant's own providers; and the test endpoint
publishes and removes a record in the stack's BIND through RFC 2136 with TSIG."""

import os
import re
import subprocess
import time
import uuid

import pytest

from conftest import unique_name

PROBLEM_TYPE = "application/problem+json"
TSIG_SECRET_RE = re.compile(r'secret\s+"([^"]+)"')



def assert_problem(r, status, code, field=None):
    """Checks an RFC 9457 answer: status, media type, code and (when given) field."""
    assert r.status_code == status, f"{r.status_code} {r.text}"
    assert r.headers["Content-Type"].split(";")[0].strip() == PROBLEM_TYPE, r.headers
    p = r.json()
    assert p["code"] == code, p
    assert p["status"] == status, p
    assert p["type"] == "urn:certmill:problem:" + code, p
    assert p["detail"], p
    if field is not None:
        assert p.get("field") == field, p
    return p


def tsig_key(stack):
    """(name, algorithm, secret) of the stack's TSIG key (BIND key statement in CERTMILL_TSIG_KEYFILE)."""
    with open(stack["CERTMILL_TSIG_KEYFILE"]) as f:
        text = f.read()
    name = re.search(r'key\s+"([^"]+)"', text).group(1)
    alg = re.search(r"algorithm\s+([\w-]+)\s*;", text).group(1)
    secret = TSIG_SECRET_RE.search(text).group(1)
    assert name == stack["CERTMILL_TSIG_KEYNAME"], (name, stack["CERTMILL_TSIG_KEYNAME"])
    return name, alg, secret


def exec_programs(stack):
    """The [dns] exec_programs of the stack's certmill.conf (empty when the operator allows none)."""
    section = None
    with open(stack["CERTMILL_CONFIG"]) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line.strip("[]").strip()
            elif section == "dns" and line.split("=", 1)[0].strip() == "exec_programs":
                return line.split("=", 1)[1].split()
    return []


def uname(prefix="p"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create(api, body):
    return api.post("/v1/dns-providers", body)


def rfc2136_body(stack, secret=None, name=None):
    key_name, alg, key_secret = tsig_key(stack)
    return {"name": name or uname("bind"), "type": "rfc2136",
            "config": {"server": "127.0.0.1:" + stack["CERTMILL_DNS_PORT"], "key_name": key_name, "algorithm": alg,
                       "zone": "example.test"},
            "secret": {"key_secret": secret or key_secret}}


REPR_MEMBERS = ["id", "name", "type", "config", "has_secret", "created_at", "updated_at"]
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def check_repr(p):
    """The representation: exactly its members, in order, and never a secret."""
    assert list(p) == REPR_MEMBERS, p
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", p["id"]), p
    assert TS_RE.match(p["created_at"]) and TS_RE.match(p["updated_at"]), p
    assert isinstance(p["config"], dict) and isinstance(p["has_secret"], bool), p
    assert "secret" not in p and "secret_sealed" not in p


@pytest.fixture
def tenant(new_tenant):
    return new_tenant()


def test_create_each_type(stack, tenant, db):
    t, api = tenant
    pdns_key = "pdns-key-" + uuid.uuid4().hex
    bodies = {
        "rfc2136": rfc2136_body(stack),
        "powerdns": {"name": uname("pdns"), "type": "powerdns", "config": {"api_url": "http://127.0.0.1:8081"},
                     "secret": {"api_key": pdns_key}},
        "manual": {"name": uname("manual"), "type": "manual"},
    }
    programs = exec_programs(stack)
    if programs:
        bodies["exec"] = {"name": uname("exec"), "type": "exec", "config": {"program": programs[0]}}
    made = {}
    for typ, body in bodies.items():
        r = create(api, body)
        assert r.status_code == 201, (typ, r.text)
        p = r.json()
        check_repr(p)
        assert r.headers["Location"] == "/v1/dns-providers/" + p["id"]
        assert p["name"] == body["name"] and p["type"] == typ
        made[typ] = p
    # defaults are filled in and shown; secrets are only "has_secret"
    assert made["rfc2136"]["config"] == {**bodies["rfc2136"]["config"]}
    assert made["rfc2136"]["has_secret"] is True
    assert made["powerdns"]["config"] == {"api_url": "http://127.0.0.1:8081", "server_id": "localhost"}
    assert made["powerdns"]["has_secret"] is True
    assert made["manual"]["config"] == {} and made["manual"]["has_secret"] is False
    if "exec" in made:
        assert made["exec"]["config"] == {"program": programs[0], "timeout_s": 60}
        assert made["exec"]["has_secret"] is False
    # GET answers the same representation
    for typ, p in made.items():
        r = api.get("/v1/dns-providers/" + p["id"])
        assert r.status_code == 200, r.text
        assert r.json() == p
    # the rows are the tenant's, with the secret sealed (not NULL) exactly when one was given
    with db.cursor() as cur:
        cur.execute("SELECT id, type, secret_sealed IS NOT NULL FROM dns_providers WHERE tenant_id = %s",
                    (t["id"],))
        rows = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
    assert rows == {p["id"]: (typ, p["has_secret"]) for typ, p in made.items()}


def test_exec_program_outside_the_allow_list(stack, tenant):
    """A tenant cannot name a program the operator did not list in [dns] exec_programs
    (with none listed at all, tests/unit/test_provider_check.c covers the message)."""
    _, api = tenant
    assert "/usr/bin/id" not in exec_programs(stack)
    r = create(api, {"name": uname("exec"), "type": "exec", "config": {"program": "/usr/bin/id"}})
    p = assert_problem(r, 422, "invalid_provider_config", "config.program")
    # the answer tells the tenant which programs it may choose from
    assert p["detail"].endswith(" ".join(exec_programs(stack)))


def test_secret_never_comes_back_and_is_sealed_at_rest(stack, tenant, db):
    t, api = tenant
    marker = "zz-secret-" + uuid.uuid4().hex
    r = create(api, {"name": uname("pdns"), "type": "powerdns", "config": {"api_url": "https://pdns.example.net"},
                     "secret": {"api_key": marker}})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert marker not in r.text
    for path in ("/v1/dns-providers/" + pid, "/v1/dns-providers?limit=200"):
        r = api.get(path)
        assert r.status_code == 200 and marker not in r.text, r.text
    # not in the database in clear: neither in the row nor anywhere in a dump of the database
    with db.cursor() as cur:
        cur.execute("SELECT config::text, encode(secret_sealed, 'escape') FROM dns_providers WHERE id = %s", (pid,))
        config, sealed = cur.fetchone()
    assert marker not in config and marker not in sealed
    env = dict(os.environ, PGPASSFILE=stack["CERTMILL_PGPASSFILE"])
    dump = subprocess.run(["pg_dump", "--data-only", "--table=dns_providers", stack["CERTMILL_DB_URL"]],
                          capture_output=True, text=True, env=env, timeout=60)
    assert dump.returncode == 0, dump.stderr
    assert pid in dump.stdout  # the dump did include the row
    assert marker not in dump.stdout
    # nor in certmill-fcgi's log
    log_dir = stack.get("CERTMILL_LOG_DIR")
    if log_dir and os.path.exists(os.path.join(log_dir, "fcgi.log")):
        with open(os.path.join(log_dir, "fcgi.log"), errors="replace") as f:
            assert marker not in f.read()


def test_tsig_secret_is_sealed_too(stack, tenant, db):
    t, api = tenant
    body = rfc2136_body(stack)
    r = create(api, body)
    assert r.status_code == 201, r.text
    secret = body["secret"]["key_secret"]
    assert secret not in r.text
    env = dict(os.environ, PGPASSFILE=stack["CERTMILL_PGPASSFILE"])
    dump = subprocess.run(["pg_dump", "--data-only", "--table=dns_providers", stack["CERTMILL_DB_URL"]],
                          capture_output=True, text=True, env=env, timeout=60)
    assert dump.returncode == 0, dump.stderr
    assert r.json()["id"] in dump.stdout and secret not in dump.stdout


def test_list_newest_first_with_cursor(tenant):
    _, api = tenant
    ids = []
    for i in range(5):
        r = create(api, {"name": f"m{i}-{uuid.uuid4().hex[:6]}", "type": "manual"})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    seen, cursor = [], None
    while True:
        r = api.get("/v1/dns-providers", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"data", "next_cursor"}
        assert len(page["data"]) <= 2
        for p in page["data"]:
            check_repr(p)
        seen += [p["id"] for p in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert_problem(api.get("/v1/dns-providers", params={"limit": 0}), 422, "invalid_field", "limit")
    assert_problem(api.get("/v1/dns-providers", params={"cursor": "nope"}), 422, "invalid_field", "cursor")
    assert_problem(api.get("/v1/dns-providers", params={"type": "manual"}), 400, "unknown_field", "type")


def test_delete(tenant, db):
    t, api = tenant
    r = create(api, {"name": uname(), "type": "manual"})
    pid = r.json()["id"]
    r = api.s.delete(api.base + "/v1/dns-providers/" + pid, headers=api._h(None), timeout=30)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_problem(api.get("/v1/dns-providers/" + pid), 404, "not_found")
    r = api.s.delete(api.base + "/v1/dns-providers/" + pid, headers=api._h(None), timeout=30)
    assert_problem(r, 404, "not_found")
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM dns_providers WHERE id = %s", (pid,))
        assert cur.fetchone()[0] == 0
    # the name is free again
    assert create(api, {"name": "again", "type": "manual"}).status_code == 201


# (id, body, field): each bad provider body is 422 invalid_provider_config naming the member.
BAD_SETTINGS = [
    ("rfc2136-no-key-name", {"type": "rfc2136", "config": {}, "secret": {"key_secret": "YWJj"}}, "config.key_name"),
    ("rfc2136-bad-algorithm", {"type": "rfc2136", "config": {"key_name": "k", "algorithm": "hmac-sha3"},
                               "secret": {"key_secret": "YWJj"}}, "config.algorithm"),
    ("rfc2136-hostname-server", {"type": "rfc2136", "config": {"key_name": "k", "server": "ns1.example.test"},
                                 "secret": {"key_secret": "YWJj"}}, "config.server"),
    ("rfc2136-bad-port", {"type": "rfc2136", "config": {"key_name": "k", "server": "127.0.0.1:70000"},
                          "secret": {"key_secret": "YWJj"}}, "config.server"),
    ("rfc2136-no-secret", {"type": "rfc2136", "config": {"key_name": "k"}}, "secret.key_secret"),
    ("rfc2136-bad-base64", {"type": "rfc2136", "config": {"key_name": "k"}, "secret": {"key_secret": "abc$"}},
     "secret.key_secret"),
    ("rfc2136-unknown-config", {"type": "rfc2136", "config": {"key_name": "k", "ttl": 60},
                                "secret": {"key_secret": "YWJj"}}, "config.ttl"),
    ("rfc2136-unknown-secret", {"type": "rfc2136", "config": {"key_name": "k"},
                                "secret": {"key_secret": "YWJj", "password": "x"}}, "secret.password"),
    ("rfc2136-number", {"type": "rfc2136", "config": {"key_name": 5}, "secret": {"key_secret": "YWJj"}},
     "config.key_name"),
    ("powerdns-no-url", {"type": "powerdns", "config": {}, "secret": {"api_key": "k"}}, "config.api_url"),
    ("powerdns-ftp-url", {"type": "powerdns", "config": {"api_url": "ftp://h"}, "secret": {"api_key": "k"}},
     "config.api_url"),
    ("powerdns-long-url", {"type": "powerdns", "config": {"api_url": "http://h/" + "x" * 500},
                           "secret": {"api_key": "k"}}, "config.api_url"),
    ("powerdns-no-key", {"type": "powerdns", "config": {"api_url": "http://h"}}, "secret.api_key"),
    ("powerdns-long-key", {"type": "powerdns", "config": {"api_url": "http://h"}, "secret": {"api_key": "k" * 501}},
     "secret.api_key"),
    ("exec-not-allowed", {"type": "exec", "config": {"program": "/bin/sh"}}, "config.program"),
    ("manual-config", {"type": "manual", "config": {"server": "127.0.0.1"}}, "config.server"),
    ("manual-secret", {"type": "manual", "secret": {"api_key": "k"}}, "secret.api_key"),
]


@pytest.mark.parametrize("case", BAD_SETTINGS, ids=[c[0] for c in BAD_SETTINGS])
def test_bad_settings(tenant, db, case):
    t, api = tenant
    _, body, field = case
    r = create(api, {"name": uname(), **body})
    p = assert_problem(r, 422, "invalid_provider_config", field)
    # a secret given is never quoted back
    for v in (body.get("secret") or {}).values():
        if len(str(v)) > 3:
            assert str(v) not in p["detail"]
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM dns_providers WHERE tenant_id = %s", (t["id"],))
        assert cur.fetchone()[0] == 0


# (id, body, status, code, field): problems with the body itself.
BAD_BODIES = [
    ("unknown-member", {"name": "x", "type": "manual", "colour": "red"}, 400, "unknown_field", "colour"),
    ("no-name", {"type": "manual"}, 422, "invalid_field", "name"),
    ("empty-name", {"name": "", "type": "manual"}, 422, "invalid_field", "name"),
    ("long-name", {"name": "n" * 101, "type": "manual"}, 422, "invalid_field", "name"),
    ("control-name", {"name": "a\nb", "type": "manual"}, 422, "invalid_field", "name"),
    ("name-number", {"name": 7, "type": "manual"}, 422, "invalid_field", "name"),
    ("no-type", {"name": "x"}, 422, "invalid_field", "type"),
    ("bad-type", {"name": "x", "type": "route53"}, 422, "invalid_field", "type"),
    ("config-array", {"name": "x", "type": "manual", "config": []}, 422, "invalid_field", "config"),
    ("secret-string", {"name": "x", "type": "manual", "secret": "s"}, 422, "invalid_field", "secret"),
]


@pytest.mark.parametrize("case", BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_bodies(tenant, case):
    _, api = tenant
    _, body, status, code, field = case
    assert_problem(create(api, body), status, code, field)


def test_long_name_in_characters(tenant):
    _, api = tenant
    r = create(api, {"name": "\u00e9" * 100, "type": "manual"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "\u00e9" * 100


def test_duplicate_name_conflict(tenant, new_tenant):
    _, api = tenant
    name = uname("dup")
    assert create(api, {"name": name, "type": "manual"}).status_code == 201
    p = assert_problem(create(api, {"name": name, "type": "powerdns", "config": {"api_url": "http://h"},
                                    "secret": {"api_key": "k"}}), 409, "conflict", "name")
    assert name in p["detail"]
    # names are per tenant
    _, other = new_tenant()
    assert create(other, {"name": name, "type": "manual"}).status_code == 201


def test_other_tenant_sees_nothing(tenant, new_tenant, db):
    _, api = tenant
    _, other = new_tenant()
    pid = create(api, {"name": uname(), "type": "manual"}).json()["id"]
    assert_problem(other.get("/v1/dns-providers/" + pid), 404, "not_found")
    r = other.s.delete(other.base + "/v1/dns-providers/" + pid, headers=other._h(None), timeout=30)
    assert_problem(r, 404, "not_found")
    assert_problem(other.post(f"/v1/dns-providers/{pid}/test", {"name": "example.test"}), 404, "not_found")
    assert pid not in other.get("/v1/dns-providers").text
    # and it cannot use it in an order
    r = other.post("/v1/orders", {"domains": [unique_name()], "challenge": "dns-01", "dns_provider": pid})
    assert_problem(r, 422, "unknown_dns_provider", "dns_provider")
    # the owner still has it
    assert api.get("/v1/dns-providers/" + pid).status_code == 200
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM dns_providers WHERE id = %s", (pid,))
        assert cur.fetchone()[0] == 1


def test_orders_with_dns_provider(tenant, db):
    t, api = tenant
    pid = create(api, {"name": uname(), "type": "manual"}).json()["id"]
    # an unknown id, a wrong type, a provider with another challenge: refused, nothing stored
    for body, code, field in [
        ({"challenge": "dns-01", "dns_provider": "dnp_" + "0" * 32}, "unknown_dns_provider", "dns_provider"),
        ({"challenge": "dns-01", "dns_provider": "not/an/id"}, "unknown_dns_provider", "dns_provider"),
        ({"challenge": "dns-01", "dns_provider": 5}, "invalid_field", "dns_provider"),
        ({"challenge": "http-01", "dns_provider": pid}, "invalid_field", "dns_provider"),
        ({"dns_provider": pid}, "invalid_field", "dns_provider"),
        ({"challenge": "tls-alpn-01", "dns_provider": pid}, "invalid_field", "dns_provider"),
    ]:
        assert_problem(api.post("/v1/orders", {"domains": [unique_name()], **body}), 422, code, field)
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM orders WHERE tenant_id = %s", (t["id"],))
        assert cur.fetchone()[0] == 0
    # the tenant's own provider: stored and shown
    r = api.post("/v1/orders", {"domains": [unique_name()], "challenge": "dns-01", "dns_provider": pid})
    assert r.status_code == 202, r.text
    order = r.json()
    assert order["dns_provider"] == pid and order["challenge"] == "dns-01"
    assert api.get("/v1/orders/" + order["id"]).json()["dns_provider"] == pid
    listed = [o for o in api.get("/v1/orders").json()["data"] if o["id"] == order["id"]]
    assert listed and listed[0]["dns_provider"] == pid
    # without a provider a dns-01 order is manual: dns_provider null; wildcards are fine with dns-01
    base = unique_name()
    r = api.post("/v1/orders", {"domains": [base, "*." + base], "challenge": "dns-01"})
    assert r.status_code == 202, r.text
    assert r.json()["dns_provider"] is None
    with db.cursor() as cur:
        cur.execute("SELECT dns_provider_id FROM orders WHERE id = %s", (order["id"],))
        assert cur.fetchone()[0] == pid
        cur.execute("SELECT dns_provider_id FROM orders WHERE id = %s", (r.json()["id"],))
        assert cur.fetchone()[0] is None
    # http-01 and tls-alpn-01 orders show dns_provider null
    r = api.post("/v1/orders", {"domains": [unique_name()], "challenge": "tls-alpn-01"})
    assert r.status_code == 202, r.text
    assert r.json()["dns_provider"] is None


def insert_order(db, tenant_id, status, provider_id=None, job_due="now() + interval '1 day'"):
    """An order row (and its job, due far ahead so no worker touches it) in a given status."""
    with db.cursor() as cur:
        cur.execute("INSERT INTO orders (tenant_id, status, domains, challenge, key_type, ca, dns_provider_id)"
                    " VALUES (%s, %s, ARRAY[%s], 'dns-01', 'ec-p256', 'local', %s) RETURNING id",
                    (tenant_id, status, unique_name(), provider_id))
        oid = cur.fetchone()[0]
        cur.execute(f"INSERT INTO jobs (order_id, due_at) VALUES (%s, {job_due})", (oid,))
    return oid


def test_delete_in_use(tenant, db):
    t, api = tenant
    pid = create(api, {"name": uname(), "type": "manual"}).json()["id"]
    busy = insert_order(db, t["id"], "pending_validation", pid)
    done = insert_order(db, t["id"], "issued", pid)
    failed = insert_order(db, t["id"], "failed", pid)
    r = api.s.delete(api.base + "/v1/dns-providers/" + pid, headers=api._h(None), timeout=30)
    p = assert_problem(r, 409, "provider_in_use")
    assert busy in p["detail"]
    assert api.get("/v1/dns-providers/" + pid).status_code == 200
    # once the order is finished the provider can go; finished orders forget it
    with db.cursor() as cur:
        cur.execute("UPDATE orders SET status = 'cancelled' WHERE id = %s", (busy,))
    r = api.s.delete(api.base + "/v1/dns-providers/" + pid, headers=api._h(None), timeout=30)
    assert r.status_code == 204, r.text
    with db.cursor() as cur:
        cur.execute("SELECT id, dns_provider_id FROM orders WHERE id IN (%s, %s, %s)", (busy, done, failed))
        assert {row[1] for row in cur.fetchall()} == {None}
        cur.execute("SELECT count(*) FROM dns_providers WHERE id = %s", (pid,))
        assert cur.fetchone()[0] == 0
    assert_problem(api.get("/v1/dns-providers/" + pid), 404, "not_found")


def test_continue(tenant, new_tenant, db):
    t, api = tenant
    # an order that does not wait for the panel: 409 naming its status, nothing changes
    oid = insert_order(db, t["id"], "pending_validation")
    p = assert_problem(api.post(f"/v1/orders/{oid}/continue"), 409, "order_not_waiting")
    assert "pending_validation" in p["detail"]
    r = api.post("/v1/orders", {"domains": [unique_name()]})
    assert r.status_code == 202, r.text
    queued = r.json()["id"]
    p = assert_problem(api.post(f"/v1/orders/{queued}/continue", {}), 409, "order_not_waiting")
    # a waiting order: pending_validation, its job due now, in one go
    waiting = insert_order(db, t["id"], "action_required")
    _, other = new_tenant()
    assert_problem(other.post(f"/v1/orders/{waiting}/continue"), 404, "not_found")
    assert_problem(api.post("/v1/orders/ord_nosuch/continue"), 404, "not_found")
    assert_problem(api.post(f"/v1/orders/{waiting}/continue", {"force": True}), 400, "unknown_field", "force")
    assert_problem(api.post(f"/v1/orders/{waiting}/continue", data=b"[]"), 400, "malformed_json")
    r = api.s.post(f"{api.base}/v1/orders/{waiting}/continue", data=b"{}",
                   headers={**api._h(None), "Content-Type": "text/plain"}, timeout=30)
    assert_problem(r, 415, "unsupported_media_type")
    with db.cursor() as cur:
        cur.execute("SELECT status FROM orders WHERE id = %s", (waiting,))
        assert cur.fetchone()[0] == "action_required"
    before = time.time()
    # no body at all (and no Content-Type) is the usual call
    r = api.s.post(f"{api.base}/v1/orders/{waiting}/continue", headers=api._h(None), timeout=30)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["id"] == waiting and body["status"] == "pending_validation"
    assert "authorizations" in body and body["dns_provider"] is None
    with db.cursor() as cur:
        cur.execute("SELECT o.status, extract(epoch FROM j.due_at) FROM orders o JOIN jobs j ON j.order_id = o.id"
                    " WHERE o.id = %s", (waiting,))
        status, due = cur.fetchone()
    # a worker may already have claimed and rescheduled it, but not a day ahead any more
    assert due < before + 3600, (due, before)
    assert status != "action_required"
    # a second continue: the order no longer waits
    assert_problem(api.post(f"/v1/orders/{waiting}/continue", {}), 409, "order_not_waiting")
    for oid_ in (oid, waiting):
        with db.cursor() as cur:
            cur.execute("UPDATE orders SET status = 'cancelled' WHERE id = %s", (oid_,))
            cur.execute("DELETE FROM jobs WHERE order_id = %s", (oid_,))


def test_authorization_record(tenant, db):
    t, api = tenant
    oid = insert_order(db, t["id"], "action_required")
    name = unique_name()
    with db.cursor() as cur:
        cur.execute("INSERT INTO authorizations (order_id, url, domain, challenge_type, record_name, record_value)"
                    " VALUES (%s, 'https://ca.example/authz/1', %s, 'dns-01', %s, 'v4lue')",
                    (oid, name, "_acme-challenge." + name))
        cur.execute("INSERT INTO authorizations (order_id, url, domain, challenge_type)"
                    " VALUES (%s, 'https://ca.example/authz/2', %s, 'dns-01')", (oid, "www." + name))
    order = api.get("/v1/orders/" + oid).json()
    a1, a2 = order["authorizations"]
    assert a1["record"] == {"name": "_acme-challenge." + name, "type": "TXT", "value": "v4lue", "ttl": 60}
    assert a2["record"] is None
    assert list(a1) == ["domain", "wildcard", "status", "challenge", "record"]
    with db.cursor() as cur:
        cur.execute("UPDATE orders SET status = 'cancelled' WHERE id = %s", (oid,))
        cur.execute("DELETE FROM jobs WHERE order_id = %s", (oid,))


def test_provider_test_validation(stack, tenant):
    _, api = tenant
    manual = create(api, {"name": uname(), "type": "manual"}).json()["id"]
    p = assert_problem(api.post(f"/v1/dns-providers/{manual}/test", {"name": "example.test"}), 422,
                       "provider_test_failed")
    assert "manual provider publishes nothing" in p["detail"]
    bind = create(api, rfc2136_body(stack)).json()["id"]
    for body, code, field in [
        ({}, "invalid_field", "name"),
        ({"name": "*.example.test"}, "invalid_field", "name"),
        ({"name": "not a name"}, "invalid_field", "name"),
        ({"name": "example.test", "ttl": 5}, "unknown_field", "ttl"),
    ]:
        assert_problem(api.post(f"/v1/dns-providers/{bind}/test", body), 422 if code != "unknown_field" else 400,
                       code, field)
    assert_problem(api.post("/v1/dns-providers/dnp_nosuch/test", {"name": "example.test"}), 404, "not_found")


def dig_txt(stack, name):
    out = subprocess.run(["dig", "@127.0.0.1", "-p", stack["CERTMILL_DNS_PORT"], "+short", "+norecurse", name, "TXT"],
                         capture_output=True, text=True, check=True, timeout=20).stdout
    return [v.strip('"') for v in out.split()]


def test_provider_test_against_bind(stack, tenant):
    _, api = tenant
    pid = create(api, rfc2136_body(stack)).json()["id"]
    r = api.post(f"/v1/dns-providers/{pid}/test", {"name": "example.test"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True
    rec = body["record"]
    assert rec["name"] == "_certmill-test.example.test" and rec["type"] == "TXT"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", rec["value"]), rec
    assert isinstance(body["published_ms"], int) and isinstance(body["removed_ms"], int)
    # removed again: BIND no longer serves the value
    assert rec["value"] not in dig_txt(stack, rec["name"])
    # a second test uses a fresh value
    r2 = api.post(f"/v1/dns-providers/{pid}/test", {"name": "example.test"})
    assert r2.status_code == 200, r2.text
    assert r2.json()["record"]["value"] != rec["value"]


def test_provider_test_wrong_secret(stack, tenant):
    _, api = tenant
    wrong = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE="
    pid = create(api, rfc2136_body(stack, secret=wrong)).json()["id"]
    p = assert_problem(api.post(f"/v1/dns-providers/{pid}/test", {"name": "example.test"}), 422,
                       "provider_test_failed")
    assert wrong not in p["detail"]
    assert dig_txt(stack, "_certmill-test.example.test") == []
