"""HTTP-01 webroot mode: a worker configured with [http01] webroot writes each token as
a file that the web server (the stack's nginx, `try_files` before certmill's responder)
serves itself, and removes the files afterwards."""

import os
import re
import signal
import subprocess

from cryptography.hazmat.primitives.asymmetric import ec

from conftest import STACK, stack_ctl, unique_name
from test_issuance import check_issued


def test_webroot_order(stack, api, db, tmp_path):
    d = STACK["CM_STACK_DIR"]
    webroot = os.path.join(d, "webroot")
    conf = tmp_path / "certmill-webroot.conf"
    conf.write_text(open(STACK["CERTMILL_CONFIG"]).read() + f"\n[http01]\nwebroot = {webroot}\n")
    os.chmod(conf, 0o600)  # certmill refuses a configuration other users can read
    log = open(os.path.join(d, "log", "worker-webroot.log"), "w")
    stack_ctl("stop-worker", "1")
    stack_ctl("stop-worker", "2")
    worker = subprocess.Popen([os.path.join(STACK["CERTMILL_BIN_DIR"], "certmill-worker"), "--config", str(conf),
                               "--id", "worker-webroot"], stdout=log, stderr=subprocess.STDOUT)
    try:
        names = [unique_name("webroot"), unique_name("webroot")]
        r = api.post("/v1/orders", {"domains": names})
        assert r.status_code == 202, r.text
        done = api.wait_order(r.json()["id"], timeout=120)
        check_issued(stack, api, done, names, ec.EllipticCurvePrivateKey)
        cur = db.cursor()
        cur.execute("SELECT token FROM authorizations WHERE order_id = %s", (done["id"],))
        tokens = [row[0] for row in cur.fetchall()]
        assert len(tokens) == 2
        # nginx served every CA request for these tokens from the files (no upstream)
        lines = open(os.path.join(d, "nginx", "http01.log")).read().splitlines()
        for t in tokens:
            hits = [l for l in lines if f"/.well-known/acme-challenge/{t} " in l]
            assert hits, f"no request for token {t} reached nginx"
            assert all(re.search(r'" 200 upstream=-$', l) for l in hits), hits
        # and the files are gone
        left = os.listdir(os.path.join(webroot, ".well-known", "acme-challenge"))
        assert not [f for f in left if f in tokens], left
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
        log.close()
        stack_ctl("start-worker", "1")
        stack_ctl("start-worker", "2")
    assert worker.returncode == 0
