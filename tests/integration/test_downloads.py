"""GET /v1/certificates/{id}/download: every format parses with OpenSSL's own command
line tools and is the certificate the API shows (same serial; the key of pem_key and
of the PKCS#12 is the leaf's key), with the media type and file name a browser or
panel needs; pfx asks for its password in a header, and the legacy PKCS#12 uses the
3DES/SHA-1 encoding older Windows reads."""

import os
import subprocess
import tempfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import unique_name
from test_customer_csr import make_csr
from test_issuance import check_issued


@pytest.fixture(scope="module")
def issued(stack, api):
    names = [unique_name("dl"), unique_name("dl-www")]
    r = api.post("/v1/orders", {"domains": names, "key_type": "ec-p256"})
    assert r.status_code == 202, r.text
    done = api.wait_order(r.json()["id"])
    cert, key = check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)
    return cert, key


def openssl(*args, data=None):
    r = subprocess.run(["openssl", *args], input=data, capture_output=True)
    assert r.returncode == 0, (args, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace"))
    return r.stdout.decode(errors="replace")


def serial_of(pem_text):
    """The serial `openssl x509` reads from the first certificate of a PEM text, as lowercase hex."""
    out = openssl("x509", "-noout", "-serial", data=pem_text.encode()).strip()
    assert out.startswith("serial="), out
    return out.split("=", 1)[1].lower().lstrip("0")


def pem_blocks(text):
    return [b for b in text.split("-----END CERTIFICATE-----") if "BEGIN CERTIFICATE" in b]


def download(api, cert_id, fmt, headers=None, **extra):
    q = "&".join([f"format={fmt}"] + [f"{k}={v}" for k, v in extra.items()])
    return api.get(f"/v1/certificates/{cert_id}/download?{q}", headers=headers)


def check_attachment(r, cert_id, media_type, suffix):
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == media_type
    assert r.headers["Content-Disposition"] == f'attachment; filename="{cert_id}{suffix}"'


def test_pem_formats(api, issued):
    cert, _ = issued
    cid = cert["id"]
    full = download(api, cid, "pem_fullchain")
    check_attachment(full, cid, "application/pem-certificate-chain", "-fullchain.pem")
    assert full.text == cert["fullchain_pem"]
    assert len(pem_blocks(full.text)) == 1 + len(pem_blocks(cert["chain_pem"])) >= 2
    assert serial_of(full.text) == cert["serial"].lower().lstrip("0")
    # no format: the full chain
    default = api.get(f"/v1/certificates/{cid}/download")
    assert default.status_code == 200 and default.content == full.content
    leaf = download(api, cid, "pem_leaf")
    check_attachment(leaf, cid, "application/pem-certificate-chain", ".pem")
    assert len(pem_blocks(leaf.text)) == 1
    assert serial_of(leaf.text) == cert["serial"].lower().lstrip("0")
    chain = download(api, cid, "pem_chain")
    check_attachment(chain, cid, "application/pem-certificate-chain", "-chain.pem")
    assert chain.text == cert["chain_pem"]
    # the chain issued the leaf
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "chain.pem"), "w").write(chain.text)
        open(os.path.join(d, "leaf.pem"), "w").write(leaf.text)
        openssl("verify", "-partial_chain", "-CAfile", os.path.join(d, "chain.pem"), os.path.join(d, "leaf.pem"))


def test_pem_key_matches_the_leaf(api, issued):
    cert, key = issued
    r = download(api, cert["id"], "pem_key")
    check_attachment(r, cert["id"], "application/x-pem-file", "-key.pem")
    assert r.headers["Cache-Control"] == "no-store"
    # openssl's public key of the downloaded key is the leaf's
    pub_key = openssl("pkey", "-pubout", data=r.content)
    pub_leaf = openssl("x509", "-noout", "-pubkey", data=cert["certificate_pem"].encode())
    assert pub_key == pub_leaf


def test_der_is_the_leaf(api, issued):
    cert, _ = issued
    r = download(api, cert["id"], "der")
    check_attachment(r, cert["id"], "application/pkix-cert", ".cer")
    assert r.content[:1] == b"\x30"
    pem = openssl("x509", "-inform", "DER", data=r.content)
    assert serial_of(pem) == cert["serial"].lower().lstrip("0")
    assert x509.load_der_x509_certificate(r.content) == x509.load_pem_x509_certificate(cert["certificate_pem"].encode())


def test_p7b_holds_leaf_and_chain(api, issued):
    cert, _ = issued
    r = download(api, cert["id"], "p7b")
    check_attachment(r, cert["id"], "application/pkcs7-mime; smime-type=certs-only", ".p7b")
    out = openssl("pkcs7", "-inform", "DER", "-print_certs", data=r.content)
    got = [x509.load_pem_x509_certificate((b + "-----END CERTIFICATE-----\n").encode()) for b in pem_blocks(out)]
    want = [x509.load_pem_x509_certificate((b + "-----END CERTIFICATE-----\n").encode())
            for b in pem_blocks(cert["fullchain_pem"])]
    assert got == want


