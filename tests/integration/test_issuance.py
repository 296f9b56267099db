"""The spine, end to end: a panel orders a certificate over the API and gets it from
Pebble through real HTTP-01 validation (BIND resolves the names, nginx serves the
tokens from PostgreSQL), and certmill survives a worker killed mid-order."""

import os
import subprocess
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import stack_ctl, unique_name
import acme_peek


def openssl_verify(stack, cert):
    """Runs `openssl verify` on the leaf with the chain as untrusted, against the CA root."""
    with tempfile.TemporaryDirectory() as d:
        leaf, chain = os.path.join(d, "leaf.pem"), os.path.join(d, "chain.pem")
        open(leaf, "w").write(cert["certificate_pem"])
        open(chain, "w").write(cert["chain_pem"])
        r = subprocess.run(["openssl", "verify", "-CAfile", stack["CERTMILL_CA_ROOT"], "-untrusted", chain, leaf],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        full = os.path.join(d, "full.pem")
        open(full, "w").write(cert["fullchain_pem"])
        # the fullchain starts with the leaf and carries the chain
        assert cert["fullchain_pem"].startswith(cert["certificate_pem"].strip()[:64])


def issue(api, names, key_type):
    r = api.post("/v1/orders", {"domains": names, "challenge": "http-01", "key_type": key_type})
    assert r.status_code == 202, r.text
    order = r.json()
    assert r.headers["Location"].endswith("/v1/orders/" + order["id"])
    assert order["status"] in ("queued", "pending_validation", "issuing", "issued")
    assert order["domains"] == names
    return order


def check_issued(stack, api, order, names, key_class):
    assert order["status"] == "issued", order
    assert order["problem"] is None
    # an authorization names the identifier; a wildcard's carries "wildcard": true (RFC 8555 §7.1.4)
    assert {("*." if a["wildcard"] else "") + a["domain"] for a in order["authorizations"]} == set(names)
    assert all(a["status"] == "valid" for a in order["authorizations"])
    r = api.get(f"/v1/certificates/{order['certificate_id']}")
    assert r.status_code == 200, r.text
    cert = r.json()
    assert cert["status"] == "active"
    assert sorted(cert["domains"]) == sorted(names)
    openssl_verify(stack, cert)
    leaf = x509.load_pem_x509_certificate(cert["certificate_pem"].encode())
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(sans.get_values_for_type(x509.DNSName)) == sorted(names)
    assert format(leaf.serial_number, "x") == cert["serial"].lower().lstrip("0")
    # the key certmill made is the certificate's key
    r = api.get(f"/v1/certificates/{cert['id']}/key")
    assert r.status_code == 200, r.text
    key = serialization.load_pem_private_key(r.json()["key_pem"].encode(), None)
    assert isinstance(key, key_class)
    pub = lambda k: k.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert pub(key.public_key()) == pub(leaf.public_key())
    return cert, key


def test_two_names_ec_p256(stack, api):
    names = [unique_name("www"), unique_name("shop")]
    order = issue(api, names, "ec-p256")
    done = api.wait_order(order["id"])
    cert, key = check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"
    assert cert["key_type"] == "ec-p256"


def test_rsa_2048(stack, api):
    names = [unique_name("rsa")]
    order = issue(api, names, "rsa-2048")
    done = api.wait_order(order["id"])
    _, key = check_issued(stack, api, done, names, rsa.RSAPrivateKey)
    assert key.key_size == 2048


def test_listing_shows_the_new_order_and_certificate(api):
    names = [unique_name("list")]
    order = issue(api, names, "ec-p256")
    done = api.wait_order(order["id"])
    assert done["status"] == "issued"
    orders = api.get("/v1/orders?limit=5").json()
    assert order["id"] in [o["id"] for o in orders["data"]]
    certs = api.get("/v1/certificates?limit=5").json()
    assert done["certificate_id"] in [c["id"] for c in certs["data"]]


def test_keys_at_rest_are_encrypted(stack, db, api):
    """A dump of the database holds no private key and no API key in clear."""
    names = [unique_name("dump")]
    done = api.wait_order(issue(api, names, "ec-p256")["id"])
    assert done["status"] == "issued"
    url = stack["CERTMILL_DB_URL"]
    dump = subprocess.run(["pg_dump", "--data-only", url], capture_output=True, text=True, check=True).stdout
    assert "PRIVATE KEY" not in dump
    assert stack["CERTMILL_API_KEY"] not in dump
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM certificates WHERE key_sealed IS NOT NULL")
    assert cur.fetchone()[0] >= 1


def test_worker_killed_mid_order(stack, db, new_tenant):
    """SIGKILL the only worker once the CA order exists; another worker finishes the
    same ACME order after the lease runs out, and the CA saw exactly one order."""
    tenant, api = new_tenant()
    stack_ctl("stop-worker", "2")
    try:
        names = [unique_name("kill"), unique_name("kill")]
        order = issue(api, names, "ec-p256")
        cur = db.cursor()
        deadline = time.time() + 60
        url = None
        while time.time() < deadline and not url:
            cur.execute("SELECT acme_order_url FROM orders WHERE id = %s", (order["id"],))
            url = cur.fetchone()[0]
            if not url:
                time.sleep(0.02)
        assert url, "the worker never created the ACME order"
        stack_ctl("kill-worker", "1")
        cur.execute("SELECT status FROM orders WHERE id = %s", (order["id"],))
        assert cur.fetchone()[0] != "issued", "the order finished before the kill: the test proves nothing"
        stack_ctl("start-worker", "2")
        done = api.wait_order(order["id"], timeout=240)
        check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)
        cur.execute("SELECT acme_order_url FROM orders WHERE id = %s", (order["id"],))
        assert cur.fetchone()[0] == url
        assert acme_peek.account_orders(db, stack, tenant["id"]) == [url]
        cur.execute("SELECT count(*) FROM jobs WHERE order_id = %s", (order["id"],))
        assert cur.fetchone()[0] == 0
    finally:
        stack_ctl("start-worker", "1")
        stack_ctl("start-worker", "2")
