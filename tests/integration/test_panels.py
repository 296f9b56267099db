"""docs/panels.md (issue 8, point 8): the delivery script every panel integration uses
is run as the page prints it, against the test stack, with a panel_install that only
keeps the files it is given (the panels themselves are not here). A panel's order, once
issued, arrives as SITE.crt / SITE.ca / SITE.key that `openssl verify` accepts and whose
key is the certificate's; a second run installs nothing new; a renewal is installed by
the next run with no other action; an order without the panel's customer_ref is left
alone."""

import os
import re
import subprocess
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from conftest import REPO, unique_name

PANELS_MD = os.path.join(REPO, "docs", "panels.md")


def _script():
    """The certmill-deliver script of docs/panels.md, as printed there."""
    text = open(PANELS_MD).read()
    blocks = re.findall(r"```sh\n(#!/bin/sh\n# certmill-deliver .*?)```", text, re.S)
    assert len(blocks) == 1
    return blocks[0]


class Panel:
    """A pretend panel host: the script's configuration, state and what it installed."""

    def __init__(self, d, stack, key):
        self.d = d
        self.out = os.path.join(d, "installed")
        os.mkdir(self.out)
        self.script = os.path.join(d, "certmill-deliver")
        with open(self.script, "w") as f:
            f.write(_script())
        self.conf = os.path.join(d, "deliver.conf")
        with open(self.conf, "w") as f:
            f.write(f"CERTMILL_URL={stack['CERTMILL_URL']}\nCERTMILL_API_KEY={key}\n")
        os.chmod(self.conf, 0o600)
        self.install = os.path.join(d, "install.sh")
        with open(self.install, "w") as f:
            # keeps every file it is handed, under USER/SITE/, as a panel would install them
            f.write(f'panel_install() {{ mkdir -p "{self.out}/$1/$2" && cp "$3/$2".* "{self.out}/$1/$2/"; }}\n')

    def run(self):
        env = dict(os.environ, CERTMILL_DELIVER_CONF=self.conf, CERTMILL_DELIVER_INSTALL=self.install,
                   CERTMILL_DELIVER_STATE=os.path.join(self.d, "state"))
        r = subprocess.run(["sh", self.script], capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    def files(self, user, site):
        base = os.path.join(self.out, user, site, site)
        return {ext: open(f"{base}.{ext}").read() for ext in ("crt", "ca", "key", "fullchain")}


def _check_installed(stack, files, site, cert):
    """The files are the certificate certmill issued, a chain openssl accepts, and its key."""
    assert files["crt"] == cert["certificate_pem"] and files["ca"] == cert["chain_pem"]
    assert files["fullchain"] == cert["fullchain_pem"]
    with tempfile.TemporaryDirectory() as d:
        leaf, chain = os.path.join(d, "leaf.pem"), os.path.join(d, "chain.pem")
        open(leaf, "w").write(files["crt"])
        open(chain, "w").write(files["ca"])
        r = subprocess.run(["openssl", "verify", "-CAfile", stack["CERTMILL_CA_ROOT"], "-untrusted", chain, leaf],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    leaf = x509.load_pem_x509_certificate(files["crt"].encode())
    key = serialization.load_pem_private_key(files["key"].encode(), None)
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(serialization.Encoding.DER, pub) == \
        leaf.public_key().public_bytes(serialization.Encoding.DER, pub)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert site in sans


def test_delivery_script_installs_issued_and_renewed_certificates(stack, new_tenant):
    tenant, api = new_tenant()
    site = unique_name("panel")
    r = api.post("/v1/orders", {"domains": [site], "customer_ref": f"alice:{site}"})
    assert r.status_code == 202, r.text
    order = api.wait_order(r.json()["id"])
    assert order["status"] == "issued", order
    other = api.post("/v1/orders", {"domains": [unique_name("nopanel")]}).json()  # no customer_ref
    assert api.wait_order(other["id"])["status"] == "issued"

    with tempfile.TemporaryDirectory() as d:
        panel = Panel(d, stack, tenant["api_key"])
        out = panel.run()
        assert f"installed {order['certificate_id']} for alice:{site}" in out, out
        cert = api.get(f"/v1/certificates/{order['certificate_id']}").json()
        _check_installed(stack, panel.files("alice", site), site, cert)
        assert os.listdir(panel.out) == ["alice"] and os.listdir(os.path.join(panel.out, "alice")) == [site]
        # the keys never stay behind in the script's state directory
        assert not [f for f in os.listdir(os.path.join(d, "state")) if f != "cursor"]

        # nothing new: nothing installed
        assert "installed" not in panel.run()

        # certmill renews; the next run installs the successor, with no other call by the panel
        r = api.post(f"/v1/certificates/{order['certificate_id']}/renew")
        assert r.status_code == 202, r.text
        renewal = api.wait_order(r.json()["id"])
        assert renewal["status"] == "issued" and renewal["certificate_id"] != order["certificate_id"]
        out = panel.run()
        assert f"installed {renewal['certificate_id']} for alice:{site}" in out, out
        new = api.get(f"/v1/certificates/{renewal['certificate_id']}").json()
        _check_installed(stack, panel.files("alice", site), site, new)
        assert new["serial"] != cert["serial"]

    # the page's installation check finds the site's newest issued order by its customer_ref
    r = api.get(f"/v1/orders?customer_ref=alice:{site}&status=issued&limit=1")
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["certificate_id"] == renewal["certificate_id"]
