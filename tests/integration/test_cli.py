"""The admin CLI on the real database: migrations are idempotent, tenants and keys
are made and revoked, and a bad configuration stops it with file, line and reason."""

import json
import os
import subprocess
import tempfile

from conftest import certmill_cli, Api


def test_migrate_twice_is_safe(db):
    cur = db.cursor()
    cur.execute("SELECT max(version), count(*) FROM schema_migrations")
    before = cur.fetchone()
    out = certmill_cli("migrate")
    assert "0 migrations applied" in out
    cur.execute("SELECT max(version), count(*) FROM schema_migrations")
    assert cur.fetchone() == before
    assert before[0] >= 1


def test_tenant_create_prints_key_once(db, stack):
    name = "cli-" + os.urandom(4).hex()
    t = json.loads(certmill_cli("tenant", "create", name))
    assert t["name"] == name and t["id"].startswith("tnt_")
    assert t["api_key"].startswith("cm_") and len(t["api_key"]) >= 46
    # the key works, and only its hash is stored
    api = Api(stack["CERTMILL_URL"], t["api_key"])
    assert api.get("/v1/orders").status_code == 200
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM api_keys WHERE tenant_id = %s", (t["id"],))
    assert cur.fetchone()[0] == 1
    cur.execute("SELECT count(*) FROM api_keys WHERE encode(key_hash, 'escape') LIKE %s", ("%" + t["api_key"] + "%",))
    assert cur.fetchone()[0] == 0
    # listing shows the tenant, never a key
    listing = certmill_cli("tenant", "list")
    assert name in listing and t["api_key"] not in listing


def test_duplicate_tenant_name_is_refused(stack):
    name = "dup-" + os.urandom(4).hex()
    certmill_cli("tenant", "create", name)
    exe = os.path.join(stack["CERTMILL_BIN_DIR"], "certmill")
    r = subprocess.run([exe, "--config", stack["CERTMILL_CONFIG"], "tenant", "create", name],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "already exists" in r.stderr
    assert r.stdout == ""


def test_key_create_and_revoke(stack):
    t = json.loads(certmill_cli("tenant", "create", "keys-" + os.urandom(4).hex()))
    k = json.loads(certmill_cli("key", "create", t["name"]))
    assert k["tenant_id"] == t["id"]
    second = Api(stack["CERTMILL_URL"], k["api_key"])
    assert second.get("/v1/orders").status_code == 200
    certmill_cli("key", "revoke", k["id"])
    r = second.get("/v1/orders")
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    # the tenant's first key still works
    assert Api(stack["CERTMILL_URL"], t["api_key"]).get("/v1/orders").status_code == 200


def test_bad_configuration_names_file_and_line(stack):
    exe = os.path.join(stack["CERTMILL_BIN_DIR"], "certmill")
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("[database]\nconninfo = dbname=x\n[worker]\nlease_secs = 5\n")
    try:
        r = subprocess.run([exe, "--config", f.name, "migrate"], capture_output=True, text=True)
        assert r.returncode == 2
        assert f"{f.name}:4: unknown key 'lease_secs' in [worker]" in r.stderr
        with open(f.name, "w") as g:
            g.write("[worker]\nlease_seconds = -3\n")
        r = subprocess.run([exe, "--config", f.name, "migrate"], capture_output=True, text=True)
        assert r.returncode == 2 and f"{f.name}:2: lease_seconds must be" in r.stderr
    finally:
        os.unlink(f.name)


def test_order_list_shows_a_tenants_orders(new_tenant):
    t, api = new_tenant()
    r = api.post("/v1/orders", {"domains": ["cli-list.example.test"]})
    assert r.status_code == 202
    rows = json.loads(certmill_cli("order", "list", t["id"]))
    assert [o["id"] for o in rows] == [r.json()["id"]]
    assert rows[0]["tenant_id"] == t["id"]
