"""Talking to the test stack's BIND as a panel or an operator would: dig and nsupdate
(bind9-dnsutils) with the stack's TSIG key."""

import re
import subprocess

from conftest import STACK


def dig_txt(name):
    """TXT values at name, asked of the stack's BIND directly."""
    out = subprocess.run(["dig", "@127.0.0.1", "-p", STACK["CERTMILL_DNS_PORT"], "+short", "+norecurse",
                          name, "TXT"], capture_output=True, text=True, check=True, timeout=20).stdout
    return [v.strip('"') for v in out.split()]


def nsupdate(*commands):
    """Sends one dynamic update (lines like 'update add NAME 60 TXT "v"') signed with the stack's key."""
    script = "server 127.0.0.1 {}\nzone example.test\n{}\nsend\n".format(
        STACK["CERTMILL_DNS_PORT"], "\n".join(commands))
    subprocess.run(["nsupdate", "-k", STACK["CERTMILL_TSIG_KEYFILE"]], input=script, text=True, check=True,
                   capture_output=True, timeout=20)


def tsig_key():
    """(name, algorithm, secret) of the stack's TSIG key file (BIND's key statement)."""
    text = open(STACK["CERTMILL_TSIG_KEYFILE"]).read()
    name = re.search(r'key\s+"([^"]+)"', text).group(1)
    alg = re.search(r"algorithm\s+([\w-]+)\s*;", text).group(1)
    secret = re.search(r'secret\s+"([^"]+)"', text).group(1)
    return name, alg, secret
