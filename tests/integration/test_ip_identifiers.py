"""IP identifiers (RFC 8738): an order for an IP address is validated by Pebble over
HTTP-01 (nginx on the address, certmill's responder) and over TLS-ALPN-01 (Pebble sends
the reverse-DNS name as SNI; certmill-alpn answers with the address in an iPAddress SAN),
for 127.0.0.1 and ::1 (nginx and certmill-alpn of the stack listen on both),
and the certificate carries the address as an iPAddress SAN that `openssl verify`
accepts. The API refuses what RFC 8738 does not allow.

Each issuing test uses a fresh tenant (a new ACME account): Pebble reuses valid
authorizations of an account, which would skip the challenge under test."""

import ipaddress
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import unique_name
from test_alpn import alpn_addr, handshake, pending  # noqa: F401 — pending is a fixture
from test_issuance import openssl_verify


def issue_ip(stack, api, names, challenge):
    """Orders names over challenge, waits, and checks the certificate like a user would."""
    r = api.post("/v1/orders", {"domains": names, "challenge": challenge})
    assert r.status_code == 202, r.text
    order = r.json()
    done = api.wait_order(order["id"])
    assert done["status"] == "issued", done
    assert {a["domain"] for a in done["authorizations"]} == set(names)
    assert {a["challenge"] for a in done["authorizations"]} == {challenge}
    assert all(a["status"] == "valid" for a in done["authorizations"])
    cert = api.get(f"/v1/certificates/{done['certificate_id']}").json()
    assert sorted(cert["domains"]) == sorted(names)
    openssl_verify(stack, cert)
    leaf = x509.load_pem_x509_certificate(cert["certificate_pem"].encode())
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return done, cert, san


def test_ipv4_over_http01(stack, new_tenant):
    _, api = new_tenant()
    done, cert, san = issue_ip(stack, api, ["127.0.0.1"], "http-01")
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert san.get_values_for_type(x509.DNSName) == []
    # Pre-flight passed the address: no DNS lookup (BIND would answer NXDOMAIN), the self-check on it.
    assert done["preflight"] == [{"domain": "127.0.0.1", "ok": True}]


def test_ipv4_with_dns_name_over_tls_alpn01(stack, new_tenant):
    """Pebble sends 1.0.0.127.in-addr.arpa as SNI; certmill-alpn answers with 127.0.0.1."""
    _, api = new_tenant()
    dns = unique_name("ipalpn")
    _, cert, san = issue_ip(stack, api, ["127.0.0.1", dns], "tls-alpn-01")
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert san.get_values_for_type(x509.DNSName) == [dns]
    # The address is never put in the CN; the DNS name is.
    leaf = x509.load_pem_x509_certificate(cert["certificate_pem"].encode())
    cns = [a.value for a in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    assert "127.0.0.1" not in cns


def test_ipv6_over_http01(stack, new_tenant):
    """::1 over HTTP-01: the stack's nginx listens on [::1] as well."""
    _, api = new_tenant()
    r = api.post("/v1/orders", {"domains": ["0:0::1"], "challenge": "http-01"})
    assert r.status_code == 202, r.text
    assert r.json()["domains"] == ["::1"]  # RFC 5952 form
    done = api.wait_order(r.json()["id"])
    assert done["status"] == "issued", done
    cert = api.get(f"/v1/certificates/{done['certificate_id']}").json()
    openssl_verify(stack, cert)
    leaf = x509.load_pem_x509_certificate(cert["certificate_pem"].encode())
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("::1")]
    # The list filter normalises an address like the order's names.
    r = api.get("/v1/certificates", params={"domain": "[0:0::1]"})
    assert r.status_code == 200, r.text
    assert [c["id"] for c in r.json()["data"]] == [cert["id"]]


def test_ipv6_over_tls_alpn01(stack, new_tenant):
    """::1 over TLS-ALPN-01: certmill-alpn listens on [::1] too; Pebble sends the ip6.arpa name as SNI."""
    _, api = new_tenant()
    _, _, san = issue_ip(stack, api, ["::1"], "tls-alpn-01")
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("::1")]


def test_customer_csr_with_ip_san(stack, new_tenant):
    """A customer's CSR naming 127.0.0.1 as an iPAddress SAN matches the order's address."""
    _, api = new_tenant()
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([]))
           .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                          critical=False)
           .sign(key, hashes.SHA256()))
    pem = csr.public_bytes(serialization.Encoding.PEM).decode()
    r = api.post("/v1/orders", {"domains": ["127.0.0.1"], "challenge": "http-01", "csr": pem})
    assert r.status_code == 202, r.text
    done = api.wait_order(r.json()["id"])
    assert done["status"] == "issued", done
    cert = api.get(f"/v1/certificates/{done['certificate_id']}").json()
    openssl_verify(stack, cert)
    leaf = x509.load_pem_x509_certificate(cert["certificate_pem"].encode())
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    pub = lambda k: k.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert pub(leaf.public_key()) == pub(key.public_key())
    # ...and a CSR whose address differs from the order's is refused before anything is stored.
    r = api.post("/v1/orders", {"domains": ["127.0.0.2"], "challenge": "http-01", "csr": pem})
    assert r.status_code == 422 and r.json()["code"] == "csr_names_mismatch", r.text


