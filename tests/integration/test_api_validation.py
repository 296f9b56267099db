"""Input validation of the API, through nginx and certmill-fcgi on the real stack:
every bad input gets its HTTP status, its RFC 9457 problem with the stable `code`
(and `field` where one field is at fault), and leaves no order row behind."""

import concurrent.futures
import json
import uuid

import pytest
import requests

from conftest import Api, certmill_cli, unique_name

PROBLEM_TYPE = "application/problem+json"


@pytest.fixture(scope="module")
def tenant(stack):
    """A fresh tenant for this module: (tenant JSON, Api), so row counts are its own."""
    t = json.loads(certmill_cli("tenant", "create", "val-" + uuid.uuid4().hex[:12]))
    return t, Api(stack["CERTMILL_URL"], t["api_key"])


def order_count(db, tenant_id):
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM orders WHERE tenant_id = %s", (tenant_id,))
        return cur.fetchone()[0]


def job_count(db, tenant_id):
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM jobs j JOIN orders o ON o.id = j.order_id WHERE o.tenant_id = %s",
                    (tenant_id,))
        return cur.fetchone()[0]


def assert_problem(r, status, code, field=None):
    """Checks an RFC 9457 answer: status, media type, members, code and field."""
    assert r.status_code == status, f"{r.status_code} {r.text}"
    assert r.headers["Content-Type"].split(";")[0].strip() == PROBLEM_TYPE, r.headers
    p = r.json()
    assert p["code"] == code, p
    assert p["status"] == status, p
    assert p["title"], p
    assert p["detail"], p
    # nginx's own 413 (over its 1 MiB) uses about:blank; certmill's problems use the urn
    assert p["type"] in ("urn:certmill:problem:" + code, "about:blank"), p
    if field is not None:
        assert p.get("field") == field, p
    return p


def label(n, ch="a"):
    return ch * n


def long_name(total):
    """A name of exactly `total` characters under example.test made of valid labels."""
    rest = total - len("example.test")  # each label takes its length plus one dot
    labels = []
    while rest > 0:
        n = min(63, rest - 1)
        if rest - (n + 1) == 1:  # never leave room for just a dot
            n -= 1
        labels.append("x" * n)
        rest -= n + 1
    name = "".join(lab + "." for lab in labels) + "example.test"
    assert len(name) == total, (len(name), total)
    return name


OK = "ok-{}.example.test"

