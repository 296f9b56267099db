"""Fixtures for the integration tests: they run against the real stack that
scripts/test.sh starts (PostgreSQL, Pebble, BIND, nginx, certmill-fcgi, workers).
The stack's coordinates come from its stack.env, found through CM_STACK_DIR."""

import json
import os
import subprocess
import time
import uuid

import psycopg2
import pytest
import requests

import openapi_check

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _load_env():
    """Reads KEY=VALUE lines of the stack's stack.env (environment wins)."""
    stack_dir = os.environ.get("CM_STACK_DIR", os.path.join(REPO, "var", "test"))
    env = {}
    path = os.path.join(stack_dir, "stack.env")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#") or "=" not in line:
                    continue
                k, v = line.split("=", 1)
                if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                    v = v[1:-1]
                env[k] = v
    for k in list(env):
        env[k] = os.environ.get(k, env[k])
    env.setdefault("CM_STACK_DIR", stack_dir)
    return env


STACK = _load_env()

# Every answer of the API to any requests.Session of the tests is recorded and, at the
# end of the run, validated against docs/openapi.yaml (test_openapi_responses.py).
openapi_check.install(STACK)
# The module that validates the recorded answers: it runs after all the others.
LAST_MODULE = "test_openapi_responses.py"


def pytest_collection_modifyitems(session, config, items):
    """Moves the response validation to the end, after every test that records answers."""
    last = [i for i in items if i.fspath.basename == LAST_MODULE]
    items[:] = [i for i in items if i.fspath.basename != LAST_MODULE] + last


def pytest_deselected(items):
    """Notes that a -k/-m selection left tests out (the coverage check then stands down)."""
    openapi_check.DESELECTED += len(items)


class Api:
    """A client of the certmill API with one tenant's key."""

    def __init__(self, base, key):
        self.base = base.rstrip("/")
        self.key = key
        self.s = requests.Session()

    def _h(self, headers):
        h = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        h.update(headers or {})
        return h

    def get(self, path, headers=None, **kw):
        return self.s.get(self.base + path, headers=self._h(headers), timeout=30, **kw)

    def post(self, path, body=None, headers=None, data=None, **kw):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        if data is None and body is not None:
            data = json.dumps(body)
        return self.s.post(self.base + path, data=data, headers=self._h(h), timeout=30, **kw)

    def wait_order(self, order_id, until=("issued", "failed", "cancelled"), timeout=180):
        """Polls an order until its status is one of `until`; returns the last body."""
        deadline = time.time() + timeout
        body = None
        while time.time() < deadline:
            r = self.get(f"/v1/orders/{order_id}")
            assert r.status_code == 200, r.text
            body = r.json()
            if body["status"] in until:
                return body
            time.sleep(0.5)
        raise AssertionError(f"order {order_id} still {body and body['status']} after {timeout}s")


def certmill_cli(*args):
    """Runs the admin CLI against the test stack's configuration; returns stdout."""
    exe = os.path.join(STACK.get("CERTMILL_BIN_DIR", os.path.join(REPO, "build", "asan", "bin")), "certmill")
    out = subprocess.run([exe, "--config", STACK["CERTMILL_CONFIG"], *args],
                         check=True, capture_output=True, text=True, timeout=60)
    return out.stdout


def stack_ctl(*args):
    """Runs scripts/stack.sh on the test stack (start-worker, kill-worker, ...)."""
    env = dict(os.environ)
    env.setdefault("CM_STACK_DIR", STACK["CM_STACK_DIR"])
    subprocess.run([os.path.join(REPO, "scripts", "stack.sh"), *args], check=True, env=env, timeout=120)


@pytest.fixture(scope="session")
def stack():
    if "CERTMILL_URL" not in STACK:
        pytest.fail("no running test stack: run the tests through `make test`")
    return STACK


@pytest.fixture(scope="session")
def api(stack):
    """The demo tenant's client."""
    return Api(stack["CERTMILL_URL"], stack["CERTMILL_API_KEY"])


@pytest.fixture
def new_tenant(stack):
    """Creates a fresh tenant with the CLI; returns (tenant JSON, Api)."""
    def make():
        t = json.loads(certmill_cli("tenant", "create", "t-" + uuid.uuid4().hex[:12]))
        return t, Api(stack["CERTMILL_URL"], t["api_key"])
    return make


@pytest.fixture
def db(stack):
    """A psycopg2 connection to the stack's database (autocommit)."""
    conn = psycopg2.connect(stack["CERTMILL_DB_URL"])
    conn.autocommit = True
    yield conn
    conn.close()


def unique_name(prefix="t"):
    """A fresh name under example.test (BIND's wildcard points it at 127.0.0.1)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}.example.test"
