"""Several CAs per tenant (issue 4, point 1): a tenant's default CA and ordered fallback
list (`certmill tenant set-ca`), failover when a CA is down or refuses for a reason of its
own, the tenant's own EAB credentials (/v1/ca-credentials), and account deactivation when
a tenant is removed (`certmill tenant remove`)."""

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import acme_peek
from conftest import certmill_cli, unique_name
from dnsutil import nsupdate
from test_eab import verify_eab_chain
from test_issuance import check_issued


def _set_cas(tenant, default, *fallbacks):
    out = json.loads(certmill_cli("tenant", "set-ca", tenant["id"], default, *fallbacks))
    assert out["default_ca"] == (None if default == "-" else default)
    assert out["fallback_cas"] == list(fallbacks)


def _eab_key(stack):
    with open(os.path.join(stack["CM_STACK_DIR"], "secrets", "eab-hmac-key")) as f:
        return f.readline().strip()


def test_order_fails_over_from_a_down_ca_to_a_second_pebble(stack, new_tenant):
    tenant, api = new_tenant()
    # local-down: nothing listens at its directory URL (failover_after = 1 in the stack's config)
    _set_cas(tenant, "local-down", "local-eab")
    names = [unique_name("fo")]
    r = api.post("/v1/orders", {"domains": names})
    assert r.status_code == 202, r.text
    assert r.json()["ca"] == "local-down"
    assert r.json()["failover_cas"] == ["local-eab"]
    done = api.wait_order(r.json()["id"], timeout=180)
    assert done["status"] == "issued", done
    # the order records where it was issued and what happened at the CA it left
    assert done["ca"] == "local-eab"
    assert done["failover_cas"] == []
    assert [f["ca"] for f in done["failovers"]] == ["local-down"]
    assert done["failovers"][0]["code"] == "ca_unreachable"
    cert = api.get(f"/v1/certificates/{done['certificate_id']}").json()
    assert cert["ca"] == "local-eab"
    verify_eab_chain(stack, cert)  # signed by the second Pebble, not the first
    log = api.get(f"/v1/orders/{done['id']}/log").json()["data"]
    assert any("moving to the next CA, local-eab" in line["message"] for line in log), log


def test_refusal_of_one_ca_moves_the_order_at_once(stack, new_tenant):
    tenant, api = new_tenant()
    # local-eab-nokeys requires EAB and the server has no keys for it: eab_required, a
    # refusal another CA does not share
    _set_cas(tenant, "local-eab-nokeys", "local")
    names = [unique_name("fo2")]
    r = api.post("/v1/orders", {"domains": names})
    assert r.status_code == 202, r.text
    done = api.wait_order(r.json()["id"], timeout=120)
    assert done["status"] == "issued", done
    assert done["ca"] == "local"
    assert [(f["ca"], f["code"]) for f in done["failovers"]] == [("local-eab-nokeys", "eab_required")]
    check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)


def test_caa_forbidding_the_ca_moves_the_order(stack, new_tenant):
    tenant, api = new_tenant()
    _set_cas(tenant, "local", "local-eab")
    # CAA allows only the second Pebble's identity (eab.pebble.test in the stack's config)
    name = unique_name("caafo")
    nsupdate(f'update add {name} 60 CAA 0 issue "eab.pebble.test"', f"update add {name} 60 A 127.0.0.1")
    try:
        r = api.post("/v1/orders", {"domains": [name]})
        assert r.status_code == 202, r.text
        done = api.wait_order(r.json()["id"], timeout=120)
        assert done["status"] == "issued", done
        assert done["ca"] == "local-eab"
        assert [(f["ca"], f["code"]) for f in done["failovers"]] == [("local", "caa_forbids_ca")]
        verify_eab_chain(stack, api.get(f"/v1/certificates/{done['certificate_id']}").json())
    finally:
        nsupdate(f"update delete {name} CAA", f"update delete {name} A")


def test_order_naming_its_ca_does_not_fail_over(stack, new_tenant):
    tenant, api = new_tenant()
    _set_cas(tenant, "local", "local-eab")
    r = api.post("/v1/orders", {"domains": [unique_name("named")], "ca": "local-eab-nokeys"})
    assert r.status_code == 202, r.text
    assert r.json()["failover_cas"] == []
    done = api.wait_order(r.json()["id"], timeout=60)
    assert done["status"] == "failed", done
    assert done["problem"]["code"] == "eab_required"
    assert done["ca"] == "local-eab-nokeys" and done["failovers"] == []


def test_tenant_default_ca_applies_and_unknown_ca_is_refused(stack, new_tenant):
    tenant, api = new_tenant()
    _set_cas(tenant, "local-eab")
    names = [unique_name("dflt")]
    r = api.post("/v1/orders", {"domains": names})
    assert r.status_code == 202 and r.json()["ca"] == "local-eab", r.text
    done = api.wait_order(r.json()["id"], timeout=120)
    assert done["status"] == "issued", done
    # set-ca checks every name against the configuration
    with pytest.raises(Exception):
        certmill_cli("tenant", "set-ca", tenant["id"], "local", "no-such-ca")


