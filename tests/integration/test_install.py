"""`make install` (issue 8, point 4): installs into a temporary DESTDIR; the tree has the
programs, migrations, docs, the sample configuration (mode 0640) and the systemd units
with every placeholder filled in. Then the installed programs run with the installed
sample configuration — only its database, master key and listening address pointed at
the test stack — against the test database."""

import os
import re
import signal
import socket
import stat
import subprocess
import tempfile
import time

from conftest import REPO
from test_service_manager import _collect, _notify_socket

UNITS = ["certmill-fcgi.socket", "certmill-fcgi.service", "certmill-worker@.service", "certmill-alpn.service"]


def _install(dest):
    subprocess.run(["make", "-s", "-C", REPO, "install", f"DESTDIR={dest}", "PREFIX=/usr"], check=True,
                   capture_output=True, timeout=600)


def _sample_for_stack(dest, stack, port):
    """The installed sample with [database], [keys] and [api] fcgi_listen of the test stack."""
    text = open(os.path.join(dest, "etc/certmill/certmill.conf.sample")).read()
    live = {}
    section = None
    for line in open(stack["CERTMILL_CONFIG"]):
        m = re.match(r"\[(.+)\]", line.strip())
        if m:
            section = m.group(1)
        elif "=" in line and section in ("database", "keys"):
            k, v = line.split("=", 1)
            live[(section, k.strip())] = v.strip()
    out, section = [], None
    for line in text.splitlines():
        m = re.match(r"\[(.+)\]", line.strip())
        if m:
            section = m.group(1)
        elif "=" in line and not line.lstrip().startswith("#"):
            k = line.split("=", 1)[0].strip()
            if (section, k) in live:
                line = f"{k} = {live[(section, k)]}"
            elif section == "api" and k == "fcgi_listen":
                line = f"fcgi_listen = 127.0.0.1:{port}"
        out.append(line)
    return "\n".join(out) + "\n"


def test_install_tree(stack):
    with tempfile.TemporaryDirectory() as dest:
        _install(dest)
        for b in ("certmill", "certmill-fcgi", "certmill-worker", "certmill-alpn"):
            st = os.stat(os.path.join(dest, "usr/bin", b))
            assert st.st_mode & stat.S_IXUSR, b
        sql = sorted(os.listdir(os.path.join(dest, "usr/share/certmill/sql")))
        assert sql and sql == sorted(f for f in os.listdir(os.path.join(REPO, "sql")) if f.endswith(".sql"))
        assert os.path.exists(os.path.join(dest, "usr/share/doc/certmill/api.md"))
        # the man page of the configuration file, where man(1) finds it
        page = os.path.join(dest, "usr/share/man/man5/certmill.conf.5")
        assert stat.S_IMODE(os.stat(page).st_mode) == 0o644
        r = subprocess.run(["man", "-l", page], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="80"))
        assert r.returncode == 0 and "CERTMILL_CONFIG" in r.stdout, r.stderr
        assert os.path.exists(os.path.join(dest, "usr/share/certmill/web/certmill.conf"))
        # The dashboard, with its vendored chart library, where the front-server examples serve it from.
        for f in ("index.html", "js/app.js", "vendor/uPlot.iife.min.js"):
            assert os.path.exists(os.path.join(dest, "usr/share/certmill/web/dashboard", f)), f
        sample = os.path.join(dest, "etc/certmill/certmill.conf.sample")
        assert stat.S_IMODE(os.stat(sample).st_mode) == 0o640
        for unit in UNITS:
            text = open(os.path.join(dest, "usr/lib/systemd/system", unit)).read()
            assert not re.findall(r"@[A-Z_]+@", text), (unit, re.findall(r"@[A-Z_]+@", text))
            assert "/usr/bin/certmill" in text or unit.endswith(".socket"), unit
        worker = open(os.path.join(dest, "usr/lib/systemd/system/certmill-worker@.service")).read()
        for line in ("Type=notify", "WatchdogSec=", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                     "User=certmill", "--config /etc/certmill/certmill.conf"):
            assert line in worker, line
        # logs to the journal, where [log] format = auto writes sd-daemon priority prefixes
        for unit in ("certmill-fcgi.service", "certmill-worker@.service", "certmill-alpn.service"):
            text = open(os.path.join(dest, "usr/lib/systemd/system", unit)).read()
            for line in ("StandardError=journal", "SyslogLevelPrefix=yes"):
                assert re.search(rf"^{line}$", text, re.M), (unit, line)


def test_installed_programs_run_with_the_sample_configuration(stack):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with tempfile.TemporaryDirectory() as dest:
        _install(dest)
        conf = os.path.join(dest, "etc/certmill/certmill.conf")
        with open(conf, "w") as f:
            f.write(_sample_for_stack(dest, stack, port))
        os.chmod(conf, 0o640)
        binp = os.path.join(dest, "usr/bin")
        out = subprocess.run([os.path.join(binp, "certmill"), "--config", conf, "migrate"], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0 and "0 migrations applied" in out.stdout, out.stdout + out.stderr
        sock, path = _notify_socket(dest)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        fcgi = subprocess.Popen([os.path.join(binp, "certmill-fcgi"), "--config", conf], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        worker = subprocess.Popen([os.path.join(binp, "certmill-worker"), "--config", conf, "--id", "installed"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            seen = _collect(sock, ["READY=1"], 30)
            deadline = time.time() + 30
            while seen.count("READY=1") < 2 and time.time() < deadline:
                seen += _collect(sock, ["READY=1"], 1)
            assert seen.count("READY=1") >= 2, seen  # both: the front listening, the worker on the database
            cgi_env = dict(os.environ, REQUEST_METHOD="GET", PATH_INFO="/readyz", REQUEST_URI="/readyz",
                           QUERY_STRING="")
            r = subprocess.run(["cgi-fcgi", "-bind", "-connect", f"127.0.0.1:{port}"], env=cgi_env,
                               capture_output=True, timeout=30)
            text = r.stdout.decode(errors="replace")
            assert "Status: 200" in text, text  # database reachable, schema current
        finally:
            for p in (fcgi, worker):
                p.send_signal(signal.SIGTERM)
            for p in (fcgi, worker):
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
            sock.close()
