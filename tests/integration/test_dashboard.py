"""The dashboard (web/dashboard) in a real browser: tests/browser/dashboard.mjs drives
Debian's Chromium headless with Playwright against this stack's nginx, as a fresh tenant
would use it, and saves screenshots of each view under var/browser/screenshots. Here we
run it and check what it did against the API and openssl: the certificate it downloaded
verifies against the CA root, the one it revoked is revoked, and the DNS record the page
showed for the manual order is the one the API asks for."""

import json
import os
import shutil
import subprocess

import requests

from conftest import REPO

SCRIPT = os.path.join(REPO, "tests", "browser", "dashboard.mjs")
OUT = os.path.join(REPO, "var", "browser")


def run_browser(stack, key):
    """Runs the browser walk with the tenant's key; returns (exit status, output, results.json)."""
    node = shutil.which("node")
    assert node, "node is missing: scripts/deps.sh installs nodejs"
    assert os.path.isdir(os.path.join(REPO, "web", "node_modules", "playwright-core")), \
        "web/node_modules has no playwright-core: scripts/deps.sh runs npm ci in web/"
    env = dict(os.environ, CERTMILL_URL=stack["CERTMILL_URL"], CERTMILL_API_KEY=key, CM_BROWSER_OUT=OUT)
    p = subprocess.run([node, SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    results = {}
    path = os.path.join(OUT, "results.json")
    if os.path.exists(path):
        with open(path) as f:
            results = json.load(f)
    return p.returncode, p.stdout + p.stderr, results


def test_dashboard_in_chromium(stack, new_tenant):
    tenant, api = new_tenant()
    rc, output, res = run_browser(stack, tenant["api_key"])
    assert rc == 0, output
    assert res.get("ok") is True, output

    # A wrong key: the page said so in words, not a bare status code.
    assert "refused" in res["wrong_key_message"].lower()

    # The order made in the form is the tenant's, issued, with the names typed.
    order = api.get(f"/v1/orders/{res['http_order_id']}").json()
    assert order["status"] == "issued"
    assert order["domains"] == [res["http_name"]]
    assert order["key_type"] == "ec-p384"
    assert order["certificate_id"] == res["certificate_id"]
    assert any("issued certificate" in line for line in res["timeline"]), res["timeline"]

    # The downloaded full chain is a certificate openssl accepts against the CA root.
    pem = open(res["download"]).read()
    assert res["download_name"] == f"{res['certificate_id']}-fullchain.pem"
    blocks = pem.count("-----BEGIN CERTIFICATE-----")
    assert blocks >= 2, pem
    first_end = pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----\n")
    leaf = os.path.join(OUT, "leaf.pem")
    chain = os.path.join(OUT, "chain.pem")
    with open(leaf, "w") as f:
        f.write(pem[:first_end])
    with open(chain, "w") as f:
        f.write(pem[first_end:])
    v = subprocess.run(["openssl", "verify", "-CAfile", stack["CERTMILL_CA_ROOT"], "-untrusted", chain, leaf],
                       capture_output=True, text=True)
    assert v.returncode == 0, v.stdout + v.stderr
    san = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", leaf],
                         capture_output=True, text=True, check=True).stdout
    assert res["http_name"] in san

    # Revoked from the page: the API says so, with the reason chosen in the dialog.
    cert = api.get(f"/v1/certificates/{res['certificate_id']}").json()
    assert cert["status"] == "revoked"
    assert cert["revocation"]["reason"] == "cessationOfOperation"
    assert cert["revocation"]["revoked_at"]

    # The manual dns-01 order waited for the panel with exactly the record the page showed,
    # and the page's Cancel stopped it.
    dns = api.get(f"/v1/orders/{res['dns_order_id']}").json()
    assert dns["status"] == "cancelled"
    assert len(res["dns_record_api"]) == 1
    rec = res["dns_record_api"][0]
    assert res["dns_record"] == {"name": rec["name"], "type": rec["type"], "value": rec["value"]}
    assert rec["name"] == f"_acme-challenge.{res['dns_name']}"

    # One picture per view.
    shots = sorted(os.listdir(os.path.join(OUT, "screenshots")))
    for view in ("sign-in", "wrong-key", "attention", "request-form", "order-issued", "certificate",
                 "certificates", "revoked", "manual-dns", "attention-action", "orders", "phone-orders"):
        assert any(view in s for s in shots), (view, shots)


def test_dashboard_served_by_nginx(stack):
    """The front server serves the dashboard at / with its own types and the page's guard headers."""
    base = stack["CERTMILL_URL"]
    r = requests.get(base + "/", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert 'src="js/app.js"' in r.text
    csp = r.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    js = requests.get(base + "/js/app.js", timeout=10)
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("application/javascript")
    assert requests.get(base + "/vendor/uPlot.iife.min.js", timeout=10).status_code == 200
    # The API next to it is untouched: /v1 still answers problems, not the page.
    assert requests.get(base + "/v1/orders", timeout=10).status_code == 401