# (id, body, status, code, field): body is a dict (sent as JSON) or str (sent raw).
BAD_BODIES = [
    ("malformed", '{"domains": ["a.example.test"', 400, "malformed_json", None),
    ("trailing-garbage", '{"domains": ["a.example.test"]} x', 400, "malformed_json", None),
    ("not-object", '["a.example.test"]', 400, "malformed_json", None),
    ("empty-body", "", 400, "malformed_json", None),
    ("duplicate-key", '{"domains": ["a.example.test"], "domains": ["b.example.test"]}', 400, "malformed_json", None),
    ("too-deep", '{"domains": ["a.example.test"], "customer_ref": [[[[[[[[["x"]]]]]]]]]}', 400,
     "malformed_json", None),
    ("unknown-field", {"domains": ["a.example.test"], "colour": "blue"}, 400, "unknown_field", "colour"),
    ("missing-domains", {"challenge": "http-01"}, 422, "invalid_field", "domains"),
    ("domains-not-array", {"domains": "a.example.test"}, 422, "invalid_field", "domains"),
    ("domain-not-string", {"domains": ["a.example.test", 42]}, 422, "invalid_field", "domains[1]"),
    ("auto-renew-string", {"domains": ["a.example.test"], "auto_renew": "yes"}, 422, "invalid_field", "auto_renew"),
    ("key-type-number", {"domains": ["a.example.test"], "key_type": 2048}, 422, "invalid_field", "key_type"),
    ("key-type-unknown", {"domains": ["a.example.test"], "key_type": "dsa-1024"}, 422, "invalid_field", "key_type"),
    ("challenge-unknown", {"domains": ["a.example.test"], "challenge": "http-02"}, 422, "invalid_field", "challenge"),
    ("customer-ref-number", {"domains": ["a.example.test"], "customer_ref": 7}, 422, "invalid_field",
     "customer_ref"),
    ("customer-ref-too-long", {"domains": ["a.example.test"], "customer_ref": "r" * 201}, 422, "invalid_field",
     "customer_ref"),
    ("profile-too-long", {"domains": ["a.example.test"], "profile": "p" * 65}, 422, "invalid_field", "profile"),
    ("no-domains", {"domains": []}, 422, "no_domains", "domains"),
    ("empty-name", {"domains": [""]}, 422, "invalid_domain", "domains[0]"),
    ("empty-label", {"domains": ["a..example.test"]}, 422, "invalid_domain", "domains[0]"),
    ("leading-dot", {"domains": [".example.test"]}, 422, "invalid_domain", "domains[0]"),
    ("label-64", {"domains": [label(64) + ".example.test"]}, 422, "invalid_domain", "domains[0]"),
    ("name-254", {"domains": [long_name(254)]}, 422, "invalid_domain", "domains[0]"),
    ("underscore", {"domains": ["ok.example.test", "_acme.example.test"]}, 422, "invalid_domain", "domains[1]"),
    ("space", {"domains": ["a b.example.test"]}, 422, "invalid_domain", "domains[0]"),
    ("leading-hyphen", {"domains": ["-a.example.test"]}, 422, "invalid_domain", "domains[0]"),
    ("trailing-hyphen", {"domains": ["a-.example.test"]}, 422, "invalid_domain", "domains[0]"),
    ("reserved-label", {"domains": ["ab--cd.example.test"]}, 422, "invalid_domain", "domains[0]"),
    ("bad-a-label", {"domains": ["xn--abc.example.test"]}, 422, "invalid_domain", "domains[0]"),
    ("single-label", {"domains": ["localhost"]}, 422, "invalid_domain", "domains[0]"),
    ("numeric-tld", {"domains": ["example.123"]}, 422, "invalid_domain", "domains[0]"),
    ("bare-wildcard", {"domains": ["*"]}, 422, "invalid_domain", "domains[0]"),
    ("wildcard-tld", {"domains": ["*.test"]}, 422, "invalid_domain", "domains[0]"),
    ("wildcard-middle", {"domains": ["a.*.example.test"]}, 422, "invalid_domain", "domains[0]"),
    ("wildcard-partial", {"domains": ["a*.example.test"]}, 422, "invalid_domain", "domains[0]"),
    # IP addresses are names too (RFC 8738; tests/integration/test_ip_identifiers.py), but not in every form.
    ("ipv4-leading-zero", {"domains": ["192.0.2.01"]}, 422, "invalid_ip", "domains[0]"),
    ("ipv6-zone-id", {"domains": ["a.example.test", "fe80::1%eth0"]}, 422, "invalid_ip", "domains[1]"),
    ("ipv4-dns01", {"domains": ["192.0.2.1"], "challenge": "dns-01"}, 422, "ip_dns01_unsupported", "domains[0]"),
    ("duplicate-case", {"domains": ["Dup.example.test", "dup.EXAMPLE.test."]}, 422, "duplicate_domain",
     "domains[1]"),
    ("duplicate-idn", {"domains": ["xn--bcher-kva.example.test", "B\u00fccher.example.test"]}, 422,
     "duplicate_domain", "domains[1]"),
    ("too-many", {"domains": [f"n{i}.example.test" for i in range(101)]}, 422, "too_many_domains", "domains"),
    ("wildcard-http01", {"domains": ["*.example.test"], "challenge": "http-01"}, 422, "wildcard_requires_dns01",
     "domains[0]"),
    ("wildcard-default-challenge", {"domains": ["a.example.test", "*.a.example.test"]}, 422,
     "wildcard_requires_dns01", "domains[1]"),
    ("wildcard-tls-alpn01", {"domains": ["*.example.test"], "challenge": "tls-alpn-01"}, 422,
     "wildcard_requires_dns01", "domains[0]"),
    ("dns01-unknown-provider", {"domains": ["a.example.test"], "challenge": "dns-01",
                                "dns_provider": "dnp_" + "0" * 32}, 422, "unknown_dns_provider", "dns_provider"),
    ("dns01-provider-not-an-id", {"domains": ["a.example.test"], "challenge": "dns-01", "dns_provider": "a b"}, 422,
     "unknown_dns_provider", "dns_provider"),
    ("provider-without-dns01", {"domains": ["a.example.test"], "dns_provider": "dnp_" + "0" * 32}, 422,
     "invalid_field", "dns_provider"),
    ("provider-not-string", {"domains": ["a.example.test"], "challenge": "dns-01", "dns_provider": 1}, 422,
     "invalid_field", "dns_provider"),
    ("csr-not-a-csr", {"domains": ["a.example.test"], "csr": "-----BEGIN CERTIFICATE REQUEST-----"}, 422,
     "invalid_csr", "csr"),
    ("csr-not-string", {"domains": ["a.example.test"], "csr": 7}, 422, "invalid_field", "csr"),
    ("csr-too-long", {"domains": ["a.example.test"], "csr": "A" * 16385}, 422, "invalid_field", "csr"),
    ("unknown-ca", {"domains": ["a.example.test"], "ca": "no-such-ca"}, 422, "unknown_ca", "ca"),
]


