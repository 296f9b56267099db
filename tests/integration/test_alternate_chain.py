"""Alternate chains (RFC 8555 §7.4.2): the stack's Pebble has two alternate roots and
longer chains (PEBBLE_ALTERNATE_ROOTS=2, PEBBLE_CHAIN_LENGTH=3). Without preferred_chain
certmill keeps the CA's default chain (ending at root 0); a worker whose [ca.local] has
`preferred_chain = <CN of root 1>` follows Link: rel="alternate" and stores the chain
that ends at root 1, which `openssl verify` accepts with root 1 and refuses with root 0."""

import os
import signal
import subprocess
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import STACK, stack_ctl, unique_name
from test_issuance import check_issued


def roots():
    """The stack's Pebble roots, default first."""
    paths = STACK["CERTMILL_CA_ROOTS"].split()
    assert len(paths) >= 2, paths
    return paths


def subject_cn(pem_path):
    cert = x509.load_pem_x509_certificate(open(pem_path, "rb").read())
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def verifies(cert, root):
    """True when `openssl verify` accepts the leaf with the stored chain as untrusted, against root alone."""
    with tempfile.TemporaryDirectory() as d:
        leaf, chain = os.path.join(d, "leaf.pem"), os.path.join(d, "chain.pem")
        open(leaf, "w").write(cert["certificate_pem"])
        open(chain, "w").write(cert["chain_pem"])
        r = subprocess.run(["openssl", "verify", "-CAfile", root, "-untrusted", chain, leaf],
                           capture_output=True, text=True)
        return r.returncode == 0


def chain_certs(cert):
    end = "-----END CERTIFICATE-----"
    parts = [p + end for p in cert["chain_pem"].split(end) if "-----BEGIN CERTIFICATE-----" in p]
    return [x509.load_pem_x509_certificate(p.strip().encode()) for p in parts]


def order_and_get(stack, api, prefix, root):
    """Orders one name and checks it issued, its chain verifying against root; returns the certificate."""
    names = [unique_name(prefix)]
    r = api.post("/v1/orders", {"domains": names})
    assert r.status_code == 202, r.text
    done = api.wait_order(r.json()["id"], timeout=120)
    check_issued(dict(stack, CERTMILL_CA_ROOT=root), api, done, names, ec.EllipticCurvePrivateKey)
    r = api.get(f"/v1/certificates/{done['certificate_id']}")
    assert r.status_code == 200, r.text
    return r.json()


def check_chain_shape(cert, top_cn):
    """The chain holds PEBBLE_CHAIN_LENGTH intermediates (no root), the last issued by top_cn."""
    certs = chain_certs(cert)
    want = int(STACK.get("CERTMILL_PEBBLE_CHAIN_LENGTH", "1"))
    assert want >= 2, "the stack's Pebble makes no extra intermediate"
    assert len(certs) == want, [c.subject.rfc4514_string() for c in certs]
    assert certs[-1].issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == top_cn


def test_default_chain(stack, api):
    """Without preferred_chain the stored chain is Pebble's default: it ends at root 0 only."""
    rs = roots()
    cert = order_and_get(stack, api, "chain-default", rs[0])
    assert verifies(cert, rs[0])
    for other in rs[1:]:
        assert not verifies(cert, other), other
    check_chain_shape(cert, subject_cn(rs[0]))


def test_preferred_chain(stack, api):
    """With preferred_chain = CN of root 1 the stored chain ends at root 1."""
    rs = roots()
    wanted = subject_cn(rs[1])
    assert wanted != subject_cn(rs[0])
    d = STACK["CM_STACK_DIR"]
    conf = os.path.join(d, "certmill-chain.conf")
    # The INI reader refuses a key given twice but takes a repeated section header.
    # Other users may not read a configuration (certmill refuses it): 0600 from the start.
    with open(os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(open(STACK["CERTMILL_CONFIG"]).read() + f"\n[ca.local]\npreferred_chain = {wanted}\n")
    os.chmod(conf, 0o600)
    log_path = os.path.join(d, "log", "worker-chain.log")
    log = open(log_path, "w")
    stack_ctl("stop-worker", "1")
    stack_ctl("stop-worker", "2")
    worker = subprocess.Popen([os.path.join(STACK["CERTMILL_BIN_DIR"], "certmill-worker"), "--config", conf,
                               "--id", "worker-chain"], stdout=log, stderr=subprocess.STDOUT)
    try:
        cert = order_and_get(stack, api, "chain-alt", rs[1])
        assert verifies(cert, rs[1]), "the chosen chain does not verify against root 1"
        assert not verifies(cert, rs[0]), "the chosen chain still verifies against root 0"
        check_chain_shape(cert, wanted)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
        log.close()
        os.unlink(conf)
        stack_ctl("start-worker", "1")
        stack_ctl("start-worker", "2")
    assert worker.returncode == 0
    assert "chose alternate chain" in open(log_path).read()
