"""Fixtures for the multi-host topology tests (issue 10): they run inside the client
namespace of the cluster scripts/cluster.sh builds (scripts/test-cluster.sh starts them),
so every host is reachable at its own 127.10.0.X address. The cluster's coordinates come
from its cluster.env, found through CM_CLUSTER_DIR."""

import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import psycopg2
import pytest
import requests

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import acme_peek  # noqa: E402  (the CA-side check of the chaos test, reused)

FINAL = ("issued", "failed", "cancelled")


def _load_env():
    """Reads KEY=VALUE lines of cluster.env."""
    d = os.environ.get("CM_CLUSTER_DIR", os.path.join(REPO, "var", "cluster"))
    env = {}
    path = os.path.join(d, "cluster.env")
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                v = v[1:-1]
            env[k] = v
    env.setdefault("CM_STACK_DIR", d)
    return env


CLUSTER = _load_env()


class Fronts:
    """A client of the certmill API that alternates between the front hosts, as a panel
    behind a round-robin balancer would; a request that gets no answer from one front
    is not retried here (the test decides what a failed request means)."""

    def __init__(self, bases, key):
        self.bases = [b.rstrip("/") for b in bases]
        self.key = key
        self.next = itertools.cycle(range(len(self.bases)))
        self.s = requests.Session()

    def _h(self):
        return {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}

    def get(self, path, base=None):
        base = base or self.bases[next(self.next)]
        return self.s.get(base + path, headers=self._h(), timeout=30)

    def post(self, path, body, base=None):
        base = base or self.bases[next(self.next)]
        return self.s.post(base + path, data=json.dumps(body), headers=self._h(), timeout=30)

    def order(self, name, base=None):
        """Posts an HTTP-01 order for name; returns the response."""
        return self.post("/v1/orders", {"domains": [name], "challenge": "http-01"}, base)


def cluster_ctl(*args):
    """Runs scripts/cluster.sh on this cluster (stop-nginx, link-down, failover, ...)."""
    env = dict(os.environ, CM_CLUSTER_DIR=CLUSTER["CM_STACK_DIR"])
    subprocess.run([os.path.join(REPO, "scripts", "cluster.sh"), *args], check=True, env=env, timeout=120)


def certmill_cli(*args):
    exe = os.path.join(CLUSTER["CERTMILL_BIN_DIR"], "certmill")
    return subprocess.run([exe, "--config", CLUSTER["CERTMILL_CONFIG"], *args],
                          check=True, capture_output=True, text=True, timeout=60).stdout


def unique_name(prefix="t"):
    """A fresh name under example.test (BIND answers both fronts' addresses for it)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}.example.test"


def db_connect():
    """A psycopg2 connection (autocommit) with the owner's multi-host conninfo: it finds
    the primary, whichever host that is."""
    conn = psycopg2.connect(CLUSTER["CERTMILL_DB_DSN"])
    conn.autocommit = True
    return conn


def wait_final(ids, timeout):
    """Polls the database until every order of ids is final; returns {id: status}. A
    connection lost (a failover) is opened again."""
    deadline = time.time() + timeout
    done = {}
    conn = None
    while time.time() < deadline and len(done) < len(ids):
        try:
            conn = conn or db_connect()
            cur = conn.cursor()
            cur.execute("SELECT id, status FROM orders WHERE id = ANY(%s) AND status = ANY(%s)",
                        ([i for i in ids if i not in done], list(FINAL)))
            done.update(dict(cur.fetchall()))
        except psycopg2.Error:
            conn = None
        time.sleep(0.5)
    if conn:
        conn.close()
    return done


def describe(ids):
    """For an assertion message: the state of the orders of ids that are not final (their
    status, step, job lease and last error)."""
    try:
        conn = db_connect()
        cur = conn.cursor()
        cur.execute("SELECT o.id, o.status, o.step, j.due_at, j.lease_owner, j.lease_until, j.attempts,"
                    " j.last_error FROM orders o LEFT JOIN jobs j ON j.order_id = o.id"
                    " WHERE o.id = ANY(%s) AND o.status <> ALL(%s) LIMIT 5", (list(ids), list(FINAL)))
        rows = cur.fetchall()
        conn.close()
        return rows
    except psycopg2.Error as e:
        return str(e)


def problems(ids):
    """For an assertion message: the code and detail of each order of ids that failed."""
    try:
        conn = db_connect()
        cur = conn.cursor()
        cur.execute("SELECT id, problem->>'code', problem->>'detail' FROM orders"
                    " WHERE id = ANY(%s) AND status = 'failed' LIMIT 5", (list(ids),))
        rows = cur.fetchall()
        conn.close()
        return rows
    except psycopg2.Error as e:
        return str(e)


def openssl_verify(cert):
    """`openssl verify` of the leaf, the chain untrusted, against Pebble's root."""
    with tempfile.TemporaryDirectory() as d:
        leaf, chain = os.path.join(d, "leaf.pem"), os.path.join(d, "chain.pem")
        open(leaf, "w").write(cert["certificate_pem"])
        open(chain, "w").write(cert["chain_pem"])
        r = subprocess.run(["openssl", "verify", "-CAfile", CLUSTER["CERTMILL_CA_ROOT"], "-untrusted", chain, leaf],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr


def ca_orders(db, tenant_id):
    """The order URLs Pebble lists for the tenant's account."""
    stack = {"CM_STACK_DIR": CLUSTER["CM_STACK_DIR"], "CERTMILL_PEBBLE_TLS_CA": CLUSTER["CERTMILL_PEBBLE_TLS_CA"],
             "CERTMILL_PEBBLE_URL": CLUSTER["CERTMILL_PEBBLE_URL"]}
    return acme_peek.account_orders(db, stack, tenant_id)


@pytest.fixture(scope="session")
def cluster():
    if "CERTMILL_CLUSTER_FRONTS" not in CLUSTER:
        pytest.fail("no running cluster: run the tests through `make test-cluster`")
    return CLUSTER


@pytest.fixture
def new_tenant(cluster):
    """A fresh tenant (so the CA-side account holds only this test's orders); returns
    (tenant JSON, Fronts client)."""
    def make():
        t = json.loads(certmill_cli("tenant", "create", "t-" + uuid.uuid4().hex[:12]))
        return t, Fronts(cluster["CERTMILL_CLUSTER_FRONTS"].split(), t["api_key"])
    return make


@pytest.fixture
def db(cluster):
    conn = db_connect()
    yield conn
    conn.close()