@pytest.mark.parametrize("case", BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_order_body(tenant, db, case):
    t, api = tenant
    _, body, status, code, field = case
    before = order_count(db, t["id"])
    if isinstance(body, str):
        r = api.post("/v1/orders", data=body.encode())
    else:
        r = api.post("/v1/orders", body)
    assert_problem(r, status, code, field)
    assert "Location" not in r.headers
    assert order_count(db, t["id"]) == before
    assert job_count(db, t["id"]) == before


def test_invalid_domain_detail_says_why(tenant):
    _, api = tenant
    r = api.post("/v1/orders", {"domains": ["ok.example.test", "under_score.example.test"]})
    p = assert_problem(r, 422, "invalid_domain", "domains[1]")
    assert "under_score.example.test" in p["detail"]
    assert "underscore" in p["detail"]
    r = api.post("/v1/orders", {"domains": ["192.0.2.01"]})
    p = assert_problem(r, 422, "invalid_ip", "domains[0]")
    assert "dotted-quad" in p["detail"]
    # Fullwidth digits are an address only after IDNA mapping: not a DNS name, and not taken as an address.
    r = api.post("/v1/orders", {"domains": ["\uff11\uff19\uff12.0.2.1"]})
    p = assert_problem(r, 422, "invalid_domain", "domains[0]")
    assert "IP" in p["detail"]


def test_body_over_limit(tenant, db):
    t, api = tenant
    before = order_count(db, t["id"])
    # over certmill's default max_body (64 KiB), under nginx's 1 MiB: certmill answers
    body = json.dumps({"domains": [OK.format(1)], "customer_ref": "x" * 300_000})
    r = api.post("/v1/orders", data=body.encode())
    assert_problem(r, 413, "body_too_large")
    # over nginx's limit too: nginx answers, with the same code
    r = api.post("/v1/orders", data=b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert_problem(r, 413, "body_too_large")
    assert order_count(db, t["id"]) == before


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"])
def test_wrong_content_type(tenant, db, ctype):
    t, api = tenant
    before = order_count(db, t["id"])
    headers = {"Authorization": f"Bearer {api.key}"}
    if ctype:
        headers["Content-Type"] = ctype
    r = requests.post(api.base + "/v1/orders", data=json.dumps({"domains": [OK.format(2)]}).encode(),
                      headers=headers, timeout=30)
    assert_problem(r, 415, "unsupported_media_type")
    assert order_count(db, t["id"]) == before


def test_json_content_type_with_charset(tenant):
    _, api = tenant
    # accepted media type; the body then fails validation, which proves it got that far
    r = api.post("/v1/orders", data=b'{"domains": []}', headers={"Content-Type": "application/json; charset=utf-8"})
    assert_problem(r, 422, "no_domains", "domains")


def unauthenticated(api, headers):
    h = {"Content-Type": "application/json"}
    h.update(headers)
    return requests.post(api.base + "/v1/orders", data=json.dumps({"domains": [OK.format(3)]}), headers=h,
                         timeout=30)


@pytest.mark.parametrize("auth", [None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a b",
                                  "Bearer cm_" + "0" * 43, "Bearer " + "k" * 600])
def test_bad_or_unknown_key(tenant, db, auth):
    t, api = tenant
    before = order_count(db, t["id"])
    r = unauthenticated(api, {"Authorization": auth} if auth else {})
    assert_problem(r, 401, "unauthorized")
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    for path in ("/v1/orders", "/v1/certificates", "/v1/orders/ord_x", "/v1/certificates/crt_x/key"):
        h = {"Authorization": auth} if auth else {}
        assert_problem(requests.get(api.base + path, headers=h, timeout=30), 401, "unauthorized")
    assert order_count(db, t["id"]) == before


def test_revoked_key(tenant, db):
    t, _ = tenant
    k = json.loads(certmill_cli("key", "create", t["id"]))
    assert k["tenant_id"] == t["id"]
    api = Api(tenant[1].base, k["api_key"])
    assert api.get("/v1/orders?limit=1").status_code == 200
    certmill_cli("key", "revoke", k["id"])
    before = order_count(db, t["id"])
    r = api.post("/v1/orders", {"domains": [OK.format(4)]})
    assert_problem(r, 401, "unauthorized")
    assert_problem(api.get("/v1/orders"), 401, "unauthorized")
    assert order_count(db, t["id"]) == before
    # the tenant's other key still works
    assert tenant[1].get("/v1/orders?limit=1").status_code == 200


@pytest.mark.parametrize("path", ["/v1/nothing", "/v1/orders/", "/v1/orders/ord_x/extra", "/v1/certificates/x/y",
                                  "/v1"])
def test_unknown_route(tenant, path):
    _, api = tenant
    assert_problem(api.get(path), 404, "not_found")


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/v1/orders", {"GET", "POST"}),
    ("PUT", "/v1/orders/ord_x", {"GET"}),
    ("POST", "/v1/certificates", {"GET"}),
    ("DELETE", "/v1/certificates/crt_x/key", {"GET"}),
    ("POST", "/healthz", {"GET"}),
])
def test_wrong_method(tenant, db, method, path, allowed):
    t, api = tenant
    before = order_count(db, t["id"])
    r = api.s.request(method, api.base + path, headers=api._h({"Content-Type": "application/json"}),
                      data=json.dumps({"domains": [OK.format(5)]}), timeout=30)
    assert_problem(r, 405, "method_not_allowed")
    got = {m.strip() for m in r.headers["Allow"].split(",")}
    assert allowed <= got, r.headers["Allow"]
    assert order_count(db, t["id"]) == before


