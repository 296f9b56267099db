"""The API reference against the code and the running service: GET /v1/openapi.json
serves docs/openapi.yaml (as JSON) without an API key; every route of
fcgi/router.c is documented (and nothing else), every error code of fcgi/problem.c
and every order problem code the worker sets is in the document, and the objects
the running API answers have exactly the members the document lists."""

import glob
import json
import os
import re

import pytest
import requests
import yaml

from conftest import REPO, unique_name

DOC_PATH = os.path.join(REPO, "docs", "openapi.yaml")
API_MD = os.path.join(REPO, "docs", "api.md")


def read(rel):
    with open(os.path.join(REPO, rel), encoding="utf-8") as f:
        return f.read()


def route_table():
    """(method, pattern, needs_auth) of every entry of fcgi_route_table in fcgi/router.c."""
    src = read("fcgi/router.c")
    m = re.search(r"fcgi_route_table\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    assert m, "fcgi/router.c: fcgi_route_table not found"
    body = re.sub(r"/\*.*?\*/|//[^\n]*", "", m.group(1), flags=re.S)
    rows = re.findall(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*\w+\s*,\s*(true|false)\s*,\s*(?:true|false)\s*\}',
                      body)
    # every line of the table that opens a brace is one row: a row the pattern misses would go unchecked
    assert len(rows) == len(re.findall(r"^\s*\{", body, re.M)) and rows, body
    return [(meth, pat, auth == "true") for meth, pat, auth in rows]


def problem_codes():
    """code -> HTTP status of every row of the table in fcgi/problem.c."""
    src = read("fcgi/problem.c")
    rows = re.findall(r'\[FCGI_PROB_[A-Z0-9_]+\]\s*=\s*\{\s*"([a-z0-9_]+)"\s*,\s*(\d+)', src)
    enum_count = len(re.findall(r"^\s*FCGI_PROB_[A-Z0-9_]+(?:\s*=\s*0)?,", read("fcgi/problem.h"), re.M))
    assert rows and len(rows) == enum_count, (rows, enum_count)
    return {code: int(status) for code, status in rows}


def worker_problem_codes():
    """The codes the worker writes into an order's problem (step_problem calls)."""
    codes = set()
    for path in sorted(glob.glob(os.path.join(REPO, "engine", "worker", "*.c"))):
        with open(path, encoding="utf-8") as f:
            codes |= set(re.findall(r'step_problem\(\s*"([a-z0-9_]+)"', f.read()))
    assert codes
    return codes


def c_names(rel, array):
    """The strings of a NULL-terminated `static const char *const array[]` in a C file."""
    m = re.search(re.escape(array) + r"\[\]\s*=\s*\{(.*?)\};", read(rel), re.S)
    assert m, (rel, array)
    return re.findall(r'"([^"]+)"', m.group(1))


@pytest.fixture(scope="module")
def served(stack):
    r = requests.get(stack["CERTMILL_URL"] + "/v1/openapi.json", timeout=30)
    return r


@pytest.fixture(scope="module")
def doc(served):
    assert served.status_code == 200, served.text
    return served.json()


