"""ACME profiles and ARI on the real stack (issue 4, points 6 and 7).

Debian's Pebble 2.4 advertises neither `meta.profiles` nor `renewalInfo`: the tests here
check that with the running Pebble, that the worker records so in ca_directories, that
the API then refuses a profile the CA does not offer (422 profile_unknown), that an
order for a CA whose directory is not known yet fails at the worker with
profile_unsupported, that an order naming no profile still issues, and that the
issued certificate carries its RFC 9773 identifier (renewal_window stays null, since
Pebble has no renewalInfo). The protocol itself (a CA offering profiles and
renewalInfo) is tested with recorded answers in tests/unit/test_acme_profiles.c and
tests/unit/test_acme_ari.c.
"""

import base64
import json

import psycopg2
import psycopg2.errors
import pytest
import requests
from cryptography import x509

from conftest import unique_name
from test_issuance import openssl_verify


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ari_cert_id(pem):
    """RFC 9773 §4.1, computed here independently of the C code."""
    cert = x509.load_pem_x509_certificate(pem.encode())
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    n = cert.serial_number
    # DER INTEGER content octets: big-endian, with a leading 00 when the top bit is set.
    serial = n.to_bytes(n.bit_length() // 8 + 1, "big")
    return b64url(aki) + "." + b64url(serial)


def directory_row(db, ca):
    cur = db.cursor()
    cur.execute("SELECT profiles, renewal_info FROM ca_directories WHERE ca = %s", (ca,))
    return cur.fetchone()


def order_count(db, domain):
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM orders WHERE %s = ANY (domains)", (domain,))
    return cur.fetchone()[0]


def test_pebble_offers_neither_profiles_nor_renewal_info(stack):
    d = requests.get(stack["CERTMILL_PEBBLE_URL"], verify=stack["CERTMILL_PEBBLE_TLS_CA"], timeout=30).json()
    assert "newOrder" in d, d
    assert "renewalInfo" not in d, d
    assert "profiles" not in d.get("meta", {}), d


def test_plain_order_issues_and_records_directory(stack, api, db):
    name = unique_name("prof-plain")
    r = api.post("/v1/orders", {"domains": [name]})
    assert r.status_code == 202, r.text
    assert r.json()["profile"] is None
    done = api.wait_order(r.json()["id"])
    assert done["status"] == "issued", done
    cert = api.get(f"/v1/certificates/{done['certificate_id']}").json()
    openssl_verify(stack, cert)
    # No renewalInfo at this CA: no window, and the API says so with null.
    assert "renewal_window" in cert and cert["renewal_window"] is None, cert
    # The worker recorded what Pebble's directory offers: no profiles, no renewalInfo.
    assert directory_row(db, "local") == (None, False)
    # The certificate's ARI identifier is stored all the same (for "replaces" on renewal).
    cur = db.cursor()
    cur.execute("SELECT ari_cert_id, renewal_window_start, renewal_at, ari_next_check_at FROM certificates"
                " WHERE id = %s", (cert["id"],))
    ari_id, start, at, next_check = cur.fetchone()
    assert ari_id == ari_cert_id(cert["certificate_pem"])
    assert start is None and at is None and next_check is None


def test_unknown_profile_refused_at_api(stack, api, db):
    # The directory is known once a worker fetched it (the test above issued an order).
    if directory_row(db, "local") is None:
        done = api.wait_order(api.post("/v1/orders", {"domains": [unique_name("prof-warm")]}).json()["id"])
        assert done["status"] == "issued", done
    name = unique_name("prof-short")
    r = api.post("/v1/orders", {"domains": [name], "profile": "shortlived"})
    assert r.status_code == 422, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    p = r.json()
    assert p["code"] == "profile_unknown" and p["field"] == "profile", p
    assert "shortlived" in p["detail"] and "offers no profiles" in p["detail"], p
    assert order_count(db, name) == 0


def test_unknown_directory_then_worker_refuses(stack, api, db):
    """Before the API knows the CA's directory the order is accepted; the worker checks it before newOrder."""
    saved = directory_row(db, "local")
    cur = db.cursor()
    cur.execute("DELETE FROM ca_directories WHERE ca = 'local'")
    try:
        r = api.post("/v1/orders", {"domains": [unique_name("prof-late")], "profile": "shortlived"})
        assert r.status_code == 202, r.text
        done = api.wait_order(r.json()["id"])
        assert done["status"] == "failed", done
        p = done["problem"]
        assert p["code"] == "profile_unsupported" and p["retryable"] is False, p
        assert "shortlived" in p["detail"], p
        # Refused before the CA was asked: no CA order was made.
        cur.execute("SELECT acme_order_url FROM orders WHERE id = %s", (done["id"],))
        assert cur.fetchone()[0] is None
    finally:
        if saved is not None:
            cur.execute("INSERT INTO ca_directories (ca, profiles, renewal_info) VALUES ('local', %s, %s)"
                        " ON CONFLICT (ca) DO NOTHING", (None if saved[0] is None else json.dumps(saved[0]), saved[1]))


def test_profiles_offered_are_listed(stack, api, db):
    """With a directory that lists profiles (as Let's Encrypt's does), the API names them; a listed one passes."""
    saved = directory_row(db, "local")
    cur = db.cursor()
    cur.execute("INSERT INTO ca_directories (ca, profiles, renewal_info) VALUES ('local', %s, false)"
                " ON CONFLICT (ca) DO UPDATE SET profiles = EXCLUDED.profiles",
                (json.dumps({"classic": "https://ca.example/classic", "tlsserver": "https://ca.example/tls"}),))
    try:
        r = api.post("/v1/orders", {"domains": [unique_name("prof-list")], "profile": "shortlived"})
        assert r.status_code == 422, r.text
        p = r.json()
        assert p["code"] == "profile_unknown", p
        assert "it offers: classic, tlsserver" in p["detail"], p
        # A listed profile passes the API; the worker, which sees Pebble's real directory, then refuses it.
        r = api.post("/v1/orders", {"domains": [unique_name("prof-ok")], "profile": "classic"})
        assert r.status_code == 202, r.text
        assert r.json()["profile"] == "classic"
        done = api.wait_order(r.json()["id"])
        assert done["status"] == "failed" and done["problem"]["code"] == "profile_unsupported", done
    finally:
        if saved is None:
            cur.execute("DELETE FROM ca_directories WHERE ca = 'local'")
        else:
            cur.execute("UPDATE ca_directories SET profiles = %s, renewal_info = %s WHERE ca = 'local'",
                        (None if saved[0] is None else json.dumps(saved[0]), saved[1]))


def test_renewal_window_shown(stack, api, db):
    """The columns the worker writes from renewalInfo come out as renewal_window (Pebble itself has no ARI)."""
    done = api.wait_order(api.post("/v1/orders", {"domains": [unique_name("ari-win")]}).json()["id"])
    assert done["status"] == "issued", done
    cid = done["certificate_id"]
    assert api.get(f"/v1/certificates/{cid}").json()["renewal_window"] is None
    cur = db.cursor()
    cur.execute("UPDATE certificates SET renewal_window_start = '2027-01-27T10:00:00Z',"
                " renewal_window_end = '2027-01-29T10:00:00Z' WHERE id = %s", (cid,))
    cert = api.get(f"/v1/certificates/{cid}").json()
    assert cert["renewal_window"] == {"start": "2027-01-27T10:00:00Z", "end": "2027-01-29T10:00:00Z"}, cert
    # A window with an end before its start cannot be stored.
    with pytest.raises(psycopg2.errors.CheckViolation):
        cur.execute("UPDATE certificates SET renewal_window_end = '2027-01-01T00:00:00Z' WHERE id = %s", (cid,))
