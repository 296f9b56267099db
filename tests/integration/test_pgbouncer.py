"""PgBouncer in transaction pooling mode (issue 10, point 1): a certmill-fcgi and a
certmill-worker whose every connection goes through PgBouncer (pool_mode = transaction,
SCRAM) take an order and issue it — the stack's own workers are stopped meanwhile, so
nothing else can do the work. In transaction mode a client's statements land on any
server connection, so nothing may rely on session state. The worker keeps the stack's
CA gate for [ca.local] (max_inflight = 4, exclusive newOrder): its locks belong to a
transaction held open on the gate's own connection, which PgBouncer keeps on one server
connection. The test watches pg_locks meanwhile and sees the gate's advisory locks
held by the worker's role, through PgBouncer's server connections.

The API is spoken to the FastCGI socket directly with libfcgi's cgi-fcgi, so no second
nginx is needed; PgBouncer and certmill-fcgi listen on Unix sockets only."""

import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import stack_ctl, unique_name
from test_issuance import openssl_verify

PGBOUNCER = "/usr/sbin/pgbouncer"
SVC_USER = "certmill"


def _password(passfile):
    """The password of a libpq passfile line host:port:db:user:password."""
    line = open(passfile).read().strip().splitlines()[0]
    return line.split(":", 4)[4]


def _as_service(cmd):
    """Runs as the services' user when root (PgBouncer refuses root; the stack's services run as certmill)."""
    if os.geteuid() == 0:
        return ["setpriv", f"--reuid={SVC_USER}", f"--regid={SVC_USER}", "--init-groups", "--", *cmd]
    return cmd


def _own(path):
    if os.geteuid() == 0:
        pw = pwd.getpwnam(SVC_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)


def _config_through(stack_conf, socket_dir, passfiles, fcgi_sock):
    """The stack's configuration with the api/worker conninfo through PgBouncer."""
    out, section = [], None
    for line in open(stack_conf).read().splitlines():
        m = re.match(r"\[(.+)\]\s*$", line.strip())
        if m:
            section = m.group(1)
        key = line.split("=", 1)[0].strip() if "=" in line else None
        if section == "database" and key in ("conninfo_api", "conninfo_worker"):
            role = "certmill_api" if key == "conninfo_api" else "certmill_worker"
            line = (f"{key} = host={socket_dir} port=6432 dbname=certmill user={role}"
                    f" passfile={passfiles[role]} connect_timeout=5")
        elif section == "api" and key == "fcgi_listen":
            line = f"fcgi_listen = {fcgi_sock}"
        out.append(line)
        if m and section == "database":
            # No named statements, no session locks: consecutive statements may meet other sessions.
            out.append("transaction_pooling = yes")
    return "\n".join(out) + "\n"