def pkcs12_info(content, password, legacy_tools=False):
    """`openssl pkcs12 -info` on the file: the algorithms it names and the PEM text it prints."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "c.pfx")
        open(path, "wb").write(content)
        args = ["pkcs12", "-info", "-in", path, "-passin", f"pass:{password}", "-nodes"]
        r = subprocess.run(["openssl", *args], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout + r.stderr


def check_pkcs12(cert, content, password):
    info = pkcs12_info(content, password)
    # the leaf and its chain, and the key of the leaf
    certs = [x509.load_pem_x509_certificate((b + "-----END CERTIFICATE-----\n").encode()) for b in pem_blocks(info)]
    want = [x509.load_pem_x509_certificate((b + "-----END CERTIFICATE-----\n").encode())
            for b in pem_blocks(cert["fullchain_pem"])]
    assert sorted(c.serial_number for c in certs) == sorted(c.serial_number for c in want)
    start = info.index("-----BEGIN PRIVATE KEY-----")
    end = info.index("-----END PRIVATE KEY-----") + len("-----END PRIVATE KEY-----")
    pub_key = openssl("pkey", "-pubout", data=(info[start:end] + "\n").encode())
    assert pub_key == openssl("x509", "-noout", "-pubkey", data=cert["certificate_pem"].encode())
    # a wrong password does not open it
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "c.pfx")
        open(path, "wb").write(content)
        r = subprocess.run(["openssl", "pkcs12", "-info", "-in", path, "-passin", "pass:wrong", "-nodes"],
                           capture_output=True, text=True)
        assert r.returncode != 0
    return info


def test_pfx_modern(api, issued):
    cert, _ = issued
    r = download(api, cert["id"], "pfx", headers={"X-PFX-Password": "s3cret pass"})
    check_attachment(r, cert["id"], "application/x-pkcs12", ".pfx")
    assert r.headers["Cache-Control"] == "no-store"
    info = check_pkcs12(cert, r.content, "s3cret pass")
    assert "MAC: sha256" in info, info
    assert "PBES2, PBKDF2, AES-256-CBC" in info, info
    assert "3DES" not in info and "RC2" not in info


def test_pfx_legacy(api, issued):
    cert, _ = issued
    r = download(api, cert["id"], "pfx", headers={"X-PFX-Password": "legacy"}, pfx_legacy=1)
    check_attachment(r, cert["id"], "application/x-pkcs12", ".pfx")
    info = check_pkcs12(cert, r.content, "legacy")
    assert "MAC: sha1" in info, info
    assert "pbeWithSHA1And3-KeyTripleDES-CBC" in info, info
    # only the algorithm lines: the base64 of certificates and keys that -info prints may hold "AES" by chance
    algo = "\n".join(line for line in info.splitlines() if "PBES" in line or "PBKDF" in line or "pbeWith" in line
                      or "Shrouded" in line or "Encrypted" in line)
    assert "AES" not in algo and "PBKDF2" not in algo, algo


def test_pfx_needs_a_password_header(api, issued):
    cert, _ = issued
    for headers in ({}, {"X-PFX-Password": ""}, {"X-PFX-Password": "x" * 129}):
        r = download(api, cert["id"], "pfx", headers=headers)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "invalid_field" and r.json()["field"] == "X-PFX-Password"
    # the password never travels in the URL: a query parameter for it is unknown
    r = api.get(f"/v1/certificates/{cert['id']}/download?format=pfx&password=x")
    assert r.status_code == 400 and r.json()["code"] == "unknown_field"


@pytest.mark.parametrize("query,field", [
    ("format=pem", "format"),
    ("format=pfx&pfx_legacy=yes", "pfx_legacy"),
    ("format=der&pfx_legacy=1", "pfx_legacy"),
])
def test_bad_parameters(api, issued, query, field):
    cert, _ = issued
    r = api.get(f"/v1/certificates/{cert['id']}/download?{query}", headers={"X-PFX-Password": "p"})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_field" and r.json()["field"] == field


def test_other_tenant_and_unknown_id(new_tenant, issued):
    cert, _ = issued
    _, other = new_tenant()
    for fmt in ("pem_fullchain", "pem_key", "der"):
        r = download(other, cert["id"], fmt)
        assert r.status_code == 404 and r.json()["code"] == "not_found", r.text
    r = download(other, "crt_00000000000000000000000000000000", "der")
    assert r.status_code == 404


def test_customer_key_is_not_available(stack, api):
    """An order with the customer's CSR: certificates download, the key formats are 404 key_not_available."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = unique_name("dl-csr")
    r = api.post("/v1/orders", {"domains": [name], "csr": make_csr(key, [name])})
    assert r.status_code == 202, r.text
    done = api.wait_order(r.json()["id"])
    assert done["status"] == "issued", done
    cid = done["certificate_id"]
    assert download(api, cid, "der").status_code == 200
    for fmt, headers in (("pem_key", None), ("pfx", {"X-PFX-Password": "p"})):
        r = download(api, cid, fmt, headers=headers)
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "key_not_available"
