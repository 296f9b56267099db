"""Revocation and account key rollover (issue 4, point 4): a panel revokes a certificate
with each RFC 5280 reason a CA accepts and Pebble itself then reports it revoked with
that reason; `certmill account rollover` moves a tenant's ACME account to a new key,
after which the CA accepts the new key only and orders still issue."""

import json
import time

import pytest
import requests
from cryptography.hazmat.primitives import serialization

from conftest import certmill_cli, unique_name
from test_issuance import issue
import acme_peek

# RFC 5280 §5.3.1 CRLReason codes of the names the API takes
REASONS = {"unspecified": 0, "keyCompromise": 1, "affiliationChanged": 3, "superseded": 4,
           "cessationOfOperation": 5}


def issued_cert(api, name_prefix="rev"):
    """Orders one name and waits for its certificate; returns the certificate."""
    order = issue(api, [unique_name(name_prefix)], "ec-p256")
    done = api.wait_order(order["id"])
    assert done["status"] == "issued", done
    r = api.get(f"/v1/certificates/{done['certificate_id']}")
    assert r.status_code == 200, r.text
    return r.json()


def wait_cert(api, cert_id, pred, timeout=120):
    """Polls a certificate until pred(body) holds; returns the body."""
    deadline = time.time() + timeout
    body = None
    while time.time() < deadline:
        r = api.get(f"/v1/certificates/{cert_id}")
        assert r.status_code == 200, r.text
        body = r.json()
        if pred(body):
            return body
        time.sleep(0.3)
    raise AssertionError(f"certificate {cert_id} never reached the state wanted: {body}")


