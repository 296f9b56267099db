"""Intermediate chains are stored once (sql/019_chains.sql): two certificates of one CA
point at the same chains row, and the API still hands each its full chain."""

from conftest import unique_name
from test_issuance import openssl_verify


def test_certificates_of_one_ca_share_one_stored_chain(stack, api, db):
    ids = []
    for _ in range(2):
        r = api.post("/v1/orders", {"domains": [unique_name("chn")], "challenge": "http-01", "key_type": "ec-p256"})
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    certs = []
    for oid in ids:
        done = api.wait_order(oid)
        assert done["status"] == "issued", done
        r = api.get(f"/v1/certificates/{done['certificate_id']}")
        assert r.status_code == 200, r.text
        certs.append(r.json())
    for c in certs:
        openssl_verify(stack, c)  # the chain read back from chains completes the leaf
    assert certs[0]["chain_pem"] == certs[1]["chain_pem"] != ""

    cur = db.cursor()
    cur.execute("SELECT DISTINCT chain_id FROM certificates WHERE id = ANY(%s)",
                ([c["id"] for c in certs],))
    chain_ids = cur.fetchall()
    assert len(chain_ids) == 1
    # exactly one row holds this chain's text, keyed by its SHA-256
    cur.execute("SELECT count(*), bool_and(sha256 = sha256(convert_to(pem, 'UTF8'))) FROM chains WHERE pem = %s",
                (certs[0]["chain_pem"],))
    assert cur.fetchone() == (1, True)
