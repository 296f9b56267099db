"""Running under a service manager (issue 8, point 3) without systemd itself: the test
plays systemd's part. A worker sends READY=1 once it reached the database, WATCHDOG=1
while it runs and STOPPING=1 on SIGTERM, as datagrams to $NOTIFY_SOCKET; certmill-fcgi
takes its listening socket from socket activation ($LISTEN_PID, $LISTEN_FDS, fd 3) and
answers FastCGI requests on it (sent with cgi-fcgi, libfcgi's own client)."""

import os
import signal
import socket
import subprocess
import tempfile
import time

from conftest import STACK


def _notify_socket(d):
    path = os.path.join(d, "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(0.2)
    return s, path


def _collect(sock, want, timeout):
    """Reads notifications until every state in want was seen (want empty: for the whole time)."""
    seen, deadline = [], time.time() + timeout
    while time.time() < deadline and not (want and all(w in seen for w in want)):
        try:
            seen += sock.recv(4096).decode().split("\n")
        except socket.timeout:
            pass
    return seen


def _bin(name):
    return os.path.join(STACK["CERTMILL_BIN_DIR"], name)


def _log(name):
    """A log in the stack's log directory: scripts/test.sh looks for sanitizer reports there."""
    return open(os.path.join(STACK["CERTMILL_LOG_DIR"], name + ".log"), "ab")


def test_worker_speaks_sd_notify(stack):
    with tempfile.TemporaryDirectory() as d:
        sock, path = _notify_socket(d)
        env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="1000000")
        p = subprocess.Popen([_bin("certmill-worker"), "--config", stack["CERTMILL_CONFIG"], "--id", "notify-test"],
                             env=env, stdout=subprocess.DEVNULL, stderr=_log("worker-notify"))
        try:
            seen = _collect(sock, ["READY=1"], 20)
            assert "READY=1" in seen, seen
            # the watchdog is fed at half its 1 s interval: at least twice in two seconds
            beats = _collect(sock, [], 2.0)
            assert beats.count("WATCHDOG=1") >= 2, beats
            p.send_signal(signal.SIGTERM)
            assert "STOPPING=1" in _collect(sock, ["STOPPING=1"], 20)
            assert p.wait(timeout=60) == 0
        finally:
            if p.poll() is None:
                p.kill()
            sock.close()


def test_fcgi_takes_its_socket_from_socket_activation(stack):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    port = lsock.getsockname()[1]
    with tempfile.TemporaryDirectory() as d:
        sock, path = _notify_socket(d)
        env = dict(os.environ, NOTIFY_SOCKET=path, LISTEN_FDS="1")

        def to_fd3():
            os.dup2(lsock.fileno(), 3)

        # LISTEN_PID must be the service's own pid: a shell sets it to its own, then execs the service
        p = subprocess.Popen(["/bin/sh", "-c", 'LISTEN_PID=$$ exec "$0" --config "$1"', _bin("certmill-fcgi"),
                              stack["CERTMILL_CONFIG"]], env=env, preexec_fn=to_fd3, close_fds=False,
                             stdout=subprocess.DEVNULL, stderr=_log("fcgi-activated"))
        try:
            assert "READY=1" in _collect(sock, ["READY=1"], 20)
            cgi_env = dict(os.environ, REQUEST_METHOD="GET", PATH_INFO="/healthz", REQUEST_URI="/healthz",
                           QUERY_STRING="", SERVER_PROTOCOL="HTTP/1.1")
            out = subprocess.run(["cgi-fcgi", "-bind", "-connect", f"127.0.0.1:{port}"], env=cgi_env,
                                 capture_output=True, timeout=30)
            text = out.stdout.decode(errors="replace")
            assert "Status: 200" in text and '"status":"ok"' in text, text
            p.send_signal(signal.SIGTERM)
            assert "STOPPING=1" in _collect(sock, ["STOPPING=1"], 20)
            assert p.wait(timeout=30) == 0
        finally:
            if p.poll() is None:
                p.kill()
            sock.close()
            lsock.close()
