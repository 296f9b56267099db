"""A customer CSR (issue 4, point 3): the panel sends the CSR of a key only the customer
holds; certmill gets it issued by Pebble, never holds the key, and refuses CSRs whose
names, key or signature are wrong before anything is stored."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conftest import unique_name
from test_issuance import openssl_verify


def make_csr(key, names, cn=None):
    """PEM CSR of key for names (all as dNSName SANs), with the first name (or cn) as CN."""
    b = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn or names[0])]))
    b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture
def fresh(new_tenant):
    """A tenant of its own, so "no order row" is exact."""
    return new_tenant()


def order_rows(db, tenant_id):
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM orders WHERE tenant_id = %s", (tenant_id,))
    return cur.fetchone()[0]


def assert_problem(r, code, field):
    assert r.status_code == 422, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    p = r.json()
    assert p["code"] == code and p["field"] == field, p
    assert p["status"] == 422 and p["detail"]
    return p


def test_customer_csr_issued_without_our_key(stack, api, db):
    key = ec.generate_private_key(ec.SECP256R1())
    names = [unique_name("csr-www"), unique_name("csr-shop")]
    # the CSR lists the names in another order and case: the set is what counts
    r = api.post("/v1/orders", {"domains": names, "csr": make_csr(key, [names[1].upper(), names[0]])})
    assert r.status_code == 202, r.text
    order = r.json()
    assert order["key_source"] == "customer" and order["key_type"] == "ec-p256", order
    assert order["domains"] == names
    done = api.wait_order(order["id"])
    assert done["status"] == "issued", done
    assert done["key_source"] == "customer"
    cert = api.get(f"/v1/certificates/{done['certificate_id']}").json()
    assert sorted(cert["domains"]) == sorted(names)
    assert cert["key_type"] == "ec-p256"
    openssl_verify(stack, cert)
    leaf = x509.load_pem_x509_certificate(cert["certificate_pem"].encode())
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    # Pebble copies the CSR's names as written (a real CA lowercases them)
    assert sorted(n.lower() for n in sans.get_values_for_type(x509.DNSName)) == sorted(names)
    # the certificate is for the customer's own key
    assert spki(leaf.public_key()) == spki(key.public_key())
    # certmill has no key to give
    r = api.get(f"/v1/certificates/{cert['id']}/key")
    assert r.status_code == 404, r.text
    p = r.json()
    assert p["code"] == "key_not_available" and "customer" in p["detail"], p
    cur = db.cursor()
    cur.execute("SELECT key_sealed IS NULL, key_type FROM certificates WHERE id = %s", (cert["id"],))
    assert cur.fetchone() == (True, "ec-p256")
    cur.execute("SELECT key_sealed IS NULL, csr_der IS NOT NULL FROM orders WHERE id = %s", (done["id"],))
    assert cur.fetchone() == (True, True)


def test_customer_rsa_csr(stack, api):
    """An RSA-3072 CSR: the order's key_type is the CSR key's, and it is issued for that key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = unique_name("csr-rsa")
    # (a CSR naming its domain only in the CN is valid (RFC 8555 §7.4) but Pebble refuses it: SANs here)
    r = api.post("/v1/orders", {"domains": [name], "csr": make_csr(key, [name])})
    assert r.status_code == 202, r.text
    assert r.json()["key_type"] == "rsa-3072" and r.json()["key_source"] == "customer"
    done = api.wait_order(r.json()["id"])
    assert done["status"] == "issued", done
    cert = api.get(f"/v1/certificates/{done['certificate_id']}").json()
    openssl_verify(stack, cert)
    leaf = x509.load_pem_x509_certificate(cert["certificate_pem"].encode())
    assert spki(leaf.public_key()) == spki(key.public_key())
    assert cert["key_type"] == "rsa-3072"
    # an order without csr is still certmill's
    r = api.post("/v1/orders", {"domains": [unique_name("csr-none")]})
    assert r.status_code == 202 and r.json()["key_source"] == "certmill", r.text


def test_names_mismatch_refused(fresh, db):
    t, api = fresh
    key = ec.generate_private_key(ec.SECP256R1())
    a, b, c = unique_name("csr-a"), unique_name("csr-b"), unique_name("csr-c")
    r = api.post("/v1/orders", {"domains": [a, b], "csr": make_csr(key, [a, c])})
    p = assert_problem(r, "csr_names_mismatch", "csr")
    assert b in p["detail"] and c in p["detail"], p
    # a CN outside the SANs is a name of the CSR too
    r = api.post("/v1/orders", {"domains": [a], "csr": make_csr(key, [a], cn=b)})
    assert_problem(r, "csr_names_mismatch", "csr")
    assert order_rows(db, t["id"]) == 0


def test_bad_csrs_refused(fresh, db):
    t, api = fresh
    name = unique_name("csr-bad")
    garbage = "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgQ1NS\n-----END CERTIFICATE REQUEST-----\n"
    assert_problem(api.post("/v1/orders", {"domains": [name], "csr": garbage}), "invalid_csr", "csr")
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert_problem(api.post("/v1/orders", {"domains": [name], "csr": make_csr(weak, [name])}),
                   "csr_key_unsupported", "csr")
    good = make_csr(ec.generate_private_key(ec.SECP384R1()), [name])
    assert_problem(api.post("/v1/orders", {"domains": [name], "csr": good, "key_type": "ec-p384"}),
                   "invalid_field", "key_type")
    assert_problem(api.post("/v1/orders", {"domains": [name], "csr": good, "allow_partial": True}),
                   "invalid_field", "allow_partial")
    assert order_rows(db, t["id"]) == 0
