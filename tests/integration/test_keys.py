"""Keys at rest on the real stack (issue 6, point 6): every sealed value is bound to its
row (purpose, tenant, id), so a ciphertext copied to another row does not decrypt; a dump
holds no secret in clear; `certmill keys rotate` re-seals everything under a new master key
while orders are being issued, and after the old key is gone every secret still opens:
certificate keys, DNS provider secrets, ACME account keys, webhook secrets, and values
sealed by the version before key ids (version 1 blobs, old AAD)."""

import json
import os
import re
import secrets
import subprocess
import time
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography import x509

import acme_peek
from conftest import REPO, Api, certmill_cli, stack_ctl, unique_name
from webhook_receiver import Receiver, verify

from test_api_dns_providers import rfc2136_body, tsig_key


def issue(api, n=1, key_type="ec-p256"):
    """Starts n orders of one name each; returns their ids."""
    ids = []
    for _ in range(n):
        r = api.post("/v1/orders", {"domains": [unique_name("keys")], "key_type": key_type})
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    return ids


def issued(api, order_ids):
    """Waits for the orders; returns their certificate ids (every one must be issued)."""
    out = []
    for oid in order_ids:
        o = api.wait_order(oid)
        assert o["status"] == "issued", o
        out.append(o["certificate_id"])
    return out


def cert_key(api, cert_id):
    """GET /v1/certificates/{id}/key: (status, body text)."""
    r = api.get(f"/v1/certificates/{cert_id}/key")
    return r.status_code, r.text


def assert_key_matches(api, cert_id):
    """The certificate's key comes back and is the key of the certificate."""
    r = api.get(f"/v1/certificates/{cert_id}/key")
    assert r.status_code == 200, r.text
    key = serialization.load_pem_private_key(r.json()["key_pem"].encode(), None)
    cert = x509.load_pem_x509_certificate(api.get(f"/v1/certificates/{cert_id}").json()["certificate_pem"].encode())
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(serialization.Encoding.DER, pub) == \
        cert.public_key().public_bytes(serialization.Encoding.DER, pub)
    return r.json()["key_pem"]


def one(db, sql, *args):
    cur = db.cursor()
    cur.execute(sql, args)
    row = cur.fetchone()
    return row[0] if row else None


def tenant(stack, prefix):
    t = json.loads(certmill_cli("tenant", "create", f"{prefix}-{uuid.uuid4().hex[:10]}"))
    return t, Api(stack["CERTMILL_URL"], t["api_key"])


def provider(stack, api):
    r = api.post("/v1/dns-providers", rfc2136_body(stack))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def provider_test(api, pid):
    return api.post(f"/v1/dns-providers/{pid}/test", {"name": "example.test"})


def assert_server_error_without_secret(r, *secrets_):
    """A value that does not open is the operator's problem: 500 internal, nothing of it shown."""
    assert r.status_code == 500, r.text
    assert r.json()["code"] == "internal", r.text
    assert "PRIVATE KEY" not in r.text
    for s in secrets_:
        assert s not in r.text


