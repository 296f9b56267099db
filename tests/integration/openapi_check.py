"""Every answer of the certmill API that the integration tests receive, checked against
docs/openapi.yaml by a real JSON Schema validator (Debian's python3-jsonschema, draft
2020-12, which OpenAPI 3.1 schemas are; formats checked by python3-rfc3987 for `uri`
and python3-rfc3339 for `date-time`).

conftest.py installs the Recorder as a response hook on every requests.Session (the
module-level requests.get & co. make one too), so nothing in the tests changes. The hook
only keeps samples, bounded in memory; test_openapi_responses.py, which conftest.py
runs last, validates them all at once (the hook never slows a test down or fails it)."""

import hashlib
import json
import os
import re
import threading
from urllib.parse import urlsplit

import pyrfc3339
import yaml
from jsonschema import Draft202012Validator, FormatChecker, RefResolver
from jsonschema.exceptions import best_match

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC_PATH = os.path.join(REPO, "docs", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# Bounds of what the recorder keeps: the first FIRST distinct bodies of each
# (method, route, status, media type), then only bodies of a shape not seen before for it
# (SHAPES at most), and MAX_BYTES of bodies in all. Statuses are counted without bound.
FIRST = 8
SHAPES = 200
MAX_BYTES = 64 << 20
# Bodies longer than this are kept only as the first of their key (an openapi.json, a
# long list page): one is enough to check them.
BIG_BODY = 256 << 10


def load_doc():
    """docs/openapi.yaml (test_api_docs.py checks the served /v1/openapi.json is this)."""
    with open(DOC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def media_type(value):
    """The media type of a Content-Type value, without parameters, lower case."""
    return (value or "").split(";")[0].strip().lower()


def is_json_media(mt):
    return mt == "application/json" or mt.endswith("+json")


# Strings that look like an enum value (a status, a code, a key type) make a shape of
# their own; others (ids, names, timestamps, PEM) are just "str".
_ENUMISH = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
_HEXRUN = re.compile(r"[0-9a-f]{8}")


def shape(v, depth=0):
    """A hashable outline of a JSON value: members, types, enum-like strings."""
    if depth > 12:
        return "deep"
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "num"
    if isinstance(v, str):
        if _ENUMISH.fullmatch(v) and not _HEXRUN.search(v):
            return "s:" + v
        return "str"
    if isinstance(v, list):
        return ("list", tuple(sorted({repr(shape(x, depth + 1)) for x in v})))
    if isinstance(v, dict):
        return ("obj", tuple(sorted((k, repr(shape(x, depth + 1))) for k, x in v.items())))
    return type(v).__name__


class Routes:
    """Maps a request path to the document's path template."""

    def __init__(self, doc):
        rows = []
        for tmpl in doc["paths"]:
            parts = re.split(r"(\{\w+\})", tmpl)
            rx = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
            rows.append((tmpl.count("{"), tmpl, re.compile(rx)))
        # literal paths before templated ones, fewer parameters first
        self.rows = sorted(rows)

    def match(self, path):
        for _, tmpl, rx in self.rows:
            if rx.fullmatch(path):
                return tmpl
        return None


class Recorder:
    """Keeps (method, route, status, media type, headers, body) of the API's answers."""

    def __init__(self, api_base, http01_base, doc):
        self.lock = threading.Lock()
        self.bases = {}
        for b, prefix in ((api_base, ""), (http01_base, "/.well-known/")):
            if b:
                u = urlsplit(b)
                self.bases[(u.scheme, u.hostname, u.port or (443 if u.scheme == "https" else 80))] = prefix
        self.doc = doc
        self.routes = Routes(doc)
        self.header_names = set()
        for ops in doc["paths"].values():
            for m, op in ops.items():
                if m in METHODS:
                    for resp in op.get("responses", {}).values():
                        self.header_names |= {h.lower() for h in resolve(doc, resp).get("headers", {})}
        self.header_names |= {"allow", "content-type"}
        self.observed = {}   # (METHOD, route, status) -> count
        self.samples = []    # dicts, see hook()
        self.kept = {}       # (METHOD, route, status, media) -> [hashes, shapes]
        self.bytes = 0
        self.dropped = 0
        self.errors = []     # the hook's own failures (never raised into a test)

    def hook(self, r, *args, **kwargs):
        """requests response hook: note one answer (never raises, never changes it)."""
        try:
            self._note(r, bool(kwargs.get("stream")))
        except Exception as e:  # noqa: BLE001 — a recorder bug must not fail the test that made the call
            with self.lock:
                if len(self.errors) < 20:
                    self.errors.append(f"{r.request.method} {r.url}: {e!r}")
        return r

    def _note(self, r, stream):
        u = urlsplit(r.url)
        where = (u.scheme, u.hostname, u.port or (443 if u.scheme == "https" else 80))
        if where not in self.bases:
            return
        path = u.path or "/"
        if not path.startswith(self.bases[where]):
            return
        route = self.routes.match(path)
        if route is None and not path.startswith("/v1"):
            return  # the dashboard and other files of the front server: not the API
        method = r.request.method.upper()
        status = r.status_code
        media = media_type(r.headers.get("Content-Type"))
        okey = (method, route or path, status)
        body = None
        if not stream:
            body = r.content
        with self.lock:
            self.observed[okey] = self.observed.get(okey, 0) + 1
            kkey = (method, route, status, media)
            hashes, shapes = self.kept.setdefault(kkey, [set(), set()])
            digest = hashlib.sha1(body or b"").digest()
            if digest in hashes:
                return
            if is_json_media(media) and body:
                try:
                    sh = shape(json.loads(body))
                except ValueError:
                    sh = "not json"
            else:
                sh = ("len", min(len(body or b""), 1))
            new_shape = sh not in shapes
            if len(hashes) >= FIRST and not (new_shape and len(shapes) < SHAPES):
                return
            if len(hashes) >= 1 and body and len(body) > BIG_BODY:
                return
            if self.bytes + len(body or b"") > MAX_BYTES:
                self.dropped += 1
                return
            hashes.add(digest)
            shapes.add(sh)
            self.bytes += len(body or b"")
            headers = {k.lower(): v for k, v in r.headers.items() if k.lower() in self.header_names}
            self.samples.append({"method": method, "path": path, "route": route, "status": status,
                                 "media": media, "headers": headers, "body": body})


def resolve(doc, node):
    """Follows local $refs (#/components/...)."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"not a local $ref: {ref}")
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def format_checker():
    """Draft 2020-12 formats: jsonschema's own (uri through rfc3987) plus date-time
    through pyrfc3339 (jsonschema wants rfc3339-validator, which Debian lacks)."""
    fc = FormatChecker()
    if "uri" not in fc.checkers:
        raise RuntimeError("jsonschema has no `uri` format checker: install python3-rfc3987")

    @fc.checks("date-time", raises=(ValueError, TypeError))
    def _date_time(value):
        if not isinstance(value, str):
            return True
        return pyrfc3339.parse(value) is not None

    return fc


class Checker:
    """Validates samples against the document's responses."""

    def __init__(self, doc):
        self.doc = doc
        self.resolver = RefResolver.from_schema(doc)
        self.formats = format_checker()
        self.validators = {}
        self.problem = {"$ref": "#/components/schemas/Problem"}

    def validator(self, key, schema):
        v = self.validators.get(key)
        if v is None:
            Draft202012Validator.check_schema(schema)
            v = Draft202012Validator(schema, resolver=self.resolver, format_checker=self.formats)
            self.validators[key] = v
        return v

    def expected(self, s):
        """(operation key, response object) the document gives for sample s, or a failure text."""
        method, route, status = s["method"], s["route"], s["status"]
        if route is None:
            # info: an unknown path is 404 not_found
            if status != 404:
                return None, f"an unknown path answered {status}, the document says 404"
            return ("*", "unknown path", 404), {"content": {"application/problem+json": {"schema": self.problem}}}
        ops = self.doc["paths"][route]
        op = ops.get(method.lower())
        if op is None and method == "HEAD":
            op = ops.get("get")
        if op is None:
            # info: a known path with a method it does not take is 405 with Allow
            if status != 405:
                return None, f"a method the path does not take answered {status}, the document says 405"
            return ("*", route, 405), {"content": {"application/problem+json": {"schema": self.problem}},
                                       "headers": {"Allow": {"required": True, "schema": {"type": "string"}}}}
        responses = op.get("responses", {})
        for k in (str(status), f"{status // 100}XX", "default"):
            if k in responses:
                return (route, method, k), resolve(self.doc, responses[k])
        return None, f"status {status} is not documented (documented: {', '.join(sorted(responses))})"

    def check(self, s):
        """The failures of one sample: a list of texts."""
        where, resp = self.expected(s)
        if where is None:
            return [resp]
        out = []
        # headers the document marks as required
        for name, h in (resp.get("headers") or {}).items():
            h = resolve(self.doc, h)
            value = s["headers"].get(name.lower())
            if value is None:
                if h.get("required"):
                    out.append(f"header {name} missing")
                continue
            if "schema" in h:
                schema = h["schema"]
                types = schema.get("type") if isinstance(schema, dict) else None
                inst = value
                if types in ("integer", "number") or (isinstance(types, list) and "integer" in types):
                    inst = int(value) if re.fullmatch(r"-?[0-9]+", value) else value
                v = self.validator(where + ("header", name), schema)
                for e in v.iter_errors(inst):
                    out.append(f"header {name}: {short(e.message)}")
        content = resp.get("content") or {}
        body = s["body"]
        if s["method"] == "HEAD" or s["status"] == 304:
            return out
        if not content:
            if body:
                out.append(f"a body ({len(body)} bytes, {s['media'] or 'no type'}) where the document has none")
            return out
        media = {media_type(k): k for k in content}
        if s["media"] not in media:
            out.append(f"Content-Type {s['media'] or '(none)'} is not documented ({', '.join(sorted(media))})")
            return out
        mobj = content[media[s["media"]]]
        if body is None:
            return out  # streamed: not read
        if not is_json_media(s["media"]):
            return out
        try:
            inst = json.loads(body)
        except ValueError as e:
            return out + [f"the body is not JSON: {e}"]
        schema = mobj.get("schema")
        if schema is None:
            return out
        v = self.validator(where + (s["media"],), schema)
        return out + errors(v, inst)


def errors(validator, inst):
    """The validator's errors for inst, as texts. A member that fails inside an allOf
    branch takes the branch's annotations with it, so unevaluatedProperties then lists
    every member of that branch: such an error is left out while another error stands
    at or below the same place."""
    errs = sorted(validator.iter_errors(inst), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for e in errs:
        if e.validator == "unevaluatedProperties":
            here = list(e.absolute_path)
            if any(o is not e and list(o.absolute_path)[:len(here)] == here for o in errs):
                continue
        out.append(error_text(e))
    return out


def short(text, n=300):
    text = str(text)
    return text if len(text) <= n else text[:n] + "..."


def error_text(e):
    """A validator error: where in the body, what failed, and for oneOf/anyOf the closest branch."""
    at = "/" + "/".join(str(p) for p in e.absolute_path)
    msg = f"{at}: {short(e.message)} [schema {'/'.join(str(p) for p in e.absolute_schema_path)}]"
    if e.context:
        inner = best_match(e.context)
        if inner is not None:
            msg += f" (closest: /{'/'.join(str(p) for p in inner.absolute_path)}: {short(inner.message, 200)})"
    return msg


def documented_pairs(doc, prefix="2"):
    """(METHOD, route, status) of every documented response whose status starts with prefix."""
    out = set()
    for route, ops in doc["paths"].items():
        for m, op in ops.items():
            if m in METHODS:
                for st in op.get("responses", {}):
                    if st.startswith(prefix):
                        out.add((m.upper(), route, int(st)))
    return out


RECORDER = None
# Tests left out by -k/-m (conftest.py's pytest_deselected counts them).
DESELECTED = 0


def install(stack):
    """Adds the recorder to every requests.Session made from now on (conftest.py calls it)."""
    global RECORDER
    import requests
    if RECORDER is not None or "CERTMILL_URL" not in stack:
        return RECORDER
    http01 = stack.get("CERTMILL_HTTP01_PORT")
    RECORDER = Recorder(stack["CERTMILL_URL"], f"http://127.0.0.1:{http01}" if http01 else None, load_doc())
    orig_init = requests.Session.__init__

    def init(self, *a, **kw):
        orig_init(self, *a, **kw)
        self.hooks["response"].append(RECORDER.hook)

    requests.Session.__init__ = init
    return RECORDER
