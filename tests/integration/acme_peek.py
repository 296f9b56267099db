"""Looks at what the CA holds for a tenant's ACME account, as an outside check of
certmill: decrypts the sealed account key with the master key (AES-256-GCM, the
format of engine/crypto/seal.h) and lists the account's orders at Pebble with a
POST-as-GET signed by that key (RFC 8555 §7.1.2.1)."""

import base64
import hashlib
import os
import json

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def seal_aad(purpose, tenant, row_id):
    """The AAD of a sealed column (seal_aad in seal.h): purpose, the tenant's length, tenant, row id."""
    return f"{purpose}:{len(tenant)}:{tenant}:{row_id}"


def unseal(master_key_file, blob, aad):
    """Decrypts a version 2 sealed blob: 2, 4-byte key id (SHA-256 of the key), 12-byte nonce,
    ciphertext, 16-byte tag; the version byte and key id are authenticated before the AAD."""
    key = bytes.fromhex(open(master_key_file).read().strip())
    blob = bytes(blob)
    assert blob[0] == 2, "unknown seal version"
    assert blob[1:5] == hashlib.sha256(key).digest()[:4], "sealed under another master key"
    return AESGCM(key).decrypt(blob[5:17], blob[17:], blob[:5] + aad.encode())


def account(db, stack, tenant_id, ca="local"):
    """Returns (private key, account URL) of the tenant's account at the CA."""
    cur = db.cursor()
    cur.execute("SELECT key_sealed, url FROM acme_accounts WHERE tenant_id = %s AND ca = %s", (tenant_id, ca))
    row = cur.fetchone()
    assert row, "no ACME account for the tenant"
    pem = unseal(os.path.join(stack["CM_STACK_DIR"], "secrets", "master.key"), row[0],
                 seal_aad("account-key", tenant_id, ca))
    return serialization.load_pem_private_key(pem, None), row[1]


class Client:
    """A minimal signed-request helper for reading objects at the CA."""

    def __init__(self, stack):
        self.verify = stack["CERTMILL_PEBBLE_TLS_CA"]
        self.dir = requests.get(stack["CERTMILL_PEBBLE_URL"], verify=self.verify, timeout=10).json()

    def nonce(self):
        return requests.head(self.dir["newNonce"], verify=self.verify, timeout=10).headers["Replay-Nonce"]

    def post_as_get(self, key, kid, url):
        return self.post(key, kid, url, None)

    def post(self, key, kid, url, payload):
        """A signed POST of payload (a JSON value; None: POST-as-GET) with the account key."""
        pl = "" if payload is None else b64u(json.dumps(payload).encode())
        for _ in range(10):  # Pebble rejects some nonces on purpose
            protected = {"alg": "ES256", "kid": kid, "nonce": self.nonce(), "url": url}
            p64 = b64u(json.dumps(protected).encode())
            der = key.sign(f"{p64}.{pl}".encode(), ec.ECDSA(hashes.SHA256()))
            r, s = decode_dss_signature(der)
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
            body = json.dumps({"protected": p64, "payload": pl, "signature": b64u(sig)})
            resp = requests.post(url, data=body, headers={"Content-Type": "application/jose+json"},
                                 verify=self.verify, timeout=10)
            if resp.status_code == 400 and "badNonce" in resp.text:
                continue
            return resp
        raise AssertionError("too many bad nonces")


def account_orders(db, stack, tenant_id):
    """The order URLs the CA lists for the tenant's account."""
    key, kid = account(db, stack, tenant_id)
    c = Client(stack)
    acct = c.post_as_get(key, kid, kid)
    assert acct.status_code == 200, acct.text
    url, out = acct.json()["orders"], []
    while url:  # the list comes in pages linked with rel="next" (RFC 8555 §7.1.2.1)
        page = c.post_as_get(key, kid, url)
        assert page.status_code == 200, page.text
        out += page.json()["orders"]
        url = page.links.get("next", {}).get("url")
    return out
