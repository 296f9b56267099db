"""certmill-alpn, the TLS-ALPN-01 responder (RFC 8737): an acme-tls/1 handshake naming
a domain in SNI gets the challenge certificate of that domain's pending tls-alpn-01
authorization, read from PostgreSQL; anything else gets no certificate at all.

The orders made here have no jobs row, so no worker touches them; they are deleted
(with their authorizations) at the end of each test."""

import base64
import hashlib
import json
import socket
import ssl
import threading
import time
import uuid

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtensionOID, ObjectIdentifier

from conftest import unique_name

ACME_IDENTIFIER = ObjectIdentifier("1.3.6.1.5.5.7.1.31")


def alpn_addr(stack):
    """Where certmill-alpn listens: base+4, the port Pebble's TLS-ALPN-01 validator dials."""
    port = stack.get("CERTMILL_TLSALPN_PORT") or int(stack["CERTMILL_PORT_BASE"]) + 4
    return ("127.0.0.1", int(port))


def handshake(stack, name, alpn=("acme-tls/1",), tls_max=None):
    """Does one TLS handshake as a CA's validator would; returns (DER certificate, ALPN, TLS version)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False  # self-signed by design: the CA checks the contents, not a chain
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls_max:
        ctx.maximum_version = tls_max
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    with socket.create_connection(alpn_addr(stack), timeout=10) as sock:
        with ctx.wrap_socket(sock, server_hostname=name) as tls:
            return tls.getpeercert(binary_form=True), tls.selected_alpn_protocol(), tls.version()


def check_challenge_cert(der, domain, key_authorization):
    """Asserts RFC 8737 §3: one dNSName SAN, and a critical acmeIdentifier = OCTET STRING(SHA-256(keyAuth))."""
    cert = x509.load_der_x509_certificate(der)
    san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert list(san) == [x509.DNSName(domain)]
    ext = cert.extensions.get_extension_for_oid(ACME_IDENTIFIER)
    assert ext.critical is True
    digest = hashlib.sha256(key_authorization.encode()).digest()
    assert ext.value.value == b"\x04\x20" + digest  # the extnValue's content: DER OCTET STRING of 32 bytes
    assert len([e for e in cert.extensions if e.oid == ACME_IDENTIFIER]) == 1
    return cert


@pytest.fixture
def pending(stack, db):
    """Makes orders with one pending tls-alpn-01 authorization each, as the worker stores them."""
    orders = []
    cur = db.cursor()

    def make(domain, key_authorization="tok.thumb"):
        cur.execute(
            "INSERT INTO orders (tenant_id, status, step, domains, challenge, key_type, ca)"
            " VALUES (%s, 'pending_validation', 'validate', %s, 'tls-alpn-01', 'ec-p256', 'local')"
            " RETURNING id",
            (stack["CERTMILL_TENANT_ID"], [domain]))
        order_id = cur.fetchone()[0]
        orders.append(order_id)
        tag = uuid.uuid4().hex
        cur.execute(
            "INSERT INTO authorizations (order_id, url, domain, status, challenge_type, challenge_url,"
            " token, key_authorization)"
            " VALUES (%s, %s, %s, 'pending', 'tls-alpn-01', %s, %s, %s) RETURNING id",
            (order_id, f"https://ca.invalid/authz/{tag}", domain, f"https://ca.invalid/chall/{tag}",
             key_authorization.split(".")[0], key_authorization))
        return order_id, cur.fetchone()[0]

    yield make
    cur.execute("DELETE FROM orders WHERE id = ANY(%s)", (orders,))  # authorizations cascade


@pytest.mark.parametrize("tls_max", [None, ssl.TLSVersion.TLSv1_2], ids=["tls1.3", "tls1.2"])
def test_serves_challenge_certificate(stack, pending, tls_max):
    domain = unique_name("alpn")
    pending(domain, "tok.thumb")
    der, proto, version = handshake(stack, domain, tls_max=tls_max)
    assert proto == "acme-tls/1"
    assert version == ("TLSv1.2" if tls_max else "TLSv1.3")
    cert = check_challenge_cert(der, domain, "tok.thumb")
    # Self-signed and short-lived: worthless outside the validation.
    assert cert.issuer == cert.subject
    lifetime = cert.not_valid_after - cert.not_valid_before
    assert lifetime.total_seconds() <= 2 * 86400


def test_unknown_name_gets_no_certificate(stack, pending):
    pending(unique_name("alpn-other"))
    with pytest.raises(ssl.SSLError, match=r"(?i)unrecognized.name"):
        handshake(stack, unique_name("alpn-unknown"))


def test_without_acme_tls_1_no_handshake(stack, pending):
    domain = unique_name("alpn")
    pending(domain)
    with pytest.raises(ssl.SSLError, match=r"(?i)no.application.protocol"):
        handshake(stack, domain, alpn=None)
    with pytest.raises(ssl.SSLError, match=r"(?i)no.application.protocol"):
        handshake(stack, domain, alpn=("h2", "http/1.1"))
    # Offered among others, acme-tls/1 is the one chosen.
    der, proto, _ = handshake(stack, domain, alpn=("h2", "acme-tls/1"))
    assert proto == "acme-tls/1"
    check_challenge_cert(der, domain, "tok.thumb")


def test_without_server_name_no_handshake(stack, pending):
    pending(unique_name("alpn"))
    with pytest.raises(ssl.SSLError):
        handshake(stack, None)


def test_decided_authorization_no_longer_served(stack, db, pending):
    domain = unique_name("alpn")
    _, authz_id = pending(domain, "tok.thumb")
    check_challenge_cert(handshake(stack, domain)[0], domain, "tok.thumb")
    db.cursor().execute("UPDATE authorizations SET status = 'valid' WHERE id = %s", (authz_id,))
    with pytest.raises(ssl.SSLError, match=r"(?i)unrecognized.name"):
        handshake(stack, domain)


def test_newest_pending_authorization_wins(stack, pending):
    domain = unique_name("alpn")
    pending(domain, "old.thumb")
    pending(domain, "new.thumb")
    check_challenge_cert(handshake(stack, domain)[0], domain, "new.thumb")


def test_server_name_case_does_not_matter(stack, pending):
    domain = unique_name("alpn")
    pending(domain, "tok.thumb")
    der, _, _ = handshake(stack, domain.upper())
    check_challenge_cert(der, domain, "tok.thumb")


def test_concurrent_handshakes_each_get_their_name(stack, pending):
    """Many validations at once, beside more idle connections than the responder has
    slots (256): silent sockets must not hold off a validator until they time out."""
    domains = [unique_name("alpn-c") for _ in range(40)]
    for i, d in enumerate(domains):
        pending(d, f"tok{i}.thumb")
    idle = [socket.create_connection(alpn_addr(stack), timeout=10) for _ in range(300)]
    try:
        results, errors = {}, []

        def run(i, d):
            try:
                results[d] = (i, handshake(stack, d)[0])
            except Exception as e:  # noqa: BLE001 — reported below
                errors.append((d, e))

        t0 = time.time()
        threads = [threading.Thread(target=run, args=(i, d)) for i, d in enumerate(domains)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors, errors
        assert time.time() - t0 < 8, "idle connections held up the handshakes"
        for d, (i, der) in results.items():
            check_challenge_cert(der, d, f"tok{i}.thumb")
        assert len(results) == len(domains)
    finally:
        for s in idle:
            s.close()


def test_garbage_and_early_close_do_not_hurt(stack, pending):
    domain = unique_name("alpn")
    pending(domain, "tok.thumb")
    with socket.create_connection(alpn_addr(stack), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        s.settimeout(10)
        try:
            s.recv(100)  # an alert or the close, never a certificate
        except ConnectionResetError:
            pass
    socket.create_connection(alpn_addr(stack), timeout=10).close()
    check_challenge_cert(handshake(stack, domain)[0], domain, "tok.thumb")


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class AcmeAccount:
    """Just enough of RFC 8555 to have Pebble validate one tls-alpn-01 challenge (no certificate)."""

    def __init__(self, stack):
        self.s = requests.Session()
        self.s.verify = stack["CERTMILL_PEBBLE_TLS_CA"]
        self.dir = self.s.get(stack["CERTMILL_PEBBLE_URL"], timeout=10).json()
        self.key = ec.generate_private_key(ec.SECP256R1())
        n = self.key.public_key().public_numbers()
        self.jwk = {"crv": "P-256", "kty": "EC",
                    "x": b64u(n.x.to_bytes(32, "big")), "y": b64u(n.y.to_bytes(32, "big"))}
        canon = json.dumps(self.jwk, sort_keys=True, separators=(",", ":")).encode()
        self.thumbprint = b64u(hashlib.sha256(canon).digest())  # RFC 7638
        self.kid = None
        r = self.post(self.dir["newAccount"], {"termsOfServiceAgreed": True})
        assert r.status_code == 201, r.text
        self.kid = r.headers["Location"]

    def post(self, url, payload):
        for _ in range(10):  # Pebble rejects some nonces on purpose
            nonce = self.s.head(self.dir["newNonce"], timeout=10).headers["Replay-Nonce"]
            prot = {"alg": "ES256", "nonce": nonce, "url": url}
            prot.update({"kid": self.kid} if self.kid else {"jwk": self.jwk})
            p64 = b64u(json.dumps(prot).encode())
            body64 = "" if payload is None else b64u(json.dumps(payload).encode())
            r, s = decode_dss_signature(self.key.sign(f"{p64}.{body64}".encode(), ec.ECDSA(hashes.SHA256())))
            sig = b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
            resp = self.s.post(url, data=json.dumps({"protected": p64, "payload": body64, "signature": sig}),
                               headers={"Content-Type": "application/jose+json"}, timeout=10)
            if not (resp.status_code == 400 and "badNonce" in resp.text):
                return resp
        raise AssertionError("too many bad nonces")

    def tls_alpn_challenge(self, domain):
        """Orders domain; returns (authorization URL, challenge URL, key authorization)."""
        r = self.post(self.dir["newOrder"], {"identifiers": [{"type": "dns", "value": domain}]})
        assert r.status_code == 201, r.text
        authz_url = r.json()["authorizations"][0]
        authz = self.post(authz_url, None).json()
        ch = next(c for c in authz["challenges"] if c["type"] == "tls-alpn-01")
        return authz_url, ch["url"], ch["token"] + "." + self.thumbprint

    def validate(self, authz_url, challenge_url, timeout=60):
        """Tells the CA to validate, then waits for its verdict; returns the authorization."""
        r = self.post(challenge_url, {})
        assert r.status_code == 200, r.text
        deadline = time.time() + timeout
        while time.time() < deadline:
            authz = self.post(authz_url, None).json()
            if authz["status"] != "pending":
                return authz
            time.sleep(0.2)
        raise AssertionError(f"authorization still pending after {timeout}s")


def test_pebble_validates_through_the_responder(stack, pending):
    """The CA's own validator (Pebble's, at the stack's tlsPort = base+4) accepts the answer."""
    acme = AcmeAccount(stack)
    domain = unique_name("alpn-ca")
    authz_url, challenge_url, key_authorization = acme.tls_alpn_challenge(domain)
    pending(domain, key_authorization)
    authz = acme.validate(authz_url, challenge_url)
    assert authz["status"] == "valid", authz


def test_pebble_refused_without_pending_authorization(stack, pending):
    acme = AcmeAccount(stack)
    domain = unique_name("alpn-ca")
    authz_url, challenge_url, _ = acme.tls_alpn_challenge(domain)
    pending(domain, "wrong-token." + acme.thumbprint)  # the name is known, but not with this answer
    authz = acme.validate(authz_url, challenge_url)
    assert authz["status"] == "invalid", authz
    ch = next(c for c in authz["challenges"] if c["type"] == "tls-alpn-01")
    assert ch["error"]["type"] == "urn:ietf:params:acme:error:unauthorized", ch
