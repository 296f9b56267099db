"""External Account Binding (RFC 8555 §7.3.4) against a second Pebble that requires it
(pebble-eab, see scripts/stack.sh): with the CA's EAB keys an order is issued; without
them the order fails once with a permanent problem that says what to configure, and the
worker does not keep asking the CA."""

import os
import subprocess
import tempfile
import time

from cryptography import x509

from conftest import unique_name


def verify_eab_chain(stack, cert):
    """`openssl verify` of the leaf, the chain untrusted, against pebble-eab's root."""
    with tempfile.TemporaryDirectory() as d:
        leaf, chain = os.path.join(d, "leaf.pem"), os.path.join(d, "chain.pem")
        with open(leaf, "w") as f:
            f.write(cert["certificate_pem"])
        with open(chain, "w") as f:
            f.write(cert["chain_pem"])
        r = subprocess.run(["openssl", "verify", "-CAfile", stack["CERTMILL_EAB_CA_ROOT"], "-untrusted", chain, leaf],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        # not the first Pebble's root: the certificate really came from pebble-eab
        r = subprocess.run(["openssl", "verify", "-CAfile", stack["CERTMILL_CA_ROOT"], "-untrusted", chain, leaf],
                           capture_output=True, text=True)
        assert r.returncode != 0


def test_issued_with_eab_keys(stack, new_tenant):
    _, api = new_tenant()
    names = [unique_name("eab")]
    r = api.post("/v1/orders", {"domains": names, "challenge": "http-01", "ca": "local-eab"})
    assert r.status_code == 202, r.text
    assert r.json()["ca"] == "local-eab"
    done = api.wait_order(r.json()["id"], timeout=180)
    assert done["status"] == "issued", done
    assert done["problem"] is None
    r = api.get(f"/v1/certificates/{done['certificate_id']}")
    assert r.status_code == 200, r.text
    cert = r.json()
    assert cert["status"] == "active"
    assert sorted(cert["domains"]) == sorted(names)
    verify_eab_chain(stack, cert)
    leaf = x509.load_pem_x509_certificate(cert["certificate_pem"].encode())
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(sans.get_values_for_type(x509.DNSName)) == sorted(names)


def test_without_eab_keys_fails_once(stack, new_tenant, db):
    tenant, api = new_tenant()
    names = [unique_name("noeab")]
    t0 = time.time()
    r = api.post("/v1/orders", {"domains": names, "challenge": "http-01", "ca": "local-eab-nokeys"})
    assert r.status_code == 202, r.text
    oid = r.json()["id"]
    done = api.wait_order(oid, timeout=60)
    elapsed = time.time() - t0
    assert done["status"] == "failed", done
    p = done["problem"]
    assert p["code"] in ("eab_required", "eab_rejected"), p
    assert p["retryable"] is False
    assert "eab_kid" in p["detail"] and "eab_hmac_key" in p["detail"], p
    assert "next_attempt_at" not in p
    assert p["ca_problem"]["type"].startswith("urn:ietf:params:acme:error:")
    # failed at the first try, not after a backoff schedule
    assert elapsed < 30, elapsed
    # exactly one newAccount attempt: one refusal in the order's log, and no job left to retry
    log = api.get(f"/v1/orders/{oid}/log")
    assert log.status_code == 200, log.text
    lines = [e["message"] for e in log.json()["data"]]
    assert sum(1 for m in lines if m.startswith("newAccount: the CA")) == 1, lines
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM jobs WHERE order_id = %s", (oid,))
        assert cur.fetchone()[0] == 0
        # no account URL was stored for the tenant at that CA
        cur.execute("SELECT count(*) FROM acme_accounts WHERE tenant_id = %s AND ca = %s AND url IS NOT NULL",
                    (tenant["id"], "local-eab-nokeys"))
        assert cur.fetchone()[0] == 0
    # the order stays failed: nothing retries it later
    time.sleep(3)
    assert api.get(f"/v1/orders/{oid}").json()["status"] == "failed"


def test_reused_valid_authorization_is_not_answered_again(stack, new_tenant, db):
    """pebble-eab reuses every valid authorization of an account (PEBBLE_AUTHZREUSE=100):
    a second order for the same name gets the authorization already valid, and certmill
    stores it as valid without answering its challenge again."""
    _, api = new_tenant()
    names = [unique_name("reuse")]
    first = api.wait_order(api.post("/v1/orders", {"domains": names, "ca": "local-eab"}).json()["id"], timeout=120)
    assert first["status"] == "issued", first
    second = api.wait_order(api.post("/v1/orders", {"domains": names, "ca": "local-eab"}).json()["id"], timeout=120)
    assert second["status"] == "issued", second
    cur = db.cursor()
    cur.execute("SELECT order_id, url, status, responded_at IS NOT NULL FROM authorizations"
                " WHERE order_id IN (%s, %s) ORDER BY id", (first["id"], second["id"]))
    rows = cur.fetchall()
    assert len(rows) == 2, rows
    (o1, url1, st1, answered1), (o2, url2, st2, answered2) = rows
    assert (o1, o2) == (first["id"], second["id"])
    assert url1 == url2  # the CA handed out the same authorization
    assert st1 == st2 == "valid"
    assert answered1 is True and answered2 is False
    assert second["certificate_id"] != first["certificate_id"]