def pebble_status(stack, serial):
    """What Pebble's management interface says of a certificate serial."""
    r = requests.get(f"{stack['CERTMILL_PEBBLE_MGMT_URL']}/cert-status-by-serial/{serial}",
                     verify=stack["CERTMILL_PEBBLE_TLS_CA"], timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_revoke_each_reason(stack, new_tenant):
    _, api = new_tenant()
    # all five in flight at once: the reasons are independent
    orders = {reason: issue(api, [unique_name("rev")], "ec-p256") for reason in REASONS}
    certs = {}
    for reason, order in orders.items():
        done = api.wait_order(order["id"])
        assert done["status"] == "issued", done
        certs[reason] = api.get(f"/v1/certificates/{done['certificate_id']}").json()
        assert certs[reason]["revocation"] is None
        assert pebble_status(stack, certs[reason]["serial"])["Status"] == "Valid"
    for reason, cert in certs.items():
        r = api.post(f"/v1/certificates/{cert['id']}/revoke", {"reason": reason})
        assert r.status_code == 202, r.text
        assert r.headers["Location"] == f"/v1/certificates/{cert['id']}"
        body = r.json()
        assert body["id"] == cert["id"]
        assert body["revocation"]["reason"] == reason
        assert body["revocation"]["requested_at"]
        # the status changes only once the CA agreed
        assert body["status"] in ("active", "revoked")
    for reason, cert in certs.items():
        done = wait_cert(api, cert["id"], lambda b: b["status"] == "revoked")
        rev = done["revocation"]
        assert rev["reason"] == reason, done
        assert rev["revoked_at"] and rev["problem"] is None, done
        seen = pebble_status(stack, cert["serial"])
        assert seen["Status"] == "Revoked", seen
        assert seen["Reason"] == REASONS[reason], (reason, seen)
        # the list shows it too
        page = api.get("/v1/certificates?status=revoked").json()
        assert cert["id"] in {c["id"] for c in page["data"]}
        # a revoked certificate is not revoked twice
        again = api.post(f"/v1/certificates/{cert['id']}/revoke", {"reason": reason})
        assert again.status_code == 409, again.text
        assert again.json()["code"] == "already_revoked"


def test_revoke_requests_refused(stack, new_tenant, db):
    _, api = new_tenant()
    _, other = new_tenant()
    cert = issued_cert(api)
    # reasons a CA refuses from a subscriber, unknown names and wrong types: 422 naming the field
    for bad in ("certificateHold", "removeFromCRL", "privilegeWithdrawn", "aACompromise", "cACompromise",
                "KeyCompromise", "", 1):
        r = api.post(f"/v1/certificates/{cert['id']}/revoke", {"reason": bad})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["code"] == "invalid_field" and r.json()["field"] == "reason"
    r = api.post(f"/v1/certificates/{cert['id']}/revoke", {"reason": "keyCompromise", "when": "now"})
    assert r.status_code == 400 and r.json()["code"] == "unknown_field", r.text
    # another tenant's certificate does not exist for the caller
    r = other.post(f"/v1/certificates/{cert['id']}/revoke", {"reason": "keyCompromise"})
    assert r.status_code == 404 and r.json()["code"] == "not_found", r.text
    r = api.post("/v1/certificates/crt_doesnotexist/revoke", {"reason": "keyCompromise"})
    assert r.status_code == 404, r.text
    # nothing of that was recorded or queued
    cur = db.cursor()
    cur.execute("SELECT revoke_reason, revoke_requested_at FROM certificates WHERE id = %s", (cert["id"],))
    assert cur.fetchone() == (None, None)
    cur.execute("SELECT count(*) FROM jobs WHERE certificate_id = %s", (cert["id"],))
    assert cur.fetchone()[0] == 0
    # a bare POST is reason unspecified; a second request while pending answers the same state
    first = api.post(f"/v1/certificates/{cert['id']}/revoke", data="", headers={"Content-Type": ""})
    assert first.status_code == 202, first.text
    second = api.post(f"/v1/certificates/{cert['id']}/revoke", {"reason": "superseded"})
    assert second.status_code in (202, 409), second.text
    if second.status_code == 202:
        assert second.json()["revocation"]["reason"] == "unspecified"
        assert second.json()["revocation"]["requested_at"] == first.json()["revocation"]["requested_at"]
    done = wait_cert(api, cert["id"], lambda b: b["status"] == "revoked")
    assert done["revocation"]["reason"] == "unspecified"
    assert pebble_status(stack, cert["serial"])["Reason"] == 0
    cur.execute("SELECT count(*) FROM jobs WHERE certificate_id = %s", (cert["id"],))
    assert cur.fetchone()[0] == 0


def public_der(key):
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_account_rollover(stack, new_tenant, db):
    tenant, api = new_tenant()
    issued_cert(api, "roll")
    old_key, url = acme_peek.account(db, stack, tenant["id"])
    out = json.loads(certmill_cli("account", "rollover", tenant["name"]))
    assert out == {"tenant_id": tenant["id"], "ca": "local", "account_url": url, "rolled_over": True}
    new_key, new_url = acme_peek.account(db, stack, tenant["id"])
    assert new_url == url
    assert public_der(new_key) != public_der(old_key)
    # the CA knows the account by the new key only
    c = acme_peek.Client(stack)
    r = c.post_as_get(new_key, url, url)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "valid"
    r = c.post_as_get(old_key, url, url)
    assert r.status_code in (400, 401, 403), r.text
    # orders go on with the new key, on the same account
    cert = issued_cert(api, "roll2")
    assert acme_peek.account(db, stack, tenant["id"])[1] == url
    assert len(acme_peek.account_orders(db, stack, tenant["id"])) >= 2
    # and revocation signs with it too
    r = api.post(f"/v1/certificates/{cert['id']}/revoke", {"reason": "superseded"})
    assert r.status_code == 202, r.text
    wait_cert(api, cert["id"], lambda b: b["status"] == "revoked")


def test_account_rollover_refusals(stack, new_tenant):
    import subprocess
    tenant, _ = new_tenant()
    # no account yet: nothing to roll over, exit 1 with a reason
    with pytest.raises(subprocess.CalledProcessError) as e:
        certmill_cli("account", "rollover", tenant["name"])
    assert e.value.returncode == 1 and "no account" in e.value.stderr
    with pytest.raises(subprocess.CalledProcessError) as e:
        certmill_cli("account", "rollover", "no-such-tenant-" + tenant["id"])
    assert e.value.returncode == 1 and "no tenant" in e.value.stderr
    with pytest.raises(subprocess.CalledProcessError) as e:
        certmill_cli("account", "rollover", tenant["name"], "nosuchca")
    assert e.value.returncode == 1 and "no CA" in e.value.stderr


def self_signed_pem(name):
    """A certificate no CA issued, for a revocation the CA must refuse."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_revoke_refused_by_the_ca(stack, new_tenant, db):
    """A final refusal: the job goes, the status stays, the CA's answer is shown, asking again is allowed."""
    _, api = new_tenant()
    cert = issued_cert(api, "refused")
    real_pem = cert["certificate_pem"]
    cur = db.cursor()
    # the CA never issued what the row now holds: it must refuse to revoke it
    cur.execute("UPDATE certificates SET cert_pem = %s WHERE id = %s", (self_signed_pem(cert["domains"][0]), cert["id"]))
    r = api.post(f"/v1/certificates/{cert['id']}/revoke", {"reason": "keyCompromise"})
    assert r.status_code == 202, r.text
    done = wait_cert(api, cert["id"], lambda b: b["revocation"]["problem"] is not None)
    assert done["status"] == "active", done
    rev = done["revocation"]
    assert rev["reason"] == "keyCompromise" and rev["requested_at"] is None and rev["revoked_at"] is None, rev
    assert rev["problem"]["retryable"] is False and rev["problem"]["code"] == "ca_rejected", rev
    assert rev["problem"]["title"] == "The revocation failed"
    assert rev["problem"]["ca_problem"]["type"].startswith("urn:ietf:params:acme:error:"), rev
    cur.execute("SELECT count(*) FROM jobs WHERE certificate_id = %s", (cert["id"],))
    assert cur.fetchone()[0] == 0
    assert pebble_status(stack, cert["serial"])["Status"] == "Valid"
    # with the real certificate back, a new request goes through
    cur.execute("UPDATE certificates SET cert_pem = %s WHERE id = %s", (real_pem, cert["id"]))
    r = api.post(f"/v1/certificates/{cert['id']}/revoke", {"reason": "superseded"})
    assert r.status_code == 202, r.text
    assert r.json()["revocation"]["problem"] is None
    done = wait_cert(api, cert["id"], lambda b: b["status"] == "revoked")
    assert done["revocation"]["reason"] == "superseded"
    assert pebble_status(stack, cert["serial"])["Reason"] == 4