def test_alpn_reverse_name_serves_ip_san(stack, pending):  # noqa: F811
    """The responder alone: the reverse-DNS SNI of an address gets its challenge certificate."""
    pending("127.0.0.9", "ipv4tok.thumb")
    der, proto, _ = handshake(stack, "9.0.0.127.in-addr.arpa")
    assert proto == "acme-tls/1"
    cert = x509.load_der_x509_certificate(der)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(san) == [x509.IPAddress(ipaddress.ip_address("127.0.0.9"))]
    pending("2001:db8::9", "ipv6tok.thumb")
    nibbles = ".".join(reversed(ipaddress.ip_address("2001:db8::9").exploded.replace(":", "")))
    der, _, _ = handshake(stack, nibbles.upper() + ".IP6.ARPA")
    san = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(san) == [x509.IPAddress(ipaddress.ip_address("2001:db8::9"))]
    # The same answer on certmill-alpn's IPv6 listener ([alpn] listen has both addresses).
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.set_alpn_protocols(["acme-tls/1"])
    with socket.create_connection(("::1", alpn_addr(stack)[1]), timeout=10) as sock:
        with ctx.wrap_socket(sock, server_hostname="9.0.0.127.in-addr.arpa") as tls:
            cert = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(san) == [x509.IPAddress(ipaddress.ip_address("127.0.0.9"))]


def assert_refused(api, body, code, field):
    r = api.post("/v1/orders", body)
    assert r.status_code == 422, r.text
    p = r.json()
    assert p["code"] == code, p
    assert p["field"] == field, p
    assert r.headers["Content-Type"].startswith("application/problem+json")
    return p


@pytest.mark.parametrize("body,code,field", [
    ({"domains": ["192.0.2.1"], "challenge": "dns-01"}, "ip_dns01_unsupported", "domains[0]"),
    ({"domains": ["example.test", "2001:db8::1"], "challenge": "dns-01"}, "ip_dns01_unsupported", "domains[1]"),
    ({"domains": ["*.192.0.2.1"], "challenge": "http-01"}, "ip_wildcard", "domains[0]"),
    ({"domains": ["192.0.2.*"], "challenge": "http-01"}, "ip_wildcard", "domains[0]"),
    ({"domains": ["::ffff:192.0.2.1"], "challenge": "http-01"}, "invalid_ip", "domains[0]"),
    ({"domains": ["fe80::1%eth0"], "challenge": "http-01"}, "invalid_ip", "domains[0]"),
    ({"domains": ["192.0.2.01"], "challenge": "http-01"}, "invalid_ip", "domains[0]"),
    ({"domains": ["2001:db8::g"], "challenge": "http-01"}, "invalid_ip", "domains[0]"),
    ({"domains": ["2001:db8::1", "2001:DB8:0:0::1"], "challenge": "http-01"}, "duplicate_domain", "domains[1]"),
    ({"domains": ["[::1]", "::1"], "challenge": "tls-alpn-01"}, "duplicate_domain", "domains[1]"),
], ids=["v4-dns01", "v6-dns01", "wildcard-label", "wildcard-octet", "mapped", "zone-id", "leading-zero",
        "bad-v6", "dup-v6", "dup-brackets"])
def test_api_refusals(stack, api, db, body, code, field):
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM orders")
    before = cur.fetchone()[0]
    p = assert_refused(api, body, code, field)
    assert p["detail"]
    cur.execute("SELECT count(*) FROM orders")
    assert cur.fetchone()[0] == before  # nothing stored


def test_api_compares_canonical_forms(api):
    """Names are compared, and shown, in canonical form: RFC 5952 for IPv6, brackets dropped."""
    p = assert_refused(api, {"domains": ["2001:DB8:0:0:0:0:0:A", "[2001:db8::a]"], "challenge": "http-01"},
                       "duplicate_domain", "domains[1]")
    assert "(2001:db8::a)" in p["detail"], p
    p = assert_refused(api, {"domains": ["example.test", "2001:0DB8::0:B"], "challenge": "dns-01"},
                       "ip_dns01_unsupported", "domains[1]")
    assert '"2001:db8::b"' in p["detail"], p