def resolve(doc, node):
    """Follows a local $ref."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def members(doc, schema):
    """(property names, required names) of an object schema, through $ref and allOf."""
    schema = resolve(doc, schema)
    props, req = set(schema.get("properties", {})), set(schema.get("required", []))
    for sub in schema.get("allOf", []):
        p, r = members(doc, sub)
        props |= p
        req |= r
    return props, req


def assert_shape(doc, name, obj):
    """obj has every required member of schema `name` and nothing the schema does not list."""
    props, req = members(doc, {"$ref": f"#/components/schemas/{name}"})
    assert props, name
    assert req <= set(obj), (name, req - set(obj), obj)
    assert set(obj) <= props, (name, set(obj) - props, obj)


def test_served_without_key(served):
    assert served.status_code == 200, served.text
    assert served.headers["Content-Type"].split(";")[0].strip() == "application/json"
    assert served.headers.get("Cache-Control") == "public, max-age=300"
    d = served.json()
    assert re.fullmatch(r"3\.1\.\d+", d["openapi"]), d["openapi"]
    assert d["info"]["title"] and d["info"]["version"]


def load_yaml_doc():
    """docs/openapi.yaml as the build reads it (scripts/openapi-json.py refuses duplicate keys)."""
    with open(DOC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_served_is_the_file(stack, served):
    on_disk = load_yaml_doc()
    # the build embeds the file: a stale build or a changed file shows here
    assert served.json() == on_disk, "GET /v1/openapi.json differs from docs/openapi.yaml: rebuild certmill-fcgi"
    r = requests.head(stack["CERTMILL_URL"] + "/v1/openapi.json", timeout=30)
    assert r.status_code == 200
    assert int(r.headers["Content-Length"]) == len(served.content)
    assert r.content == b""


def test_build_refuses_duplicate_keys(tmp_path):
    """A key written twice in the YAML would silently drop one of them: the build stops instead."""
    import subprocess
    bad = tmp_path / "dup.yaml"
    bad.write_text("openapi: 3.1.0\ninfo:\n  title: a\n  title: b\n", encoding="utf-8")
    out = tmp_path / "out.json"
    p = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "scripts", "openapi-json.py"), str(bad), str(out)],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "duplicate key 'title'" in p.stderr, p.stderr
    assert not out.exists()


def test_every_route_is_documented(doc):
    routes = route_table()
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops
                  if m in ("get", "put", "post", "delete", "patch", "head", "options")}
    in_code = {(m, p) for m, p, _ in routes}
    assert in_code - documented == set(), f"routes without documentation: {sorted(in_code - documented)}"
    assert documented - in_code == set(), f"documented routes that fcgi/router.c lacks: {sorted(documented - in_code)}"
    # the path parameters are declared, and auth is as the table says
    for method, pattern, needs_auth in routes:
        op = doc["paths"][pattern][method.lower()]
        declared = {resolve(doc, p)["name"] for p in op.get("parameters", []) if resolve(doc, p)["in"] == "path"}
        assert declared == set(re.findall(r"\{(\w+)\}", pattern)), (pattern, declared)
        security = op.get("security", doc["security"])
        if needs_auth:
            assert security == [{"bearerAuth": []}], (pattern, security)
            assert "401" in op["responses"], pattern
        else:
            assert security == [], (pattern, security)
        assert any(code.startswith("2") for code in op["responses"]), pattern


def test_running_routes_match_the_document(stack, doc):
    """OPTIONS is on no route: certmill answers 405 with the methods the path takes, 404 for an unknown path."""
    api_base = stack["CERTMILL_URL"]
    http01 = stack.get("CERTMILL_HTTP01_PORT")
    for path, ops in doc["paths"].items():
        concrete = re.sub(r"\{\w+\}", "x1", path)
        if path.startswith("/.well-known/"):
            if not http01:
                continue
            base = f"http://127.0.0.1:{http01}"
        else:
            base = api_base
        r = requests.options(base + concrete, timeout=30)
        assert r.status_code == 405, (path, r.status_code, r.text)
        got = {m.strip() for m in r.headers["Allow"].split(",")}
        want = {m.upper() for m in ops if m in ("get", "post", "put", "delete", "patch")}
        if "GET" in want:
            want.add("HEAD")
        assert got == want, (path, got, want)


def test_problem_codes_are_documented(doc):
    codes = problem_codes()
    enum = doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
    assert set(codes) - set(enum) == set(), f"codes of fcgi/problem.c missing from Problem: {set(codes) - set(enum)}"
    assert set(enum) - set(codes) == set(), f"Problem lists codes fcgi/problem.c lacks: {set(enum) - set(codes)}"
    # each status certmill can send for a code is documented on some operation (405: per path, in info)
    statuses = {s for op in (o for ops in doc["paths"].values() for o in ops.values()) for s in op["responses"]}
    for code, status in codes.items():
        if status != 405:
            assert str(status) in statuses, (code, status)


def test_order_problem_codes_are_documented(doc):
    codes = worker_problem_codes()
    enum = doc["components"]["schemas"]["OrderProblem"]["properties"]["code"]["enum"]
    assert set(enum) == codes, (sorted(codes - set(enum)), sorted(set(enum) - codes))


def test_status_enums_match_the_code(doc):
    s = doc["components"]["schemas"]
    assert s["OrderSummary"]["properties"]["status"]["enum"] == c_names("fcgi/orders.c", "fcgi_order_statuses")
    assert s["CertificateSummary"]["properties"]["status"]["enum"] == c_names("fcgi/certificates.c",
                                                                               "fcgi_cert_statuses")
    body = s["OrderCreate"]
    assert body["additionalProperties"] is False
    fields = re.findall(r'\{\s*"(\w+)"\s*,\s*FCGI_FIELD_', read("fcgi/order_input.c"))
    assert set(body["properties"]) == set(fields), (sorted(body["properties"]), fields)


def test_api_md_names_every_route_and_code(doc):
    with open(API_MD, encoding="utf-8") as f:
        md = f.read()
    for method, pattern, _ in route_table():
        assert f"{method} {pattern}" in md, f"docs/api.md does not mention {method} {pattern}"
    for code in set(problem_codes()) | worker_problem_codes():
        assert f"`{code}`" in md, f"docs/api.md does not mention the code `{code}`"
    assert "openapi.json" in md


def test_real_answers_have_the_documented_members(api, doc):
    """An order, a list page, a certificate, its key and a problem as the running API answers them."""
    r = api.post("/v1/orders", {"domains": [unique_name("docs")], "customer_ref": "docs-shape"})
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == "/v1/orders/" + r.json()["id"]
    assert_shape(doc, "Order", r.json())
    order = api.wait_order(r.json()["id"])
    assert order["status"] == "issued", order
    assert_shape(doc, "Order", order)
    for a in order["authorizations"]:
        assert_shape(doc, "Authorization", a)
    page = api.get("/v1/orders?limit=1&customer_ref=docs-shape").json()
    assert_shape(doc, "OrderList", page)
    assert_shape(doc, "OrderSummary", page["data"][0])
    cert_id = order["certificate_id"]
    cert = api.get(f"/v1/certificates/{cert_id}").json()
    assert_shape(doc, "Certificate", cert)
    page = api.get("/v1/certificates?limit=1").json()
    assert_shape(doc, "CertificateList", page)
    assert_shape(doc, "CertificateSummary", page["data"][0])
    key = api.get(f"/v1/certificates/{cert_id}/key")
    assert key.status_code == 200
    assert_shape(doc, "CertificateKey", key.json())
    bad = api.post("/v1/orders", {"domains": ["a.example.test"], "colour": "blue"})
    assert bad.status_code == 400
    assert_shape(doc, "Problem", bad.json())
    assert_shape(doc, "Health", requests.get(api.base + "/healthz", timeout=30).json())
    assert_shape(doc, "Ready", requests.get(api.base + "/readyz", timeout=30).json())