def _fcgi(sock, method, path, key, body=None):
    """One request to certmill-fcgi over its socket (cgi-fcgi); returns (status, headers, JSON body)."""
    env = {"REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "REQUEST_URI": path,
           "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
           "HTTP_AUTHORIZATION": f"Bearer {key}", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    data = json.dumps(body).encode() if body is not None else b""
    if body is not None:
        env.update({"CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data))})
    p = subprocess.run(["cgi-fcgi", "-bind", "-connect", sock], input=data, env=env, capture_output=True,
                       timeout=60)
    head, _, rest = p.stdout.partition(b"\r\n\r\n")
    headers = {}
    for h in head.decode().split("\r\n"):
        k, _, v = h.partition(":")
        headers[k.strip().lower()] = v.strip()
    status = int(headers.get("status", "200").split()[0])
    return status, headers, json.loads(rest) if rest.strip() else None


def _pgbouncer_show(socket_dir, what, user, password):
    """Rows of PgBouncer's admin console SHOW <what>, as dicts."""
    import psycopg2
    conn = psycopg2.connect(host=socket_dir, port=6432, dbname="pgbouncer", user=user, password=password)
    conn.autocommit = True
    try:
        cur = conn.cursor()
        cur.execute(f"SHOW {what}")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        conn.close()


@pytest.fixture
def bouncer(stack):
    """PgBouncer (transaction pooling, SCRAM) before the stack's PostgreSQL, on a Unix socket."""
    assert os.path.exists(PGBOUNCER), "pgbouncer is not installed (scripts/deps.sh installs it)"
    d = tempfile.mkdtemp(prefix="cm-pgb-", dir=os.path.join(stack["CERTMILL_STACK_DIR"], "run"))
    os.chmod(d, 0o700)
    _own(d)
    secrets = os.path.join(stack["CERTMILL_STACK_DIR"], "secrets")
    pw = {"certmill_api": _password(os.path.join(secrets, "pgpass-api")),
          "certmill_worker": _password(os.path.join(secrets, "pgpass-worker"))}
    users = os.path.join(d, "userlist.txt")
    with open(users, "w") as f:
        for role, p in pw.items():
            f.write(f'"{role}" "{p}"\n')
    ini = os.path.join(d, "pgbouncer.ini")
    with open(ini, "w") as f:
        f.write(f"""[databases]
certmill = host=127.0.0.1 port={stack['CERTMILL_PG_PORT']} dbname=certmill

[pgbouncer]
listen_addr =
listen_port = 6432
unix_socket_dir = {d}
unix_socket_mode = 0700
pool_mode = transaction
auth_type = scram-sha-256
auth_file = {users}
admin_users = certmill_api
default_pool_size = 4
max_client_conn = 50
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = {d}/pgbouncer.log
pidfile = {d}/pgbouncer.pid
""")
    passfiles = {}
    for role, p in pw.items():
        pf = os.path.join(d, f"pgpass-{role}")
        with open(pf, "w") as f:
            f.write(f"*:*:*:{role}:{p}\n")
        os.chmod(pf, 0o600)
        passfiles[role] = pf
    for path in (users, ini, *passfiles.values()):
        os.chmod(path, 0o600)
        _own(path)
    proc = subprocess.Popen(_as_service([PGBOUNCER, ini]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = os.path.join(d, ".s.PGSQL.6432")
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.1)
    assert os.path.exists(sock), open(os.path.join(d, "pgbouncer.log")).read()[-2000:]
    yield {"dir": d, "passfiles": passfiles, "passwords": pw}
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(d, ignore_errors=True)


def _watch_gate_locks(db, stop, seen):
    """Samples pg_locks: how many CA gate locks (class 74053, 74100+) certmill_worker holds."""
    cur = db.cursor()
    while not stop.is_set():
        cur.execute("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.granted AND a.usename = 'certmill_worker'"
                    " AND (l.classid = 74053 OR l.classid BETWEEN 74100 AND 74199)")
        seen.append(cur.fetchone()[0])
        time.sleep(0.005)


def test_fcgi_and_worker_through_pgbouncer_transaction_mode(stack, new_tenant, bouncer, db):
    d = bouncer["dir"]
    conf = os.path.join(d, "certmill.conf")
    fcgi_sock = os.path.join(d, "fcgi.sock")
    with open(conf, "w") as f:
        f.write(_config_through(stack["CERTMILL_CONFIG"], d, bouncer["passfiles"], fcgi_sock))
    os.chmod(conf, 0o600)
    _own(conf)
    bindir = stack["CERTMILL_BIN_DIR"]
    logs = {n: open(os.path.join(d, f"{n}.log"), "wb") for n in ("fcgi", "worker")}
    tenant, _ = new_tenant()
    key = tenant["api_key"]
    procs = []
    workers = int(stack.get("CERTMILL_WORKERS", "2"))
    for n in range(1, workers + 1):
        stack_ctl("stop-worker", str(n))
    try:
        procs.append(subprocess.Popen(_as_service([os.path.join(bindir, "certmill-fcgi"), "--config", conf]),
                                      stdout=logs["fcgi"], stderr=subprocess.STDOUT))
        for _ in range(100):
            if os.path.exists(fcgi_sock):
                break
            time.sleep(0.1)
        assert os.path.exists(fcgi_sock), open(os.path.join(d, "fcgi.log")).read()[-2000:]
        name = unique_name("pgb")
        status, headers, order = _fcgi(fcgi_sock, "POST", "/v1/orders", key,
                                       {"domains": [name], "challenge": "http-01", "key_type": "ec-p256"})
        assert status == 202, (status, order)
        assert headers["location"].endswith(order["id"])
        # nothing works on it yet: the stack's workers are stopped
        time.sleep(1)
        status, _, body = _fcgi(fcgi_sock, "GET", f"/v1/orders/{order['id']}", key)
        assert status == 200 and body["status"] == "queued", body
        stop, seen = threading.Event(), []
        watcher = threading.Thread(target=_watch_gate_locks, args=(db, stop, seen), daemon=True)
        watcher.start()
        procs.append(subprocess.Popen(_as_service([os.path.join(bindir, "certmill-worker"), "--config", conf,
                                                   "--id", "pgbouncer-worker"]),
                                      stdout=logs["worker"], stderr=subprocess.STDOUT))
        deadline = time.time() + 120
        while time.time() < deadline:
            status, _, body = _fcgi(fcgi_sock, "GET", f"/v1/orders/{order['id']}", key)
            assert status == 200, body
            if body["status"] in ("issued", "failed"):
                break
            time.sleep(0.5)
        stop.set()
        watcher.join(timeout=10)
        assert body["status"] == "issued", (body, open(os.path.join(d, "worker.log")).read()[-3000:])
        # the CA gate was held (in a transaction PgBouncer kept on one server connection) during requests:
        # a slot lock and the shared or exclusive lock together
        assert max(seen) >= 2, f"no gate lock seen in {len(seen)} samples"
        status, _, cert = _fcgi(fcgi_sock, "GET", f"/v1/certificates/{body['certificate_id']}", key)
        assert status == 200 and cert["domains"] == [name]
        assert cert["not_after"].endswith("Z")
        openssl_verify(stack, cert)
        # both programs really went through PgBouncer's pools, in transaction mode
        pools = _pgbouncer_show(d, "POOLS", "certmill_api", bouncer["passwords"]["certmill_api"])
        mine = {p["user"]: p for p in pools if p["database"] == "certmill"}
        assert {"certmill_api", "certmill_worker"} <= set(mine), pools
        assert all(p["pool_mode"] == "transaction" for p in mine.values()), pools
        stats = _pgbouncer_show(d, "STATS", "certmill_api", bouncer["passwords"]["certmill_api"])
        assert sum(s["total_xact_count"] for s in stats if s["database"] == "certmill") > 10, stats
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for n in range(1, workers + 1):
            stack_ctl("start-worker", str(n))
        for f in logs.values():
            f.close()