def test_sealed_value_moved_to_another_row_does_not_open(stack, db):
    """A certificate key and a DNS provider secret copied (SQL UPDATE) onto another tenant's
    row, and onto another row of the same tenant: that row answers 500, never the other key."""
    ta, a = tenant(stack, "keys-a")
    tb, b = tenant(stack, "keys-b")
    ca1, ca2 = issued(a, issue(a, 2))
    cb, = issued(b, issue(b, 1))
    key_a1 = assert_key_matches(a, ca1)
    assert_key_matches(b, cb)
    pa, pb = provider(stack, a), provider(stack, b)
    assert provider_test(a, pa).status_code == 200
    blob_b = bytes(one(db, "SELECT key_sealed FROM certificates WHERE id = %s", cb))
    blob_a2 = bytes(one(db, "SELECT key_sealed FROM certificates WHERE id = %s", ca2))
    pblob_b = bytes(one(db, "SELECT secret_sealed FROM dns_providers WHERE id = %s", pb))
    cur = db.cursor()
    try:
        # another tenant's row
        cur.execute("UPDATE certificates SET key_sealed = (SELECT key_sealed FROM certificates WHERE id = %s)"
                    " WHERE id = %s", (ca1, cb))
        assert_server_error_without_secret(b.get(f"/v1/certificates/{cb}/key"), key_a1)
        # the certificate download with its key (PKCS#12 / bundle) refuses too
        assert_server_error_without_secret(b.get(f"/v1/certificates/{cb}/download", params={"format": "pem_key"}),
                                           key_a1)
        # another row of the same tenant
        cur.execute("UPDATE certificates SET key_sealed = (SELECT key_sealed FROM certificates WHERE id = %s)"
                    " WHERE id = %s", (ca1, ca2))
        assert_server_error_without_secret(a.get(f"/v1/certificates/{ca2}/key"), key_a1)
        # the DNS provider secret of another tenant
        cur.execute("UPDATE dns_providers SET secret_sealed = (SELECT secret_sealed FROM dns_providers WHERE id = %s)"
                    " WHERE id = %s", (pa, pb))
        assert_server_error_without_secret(provider_test(b, pb), tsig_key(stack)[2])
        # the certificate itself still opens where it belongs: the failures came from the move
        assert_key_matches(a, ca1)
        # the rotation counts the moved values as unreadable and leaves them be
        rc, out, err = rotate(stack)
        assert rc == 1, (out, err)
        assert out["columns"]["certificates.key_sealed"]["unreadable"] >= 2
        assert out["columns"]["dns_providers.secret_sealed"]["unreadable"] >= 1
        for tid, cid in ((tb["id"], cb), (ta["id"], ca2)):
            oid = one(db, "SELECT order_id FROM certificates WHERE id = %s", cid)
            assert f"certificates.key_sealed of tenant {tid}, {oid}: cannot be decrypted" in err, err
        assert f"dns_providers.secret_sealed of tenant {tb['id']}, {pb}: cannot be decrypted" in err, err
        # ... and the value where it belongs is not among them
        assert f"dns_providers.secret_sealed of tenant {ta['id']}, {pa}:" not in err, err
    finally:
        cur.execute("UPDATE certificates SET key_sealed = %s WHERE id = %s", (blob_b, cb))
        cur.execute("UPDATE certificates SET key_sealed = %s WHERE id = %s", (blob_a2, ca2))
        cur.execute("UPDATE dns_providers SET secret_sealed = %s WHERE id = %s", (pblob_b, pb))
    assert_key_matches(b, cb)
    assert_key_matches(a, ca2)
    assert provider_test(b, pb).status_code == 200


def test_dump_holds_no_secret_in_clear(stack, db):
    """pg_dump of the whole database: no private key, no TSIG secret, no webhook secret, no API key
    (test_issuance.py::test_keys_at_rest_are_encrypted checks the certificate keys after one order)."""
    t, api = tenant(stack, "keys-dump")
    cid, = issued(api, issue(api, 1))
    assert_key_matches(api, cid)
    pid = provider(stack, api)
    r = api.post("/v1/webhooks", {"url": f"http://127.0.0.1:{stack['CERTMILL_WEBHOOK_PORT']}/dump"})
    assert r.status_code == 201, r.text
    wh_secret = r.json()["secret"]
    env = dict(os.environ, PGPASSFILE=stack["CERTMILL_PGPASSFILE"])
    dump = subprocess.run(["pg_dump", "--data-only", stack["CERTMILL_DB_URL"]], capture_output=True, text=True,
                          check=True, env=env).stdout
    assert one(db, "SELECT count(*) FROM certificates WHERE id = %s AND key_sealed IS NOT NULL", cid) == 1
    assert one(db, "SELECT count(*) FROM dns_providers WHERE id = %s AND secret_sealed IS NOT NULL", pid) == 1
    assert "PRIVATE KEY" not in dump
    assert tsig_key(stack)[2] not in dump
    assert wh_secret not in dump and wh_secret[len("whsec_"):] not in dump
    assert t["api_key"] not in dump
    # every sealed value in the dump is a version 2 blob (\x02 then the key id)
    blob = bytes(one(db, "SELECT key_sealed FROM certificates WHERE id = %s", cid))
    assert blob[0] == 2 and len(blob) > 1 + 4 + 12 + 16
    api.s.delete(api.base + f"/v1/webhooks/{r.json()['id']}", headers=api._h(None), timeout=30)


# ---------------------------------------------------------------- rotation

def conf_path(stack):
    return stack["CERTMILL_CONFIG"]


def read_conf(stack):
    with open(conf_path(stack)) as f:
        return f.read()