@pytest.mark.parametrize("path", ["/v1/orders/ord_00000000000000000000000000000000",
                                  "/v1/orders/not%20an%20id",
                                  "/v1/certificates/crt_00000000000000000000000000000000",
                                  "/v1/certificates/crt_00000000000000000000000000000000/key"])
def test_missing_objects(tenant, path):
    _, api = tenant
    assert_problem(api.get(path), 404, "not_found")


@pytest.mark.parametrize("query,code,field", [
    ("limit=0", "invalid_field", "limit"),
    ("limit=201", "invalid_field", "limit"),
    ("limit=ten", "invalid_field", "limit"),
    ("cursor=bm9wZQ", "invalid_field", "cursor"),
    ("cursor=%25%25", "invalid_field", "cursor"),
    ("status=done", "invalid_field", "status"),
    ("limit=1&limit=2", "invalid_field", "limit"),
    ("colour=blue", "unknown_field", "colour"),
])
def test_bad_list_query(tenant, query, code, field):
    _, api = tenant
    status = 400 if code == "unknown_field" else 422
    assert_problem(api.get("/v1/orders?" + query), status, code, field)
    if field != "status":
        assert_problem(api.get("/v1/certificates?" + query), status, code, field)
    assert_problem(api.get("/v1/certificates?domain=bad_name.example.test"), 422, "invalid_field", "domain")


def test_idn_name_stored_as_a_label(tenant, db):
    t, api = tenant
    tag = uuid.uuid4().hex[:8]
    uname = f"B\u00fccher-{tag}.Example.TEST"
    alabel = f"b\u00fccher-{tag}".encode("idna").decode() + ".example.test"
    assert alabel.startswith("xn--")
    plain = unique_name("idn")
    r = api.post("/v1/orders", {"domains": [uname, plain.upper()]})
    assert r.status_code == 202, r.text
    order = r.json()
    assert order["domains"] == [alabel, plain]
    assert r.headers["Location"] == f"/v1/orders/{order['id']}"
    with db.cursor() as cur:
        cur.execute("SELECT domains, status FROM orders WHERE id = %s AND tenant_id = %s", (order["id"], t["id"]))
        domains, status = cur.fetchone()
        assert domains == [alabel, plain]
        cur.execute("SELECT count(*) FROM jobs WHERE order_id = %s", (order["id"],))
        assert cur.fetchone()[0] in (0, 1)  # queued, or already finished by a fast worker
    r = api.get(f"/v1/orders/{order['id']}")
    assert r.status_code == 200
    assert r.json()["domains"] == [alabel, plain]


