"""`certmill doctor` (issue 8, point 2): one line per check, each failure saying how to
fix it, exit status 1 when anything failed. Checked on the test stack's configuration
(the stack has a CA that is down and one that requires EAB without keys: both reported)
and on a broken copy of it (database unreachable, master key readable by others)."""

import os
import re
import shutil
import subprocess
import tempfile

from conftest import STACK


def _doctor(conf):
    exe = os.path.join(STACK["CERTMILL_BIN_DIR"], "certmill")
    r = subprocess.run([exe, "--config", conf, "doctor"], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout


def test_doctor_on_the_stack(stack):
    rc, out = _doctor(stack["CERTMILL_CONFIG"])
    lines = out.splitlines()
    assert rc == 1, out
    assert any(l.startswith("ok    database: reachable, schema at version") for l in lines), out
    assert any(l.startswith("ok    master key") for l in lines), out
    assert any(l.startswith("ok    CA local: directory") for l in lines), out
    assert any(l.startswith("ok    CA local-eab: directory") and "EAB keys configured" in l for l in lines), out
    assert any(l.startswith("FAIL  CA local-down: directory") and "trust =" in l for l in lines), out
    assert any(l.startswith("FAIL  CA local-eab-nokeys") and "requires External Account Binding" in l
               for l in lines), out
    assert lines[-1] == "2 problems found", out


def test_doctor_on_a_broken_configuration(stack):
    with tempfile.TemporaryDirectory() as d:
        key = os.path.join(d, "master.key")
        shutil.copy(os.path.join(stack["CM_STACK_DIR"], "secrets", "master.key"), key)
        os.chmod(key, 0o644)
        text = open(stack["CERTMILL_CONFIG"]).read()
        text = re.sub(r"port=\d+ dbname=certmill", "port=9 dbname=certmill", text)
        text = re.sub(r"master_key_file = .*", f"master_key_file = {key}", text)
        conf = os.path.join(d, "certmill.conf")
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o600)
        rc, out = _doctor(conf)
        assert rc == 1, out
        assert re.search(r"^FAIL  master key: .* has mode 644: others must not read it: chmod 600 ", out, re.M), out
        assert re.search(r"^FAIL  database: .*check \[database\] conninfo", out, re.M), out