def write_private(path, text, like=None):
    """Writes a file only its owner (and, like the configuration, its group) may read, with
    the owner, group and mode of the file like (default: path itself, else root 0600): the
    services run as their own user and must still read it."""
    like = like or path
    st = os.stat(like) if os.path.exists(like) else None
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    if st:
        os.chown(tmp, st.st_uid, st.st_gid)
        os.chmod(tmp, st.st_mode & 0o777)
    else:
        os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def with_keys(conf, current, previous=None):
    """The configuration with [keys] naming these key files."""
    lines, out, section = conf.splitlines(), [], None
    for line in lines:
        s = line.strip()
        if s.startswith("["):
            section = s.strip("[]").strip()
        if section == "keys" and s.split("=", 1)[0].strip() in ("master_key_file", "previous_master_key_files"):
            continue
        out.append(line)
        if s == "[keys]":
            out.append(f"master_key_file = {current}")
            if previous:
                out.append(f"previous_master_key_files = {previous}")
    return "\n".join(out) + "\n"


def master_key_file(conf):
    m = re.search(r"^master_key_file\s*=\s*(\S+)", conf, re.M)
    return m.group(1)


def rotate(stack):
    """`certmill keys rotate`: (exit status, its JSON, stderr)."""
    exe = os.path.join(stack.get("CERTMILL_BIN_DIR", os.path.join(REPO, "build", "asan", "bin")), "certmill")
    out = subprocess.run([exe, "--config", conf_path(stack), "keys", "rotate"], capture_output=True, text=True,
                         timeout=300)
    return out.returncode, json.loads(out.stdout), out.stderr


def key_id(hexkey):
    import hashlib
    return hashlib.sha256(bytes.fromhex(hexkey)).hexdigest()[:8]


def seal_v1(hexkey, plaintext, aad):
    """A version 1 blob as certmill sealed them before key ids: 1 | nonce | ct | tag, the old AAD."""
    nonce = secrets.token_bytes(12)
    return b"\x01" + nonce + AESGCM(bytes.fromhex(hexkey)).encrypt(nonce, plaintext, aad.encode())


@pytest.fixture(scope="module")
def receiver(stack):
    r = Receiver(int(stack["CERTMILL_WEBHOOK_PORT"]))
    yield r
    r.close()