def test_order_representation_and_defaults(tenant):
    _, api = tenant
    name = unique_name("repr")
    r = api.post("/v1/orders", {"domains": [name], "customer_ref": "panel-42", "auto_renew": False,
                                "key_type": "ec-p384"})
    assert r.status_code == 202, r.text
    o = r.json()
    for k in ("id", "status", "domains", "challenge", "dns_provider", "key_type", "ca", "profile", "customer_ref",
              "auto_renew", "authorizations", "problem", "certificate_id", "created_at", "updated_at"):
        assert k in o, (k, o)
    assert o["challenge"] == "http-01"
    assert o["key_type"] == "ec-p384"
    assert o["customer_ref"] == "panel-42"
    assert o["auto_renew"] is False
    assert o["ca"]
    assert o["created_at"].endswith("Z")
    assert isinstance(o["authorizations"], list)
    # a list filtered on the panel's reference finds it
    r = api.get("/v1/orders?customer_ref=panel-42")
    assert r.status_code == 200
    assert [x["id"] for x in r.json()["data"]] == [o["id"]]


def test_idempotency_replay_and_conflict(tenant, db):
    t, api = tenant
    key = "idem-" + uuid.uuid4().hex
    body = {"domains": [unique_name("idem")], "customer_ref": "idem-test"}
    before = order_count(db, t["id"])
    r1 = api.post("/v1/orders", body, headers={"Idempotency-Key": key})
    assert r1.status_code == 202, r1.text
    first = r1.json()
    # the same request again: the same order, not a new one
    r2 = api.post("/v1/orders", body, headers={"Idempotency-Key": key})
    assert r2.status_code == 200, r2.text
    assert r2.json()["id"] == first["id"]
    assert r2.headers["Location"] == f"/v1/orders/{first['id']}"
    # the same JSON with other key order and spacing is the same request
    same = json.dumps(dict(reversed(list(body.items()))), indent=2)
    r3 = api.post("/v1/orders", data=same.encode(), headers={"Idempotency-Key": key})
    assert r3.status_code == 200, r3.text
    assert r3.json()["id"] == first["id"]
    # another body with the same key: conflict, nothing created
    other = dict(body, customer_ref="something else")
    r4 = api.post("/v1/orders", other, headers={"Idempotency-Key": key})
    assert_problem(r4, 422, "idempotency_conflict")
    assert order_count(db, t["id"]) == before + 1
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM orders WHERE tenant_id = %s AND idempotency_key = %s", (t["id"], key))
        assert cur.fetchone()[0] == 1


def test_idempotency_race(tenant, db):
    t, _ = tenant
    key = "race-" + uuid.uuid4().hex
    body = {"domains": [unique_name("race")]}

    def post(_):
        # one session per thread: requests.Session is not thread-safe
        a = Api(tenant[1].base, tenant[1].key)
        return a.post("/v1/orders", body, headers={"Idempotency-Key": key})

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        results = list(ex.map(post, range(8)))
    # one creates the order; the others replay it (200) or, while the first still holds the
    # key, are told at once to come back (409 idempotency_in_flight)
    assert all(r.status_code in (200, 202, 409) for r in results), [(r.status_code, r.text) for r in results]
    assert all(r.json()["code"] == "idempotency_in_flight" for r in results if r.status_code == 409)
    done = [r for r in results if r.status_code != 409]
    assert sum(r.status_code == 202 for r in results) == 1
    assert len({r.json()["id"] for r in done}) == 1
    # coming back after a 409 gets the first answer
    again = post(None)
    assert again.status_code == 200 and again.json()["id"] == done[0].json()["id"]
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM orders WHERE tenant_id = %s AND idempotency_key = %s", (t["id"], key))
        assert cur.fetchone()[0] == 1


def test_idempotency_key_too_long(tenant, db):
    t, api = tenant
    before = order_count(db, t["id"])
    r = api.post("/v1/orders", {"domains": [OK.format(6)]}, headers={"Idempotency-Key": "k" * 201})
    assert_problem(r, 422, "invalid_field", "Idempotency-Key")
    assert order_count(db, t["id"]) == before


def test_health_endpoints(stack):
    base = stack["CERTMILL_URL"]
    r = requests.get(base + "/healthz", timeout=30)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = requests.get(base + "/readyz", timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready"


def test_http01_responder_unknown_tokens(stack):
    port = stack.get("CERTMILL_HTTP01_PORT")
    if not port:
        pytest.skip("stack.env names no HTTP-01 port")
    base = f"http://127.0.0.1:{port}/.well-known/acme-challenge/"
    # a well-formed token nobody issued, and tokens that are not base64url
    for token in ("A" * 43, "not+base64url", "a.b", "x" * 300):
        r = requests.get(base + token, timeout=30)
        assert r.status_code == 404, (token, r.status_code, r.text)