def test_tenant_brings_its_own_eab_credentials(stack, new_tenant, db):
    tenant, api = new_tenant()
    key = _eab_key(stack)
    # wrong key first: the CA refuses the binding, the order fails once with eab_rejected
    bad = base64.urlsafe_b64encode(b"\x01" * 32).rstrip(b"=").decode()
    r = api.s.put(api.base + "/v1/ca-credentials/local-eab-nokeys", headers=api._h({"Content-Type": "application/json"}),
                  data=json.dumps({"eab_kid": "kid-1", "eab_hmac_key": bad}), timeout=30)
    assert r.status_code == 200, r.text
    r = api.post("/v1/orders", {"domains": [unique_name("teab-bad")], "ca": "local-eab-nokeys"})
    done = api.wait_order(r.json()["id"], timeout=60)
    assert done["status"] == "failed" and done["problem"]["code"] == "eab_rejected", done
    # the right key: write-only, sealed at rest, and the order is issued with it
    r = api.s.put(api.base + "/v1/ca-credentials/local-eab-nokeys", headers=api._h({"Content-Type": "application/json"}),
                  data=json.dumps({"eab_kid": "kid-1", "eab_hmac_key": key, "eab_alg": "HS256"}), timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ca"] == "local-eab-nokeys" and body["eab_kid"] == "kid-1" and body["eab_alg"] == "HS256"
    assert key not in r.text and "eab_hmac_key" not in body
    listed = api.get("/v1/ca-credentials").json()
    assert [c["ca"] for c in listed["data"]] == ["local-eab-nokeys"] and key not in json.dumps(listed)
    cur = db.cursor()
    cur.execute("SELECT hmac_sealed FROM tenant_eab WHERE tenant_id = %s", (tenant["id"],))
    sealed = bytes(cur.fetchone()[0])
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert raw not in sealed and key.encode() not in sealed
    # the failed first try left an account row without URL: the next order registers it with the new key
    names = [unique_name("teab")]
    r = api.post("/v1/orders", {"domains": names, "ca": "local-eab-nokeys"})
    done = api.wait_order(r.json()["id"], timeout=120)
    assert done["status"] == "issued", done
    verify_eab_chain(stack, api.get(f"/v1/certificates/{done['certificate_id']}").json())
    # errors: unknown CA, bad key, unknown field; delete
    h = api._h({"Content-Type": "application/json"})
    r = api.s.put(api.base + "/v1/ca-credentials/no-such-ca", headers=h,
                  data=json.dumps({"eab_kid": "k", "eab_hmac_key": key}), timeout=30)
    assert r.status_code == 404 and r.json()["code"] == "not_found", r.text
    r = api.s.put(api.base + "/v1/ca-credentials/local-eab", headers=h,
                  data=json.dumps({"eab_kid": "k", "eab_hmac_key": "not base64url!"}), timeout=30)
    assert r.status_code == 422 and r.json()["code"] == "invalid_field" and r.json()["field"] == "eab_hmac_key"
    r = api.s.put(api.base + "/v1/ca-credentials/local-eab", headers=h,
                  data=json.dumps({"eab_kid": "k", "eab_hmac_key": key, "extra": 1}), timeout=30)
    assert r.status_code == 400 and r.json()["code"] == "unknown_field"
    r = api.s.delete(api.base + "/v1/ca-credentials/local-eab-nokeys", headers=api._h(None), timeout=30)
    assert r.status_code == 204
    assert api.get("/v1/ca-credentials/local-eab-nokeys").status_code == 404


def test_tenant_removal_deactivates_its_accounts(stack, new_tenant, db):
    tenant, api = new_tenant()
    names = [unique_name("gone")]
    r = api.post("/v1/orders", {"domains": names})
    done = api.wait_order(r.json()["id"], timeout=120)
    assert done["status"] == "issued", done
    key, url = acme_peek.account(db, stack, tenant["id"], "local")
    client = acme_peek.Client(stack)
    assert client.post_as_get(key, url, url).json()["status"] == "valid"
    out = json.loads(certmill_cli("tenant", "remove", tenant["id"]).splitlines()[-1])
    assert out == {"tenant_id": tenant["id"], "removed": True}
    # the CA refuses the account from now on
    r = client.post_as_get(key, url, url)
    assert r.status_code in (401, 403), r.text
    assert "deactivated" in r.text
    # and nothing of the tenant is left
    cur = db.cursor()
    for table in ("tenants", "orders", "certificates", "acme_accounts", "api_keys"):
        col = "id" if table == "tenants" else "tenant_id"
        cur.execute(f"SELECT count(*) FROM {table} WHERE {col} = %s", (tenant["id"],))
        assert cur.fetchone()[0] == 0, table
    assert api.get("/v1/orders").status_code == 401