def test_rotation_while_issuing(stack, db, receiver):
    conf0 = read_conf(stack)
    old_path = master_key_file(conf0)
    with open(old_path) as f:
        old_hex = f.read().strip()
    new_path = os.path.join(os.path.dirname(old_path), "master-rotated.key")
    new_hex = subprocess.run(["openssl", "rand", "-hex", "32"], capture_output=True, text=True,
                             check=True).stdout.strip()
    write_private(new_path, new_hex + "\n", like=old_path)
    assert os.stat(new_path).st_mode & 0o777 == 0o600

    # Before: a tenant with certificates, a DNS provider, a webhook and an ACME account, all under the old key.
    t, api = tenant(stack, "keys-rot")
    old_certs = issued(api, issue(api, 2))
    old_pems = {c: assert_key_matches(api, c) for c in old_certs}
    pid = provider(stack, api)
    path = f"/rot/{uuid.uuid4().hex}"
    r = api.post("/v1/webhooks", {"url": receiver.url(path), "events": ["certificate.issued"]})
    assert r.status_code == 201, r.text
    hook = r.json()
    # Values sealed by the release before key ids: version 1 blobs with the old AAD.
    legacy_order = one(db, "SELECT order_id FROM certificates WHERE id = %s", old_certs[1])
    cur = db.cursor()
    cur.execute("UPDATE certificates SET key_sealed = %s WHERE id = %s",
                (seal_v1(old_hex, old_pems[old_certs[1]].encode(), f"order-key:{legacy_order}"), old_certs[1]))
    secret_json = json.dumps({"key_secret": tsig_key(stack)[2]}, separators=(",", ":"), sort_keys=True)
    cur.execute("UPDATE dns_providers SET secret_sealed = %s WHERE id = %s",
                (seal_v1(old_hex, secret_json.encode(), f"dns-provider:{pid}"), pid))
    assert_key_matches(api, old_certs[1])
    assert provider_test(api, pid).status_code == 200, "a version 1 blob with the old AAD must still open"

    swapped = False
    try:
        # The new key encrypts, the old one only decrypts.
        write_private(conf_path(stack), with_keys(conf0, new_path, old_path))
        stack_ctl("restart-certmill")
        assert_key_matches(api, old_certs[0])

        # Rotate while orders are being issued: for this tenant (its account exists) and a new one
        # (its account key is sealed while the rotation runs).
        t2, api2 = tenant(stack, "keys-rot2")
        running = [(api, o) for o in issue(api, 3)] + [(api2, o) for o in issue(api2, 2)]
        rc, out, err = rotate(stack)
        assert out["current_key_id"] == key_id(new_hex)
        cols = out["columns"]
        assert set(cols) == {"acme_accounts.key_sealed", "orders.key_sealed", "certificates.key_sealed",
                             "dns_providers.secret_sealed", "tenant_eab.hmac_sealed", "webhooks.secret_sealed",
                             "webhooks.previous_secret_sealed"}
        assert cols["certificates.key_sealed"]["resealed"] >= 2
        assert cols["orders.key_sealed"]["resealed"] >= 2
        assert cols["acme_accounts.key_sealed"]["resealed"] >= 1
        assert cols["dns_providers.secret_sealed"]["resealed"] >= 1
        assert cols["webhooks.secret_sealed"]["resealed"] >= 1
        # nothing of these tenants is unreadable (other tests' deliberately damaged rows may be)
        assert t["id"] not in err and t2["id"] not in err, err
        assert rc == (1 if sum(c["unreadable"] for c in cols.values()) else 0), (rc, out, err)
        for a, o in running:
            assert a.wait_order(o)["status"] == "issued"

        # Again after the orders finished (a step that read a value before it was re-sealed may have
        # stored a copy), then once more: nothing left to do, the command is idempotent.
        rotate(stack)
        rc, out, err = rotate(stack)
        assert all(c["resealed"] == 0 and c["changed"] == 0 for c in out["columns"].values()), out
        unreadable = sum(c["unreadable"] for c in out["columns"].values())
        # every sealed value was visited (the rotation reads in pages of 100 rows)
        for name, c in out["columns"].items():
            table, col = name.split(".")
            n = one(db, f"SELECT count(*) FROM {table} WHERE {col} IS NOT NULL")
            assert c["resealed"] + c["current"] + c["unreadable"] + c["changed"] == n, (name, c, n)
        # keys status: every readable value is under the new key id; only unreadable ones (if any) are not.
        status = json.loads(certmill_cli("keys", "status"))
        assert status["current_key_id"] == key_id(new_hex)
        assert status["key_ids"] == [key_id(new_hex), key_id(old_hex)]
        elsewhere = sum(int(g["count"]) for rows in status["columns"].values() for g in rows
                        if g["key_id"] != key_id(new_hex))
        assert elsewhere == unreadable, status
        assert one(db, "SELECT get_byte(key_sealed, 0) FROM certificates WHERE id = %s", old_certs[1]) == 2
        assert one(db, "SELECT encode(substring(secret_sealed FROM 2 FOR 4), 'hex') FROM dns_providers"
                       " WHERE id = %s", pid) == key_id(new_hex)

        # The old key is gone: every secret still opens.
        write_private(conf_path(stack), with_keys(conf0, new_path))
        stack_ctl("restart-certmill")
        for c in old_certs + issued(api, [o for a, o in running if a is api]):
            pem = assert_key_matches(api, c)
            if c in old_pems:
                assert pem == old_pems[c]
        r = provider_test(api, pid)
        assert r.status_code == 200, r.text
        # a new order of an existing tenant: its ACME account key (re-sealed) signs it
        new_cert, = issued(api, issue(api, 1))
        assert_key_matches(api, new_cert)
        assert issued(api2, issue(api2, 1))
        # the webhook created under the old key signs the delivery of that order with the same secret
        deadline = time.time() + 60
        while time.time() < deadline:
            got = [g for g in receiver.received(path)
                   if json.loads(g[2])["data"].get("certificate_id") == new_cert]
            if got:
                break
            time.sleep(0.3)
        assert got, receiver.received(path)
        _, headers, body = got[0]
        assert verify(hook["secret"], headers, body), headers

        # Leave the stack as scripts/stack.sh wrote it: the new key now in the original key file.
        write_private(old_path, new_hex + "\n")
        swapped = True
        write_private(conf_path(stack), conf0)
        stack_ctl("restart-certmill")
        assert_key_matches(api, old_certs[0])
        os.unlink(new_path)
        # an outside check of the format: Python's AES-GCM opens the re-sealed account key with the new key
        key, url = acme_peek.account(db, stack, t["id"])
        assert url and key.key_size == 256
    finally:
        if not swapped:
            # A failure half way: keep both keys so every value (under either) still opens.
            write_private(conf_path(stack), with_keys(conf0, old_path, new_path))
            stack_ctl("restart-certmill")
        api.s.delete(api.base + f"/v1/webhooks/{hook['id']}", headers=api._h(None), timeout=30)
