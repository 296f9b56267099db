"""The answers the integration tests received match docs/openapi.yaml (issue 8, point 7).

conftest.py records every answer of the API (openapi_check.Recorder, a response hook on
each requests.Session) and runs this module last. Each recorded answer is checked with
Debian's python3-jsonschema (draft 2020-12) against the document's response for its
operation and status: the status must be documented, the Content-Type must be one the
document lists, a JSON body must validate against the schema (closed objects: no member
the document does not list), and headers the document marks `required` must be there and
match their schema. With the whole suite (scripts/test.sh without arguments sets
CM_TEST_ALL=1, and nothing deselected), most documented 2xx answers must have been seen."""

import json
import os
import warnings

import pytest

import openapi_check

# Share of the documented (operation, 2xx status) pairs the whole suite must have seen.
MIN_2XX_COVERAGE = 0.8


@pytest.fixture(scope="module")
def recorder(stack):
    rec = openapi_check.RECORDER
    assert rec is not None, "conftest.py did not install the response recorder"
    return rec


def test_recorder_works(recorder, stack):
    assert recorder.errors == [], "the recorder failed on some answers:\n" + "\n".join(recorder.errors)
    # the hook sees the module-level calls too (they make their own Session)
    import requests
    before = sum(recorder.observed.values())
    r = requests.get(stack["CERTMILL_URL"].rstrip("/") + "/healthz", timeout=30)
    assert r.status_code == 200
    assert sum(recorder.observed.values()) == before + 1


def test_checker_catches_a_bad_answer():
    """The validator is live: an answer with an extra member, a bad enum value, a bad
    timestamp, an undocumented status or a missing Location is reported."""
    doc = openapi_check.load_doc()
    checker = openapi_check.Checker(doc)
    good = {"status": "ok"}
    base = {"method": "GET", "path": "/healthz", "route": "/healthz", "status": 200,
            "media": "application/json", "headers": {}}
    assert checker.check(dict(base, body=json.dumps(good).encode())) == []
    bad = checker.check(dict(base, body=json.dumps(dict(good, extra=1)).encode()))
    assert bad and "extra" in bad[0], bad
    assert checker.check(dict(base, status=418, body=b"{}"))[0].startswith("status 418 is not documented")
    order = {"method": "POST", "path": "/v1/orders", "route": "/v1/orders", "status": 202,
             "media": "application/json", "headers": {}}
    example = doc["paths"]["/v1/orders"]["post"]["responses"]["202"]["content"]["application/json"]["example"]
    out = checker.check(dict(order, headers={"location": "/v1/orders/" + example["id"]},
                             body=json.dumps(example).encode()))
    assert out == [], out
    out = checker.check(dict(order, body=json.dumps(dict(example, status="shipped",
                                                         created_at="yesterday")).encode()))
    text = "\n".join(out)
    assert "header Location missing" in text and "'shipped'" in text and "'yesterday'" in text, out


def test_responses_match_the_document(recorder, stack):
    checker = openapi_check.Checker(recorder.doc)
    failures = {}
    for s in recorder.samples:
        for text in checker.check(s):
            key = (s["method"], s["route"] or s["path"], s["status"], text)
            failures.setdefault(key, [0, s["path"]])[0] += 1
    lines = [f"{m} {route} -> {st}: {text}  ({n}x, e.g. {path})"
             for (m, route, st, text), (n, path) in sorted(failures.items(), key=lambda kv: kv[0][:3])]
    summary = (f"openapi: {len(recorder.samples)} answers validated ({recorder.bytes} bytes kept, "
               f"{sum(recorder.observed.values())} seen, {recorder.dropped} dropped over the memory bound)")
    print(summary)
    # What was seen, for a reader of the run: $CM_STACK_DIR/log/openapi-responses.txt
    log_dir = os.path.join(stack["CM_STACK_DIR"], "log")
    if os.path.isdir(log_dir):
        with open(os.path.join(log_dir, "openapi-responses.txt"), "w", encoding="utf-8") as f:
            f.write(summary + "\n")
            for (m, route, st), n in sorted(recorder.observed.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
                f.write(f"{n:6d}  {m} {route} {st}\n")
            f.writelines(line + "\n" for line in lines)
    assert recorder.samples, "no answer of the API was recorded"
    assert not lines, f"{len(lines)} answers do not match docs/openapi.yaml:\n" + "\n".join(lines)


def test_documented_2xx_answers_were_seen(recorder):
    if os.environ.get("CM_TEST_ALL") != "1" or openapi_check.DESELECTED:
        pytest.skip("coverage of the documented answers is checked only when the whole suite runs")
    doc = recorder.doc
    want = openapi_check.documented_pairs(doc, "2")
    seen = {k for k in recorder.observed if k in want}
    missing = sorted(want - seen)
    report = (f"openapi: {len(seen)}/{len(want)} documented 2xx answers seen; not seen: " +
              ", ".join(f"{m} {r} {st}" for m, r, st in missing))
    print(report)
    if missing:
        warnings.warn(report)  # shown in pytest's warnings summary even when the test passes
    assert len(seen) >= MIN_2XX_COVERAGE * len(want), (len(seen), len(want), missing)


def test_examples_match_their_schemas():
    """The document's own examples (of responses and of schemas) validate too: a reader
    copies them."""
    doc = openapi_check.load_doc()
    checker = openapi_check.Checker(doc)
    bad, n = [], 0
    for route, ops in doc["paths"].items():
        for method, op in ops.items():
            if method not in openapi_check.METHODS:
                continue
            for status, resp in op["responses"].items():
                resp = openapi_check.resolve(doc, resp)
                for mt, mobj in (resp.get("content") or {}).items():
                    if not openapi_check.is_json_media(openapi_check.media_type(mt)) or "schema" not in mobj:
                        continue
                    examples = [mobj["example"]] if "example" in mobj else []
                    examples += [openapi_check.resolve(doc, e)["value"] for e in mobj.get("examples", {}).values()]
                    for ex in examples:
                        n += 1
                        v = checker.validator((route, method, status, mt), mobj["schema"])
                        bad += [f"{method.upper()} {route} {status}: {e}" for e in openapi_check.errors(v, ex)]
    for name, schema in doc["components"]["schemas"].items():
        for ex in schema.get("examples", []):
            n += 1
            v = checker.validator(("schema", name), {"$ref": "#/components/schemas/" + name})
            bad += [f"schema {name}: {e}" for e in openapi_check.errors(v, ex)]
    assert n > 100, n
    assert not bad, "\n".join(bad)
