#!/usr/bin/python3
"""make bench — certmill measured against its peers (lego, certbot, uacme) on one Pebble, in one run.

Starts its own stack (scripts/stack.sh, CM_STACK_DIR=var/bench/stack), runs the scenarios of
issue 7, prints a table and writes var/bench/results.json. It never fails on speed: the exit
status is 1 only when a scenario could not run. docs/performance.md describes the method.

Environment (defaults in brackets):
  BENCH_N            certificates per certmill issuance run [200]
  BENCH_PEER_N       certificates per peer configuration and run [24]
  BENCH_RUNS         runs of each scenario (median, min, max) [3]
  BENCH_LAT_N        single orders timed for the latency scenario [20]
  BENCH_PARALLEL     peers run this many at a time in the parallel configurations [8]
  BENCH_REAL_N       certificates of the realistic-delay scenario (certmill and each peer) [BENCH_N]
  BENCH_REAL_RUNS    runs of the realistic-delay scenario [BENCH_RUNS]
  BENCH_WRK_S        seconds of each wrk run [5]
  BENCH_QUEUE_JOBS   no-op jobs per queue run [5000]
  BENCH_SCALE_N      certificates generated for the scale scenario [1000000]
  BENCH_SCENARIOS    comma list of throughput,latency,realistic,api,queue,scale [all]
  BENCH_PORT_BASE    the bench stack's first port (16 ports) [25000]
  BENCH_KEEP_STACK   1 = leave the stack running at the end [0]
"""

import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import psycopg2
import requests

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(REPO, "var", "bench")
STACK_DIR = os.path.join(OUT, "stack")
LOGS = os.path.join(OUT, "logs")
PEERS = os.path.join(OUT, "peers")
BENCH_BIN = os.path.join(REPO, "build", "bench")
HERE = os.path.dirname(os.path.realpath(__file__))


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


N = env_int("BENCH_N", 200)
PEER_N = env_int("BENCH_PEER_N", 24)
RUNS = env_int("BENCH_RUNS", 3)
LAT_N = env_int("BENCH_LAT_N", 20)
PARALLEL = env_int("BENCH_PARALLEL", 8)
REAL_N = env_int("BENCH_REAL_N", N)
REAL_RUNS = env_int("BENCH_REAL_RUNS", RUNS)
WRK_S = env_int("BENCH_WRK_S", 5)
QUEUE_JOBS = env_int("BENCH_QUEUE_JOBS", 5000)
SCALE_N = env_int("BENCH_SCALE_N", 1000000)
PORT_BASE = env_int("BENCH_PORT_BASE", 25000)
ALL_SCENARIOS = ["throughput", "latency", "realistic", "api", "queue", "scale"]
SCENARIOS = [s.strip() for s in os.environ.get("BENCH_SCENARIOS", ",".join(ALL_SCENARIOS)).split(",") if s.strip()]
FRONT_PORT = PORT_BASE + 15   # bench nginx: static file, fcgi_min and the API, one config
FCGI_MIN_PORT = PORT_BASE + 14
CLK = os.sysconf("SC_CLK_TCK")
TAG = "b%d" % (int(time.time()) % 1000000)

for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(var, None)
os.environ["no_proxy"] = os.environ["NO_PROXY"] = "*"


class ScenarioError(Exception):
    """A scenario could not run (as opposed to: it ran slowly)."""


def log(msg):
    print("bench: " + msg, flush=True)


# ------------------------------------------------------------------ the stack

def stack(*args, nosleep=True, check=True):
    """Runs scripts/stack.sh on the bench stack; its output goes to logs/stack.log."""
    env = dict(os.environ, CM_PORT_BASE=str(PORT_BASE), CM_STACK_DIR=STACK_DIR,
               CM_PEBBLE_NOSLEEP="1" if nosleep else "0")
    with open(os.path.join(LOGS, "stack.log"), "a") as f:
        f.write("\n$ stack.sh %s\n" % " ".join(args))
        f.flush()
        r = subprocess.run([os.path.join(REPO, "scripts", "stack.sh")] + list(args), env=env, stdout=f,
                           stderr=subprocess.STDOUT)
    if check and r.returncode != 0:
        raise ScenarioError("stack.sh %s failed (see %s)" % (" ".join(args), os.path.join(LOGS, "stack.log")))
    return r.returncode


def stack_env():
    env = {}
    with open(os.path.join(STACK_DIR, "stack.env")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = shlex.split(v)[0] if v else ""
    return env


def fresh_stack():
    """Stops a previous bench stack and removes its state, so every bench starts from nothing."""
    os.makedirs(LOGS, exist_ok=True)
    if os.path.exists(os.path.join(STACK_DIR, "run")):
        stack("down", check=False)
    pgdata = os.path.join(STACK_DIR, "run", "pgdata")
    if os.path.exists(pgdata):
        base = os.path.dirname(open(pgdata).read().strip())
        if base.startswith("/tmp/certmill-pg-"):
            shutil.rmtree(base, ignore_errors=True)
    for d in (STACK_DIR, PEERS, LOGS):
        shutil.rmtree(d, ignore_errors=True)
    os.makedirs(LOGS, exist_ok=True)
    os.makedirs(PEERS, exist_ok=True)


# ------------------------------------------------------------------ CPU and memory from /proc

def read_pid(path):
    try:
        return int(open(path).readline().strip())
    except (OSError, ValueError):
        return None


def proc_stat(pid):
    """(utime+stime, cutime+cstime) in seconds of a live process, or None."""
    try:
        s = open("/proc/%d/stat" % pid).read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    # fields after comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return (int(f[11]) + int(f[12])) / CLK, (int(f[13]) + int(f[14])) / CLK


def proc_status(pid, key):
    """A kB figure of /proc/PID/status (VmHWM, VmRSS), or None."""
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def children_of(ppid):
    kids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            s = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        if int(s[s.rindex(")") + 2:].split()[1]) == ppid:
            kids.append(int(p))
    return kids


def certmill_pids():
    """name -> pid of certmill-fcgi, certmill-alpn and the workers of the bench stack."""
    run = os.path.join(STACK_DIR, "run")
    pids = {}
    for f in sorted(os.listdir(run)):
        if f in ("fcgi.pid", "alpn.pid") or (f.startswith("worker-") and f.endswith(".pid")):
            pid = read_pid(os.path.join(run, f))
            if pid and proc_stat(pid):
                pids[{"fcgi.pid": "certmill-fcgi", "alpn.pid": "certmill-alpn"}.get(f, f[:-4])] = pid
    return pids


def postmaster_pid():
    data = open(os.path.join(STACK_DIR, "run", "pgdata")).read().strip()
    return read_pid(os.path.join(data, "postmaster.pid"))


class CpuMeter:
    """CPU seconds of certmill's processes, of PostgreSQL (every process of the cluster, the
    postmaster's reaped children included, less the bench's own backends) and of Pebble."""

    def __init__(self, exclude_backends=()):
        self.exclude = list(exclude_backends)

    def snap(self):
        cm = sum((proc_stat(p) or (0, 0))[0] for p in certmill_pids().values())
        pm = postmaster_pid()
        own, kids = proc_stat(pm) or (0, 0)
        pg = own + kids + sum((proc_stat(k) or (0, 0))[0] for k in children_of(pm))
        mine = sum((proc_stat(k) or (0, 0))[0] for k in self.exclude)
        peb = read_pid(os.path.join(STACK_DIR, "run", "pebble.pid"))
        return {"certmill": cm, "postgres": pg - mine, "pebble": (proc_stat(peb) or (0, 0))[0] if peb else 0}

    @staticmethod
    def diff(a, b):
        return {k: b[k] - a[k] for k in a}


# ------------------------------------------------------------------ figures

class Figures:
    """Values of several runs per figure; median, min and max at the end."""

    def __init__(self):
        self.values = {}
        self.units = {}

    def add(self, name, value, unit=""):
        if value is None:
            return
        self.values.setdefault(name, []).append(value)
        self.units[name] = unit

    def summary(self):
        out = {}
        for k, v in self.values.items():
            out[k] = {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": v, "unit": self.units[k]}
        return out


RESULTS = {"scenarios": {}}


def scenario(name):
    """Runs one scenario; an exception marks it as not run (the bench then exits 1)."""
    def wrap(fn):
        def run(*a):
            if name not in SCENARIOS:
                return
            log("== scenario %s" % name)
            figs = Figures()
            entry = {"status": "ok"}
            t0 = time.monotonic()
            try:
                extra = fn(figs, *a) or {}
                entry.update(extra)
            except Exception as e:  # noqa: BLE001 — any failure means the scenario did not run
                entry["status"] = "error"
                entry["error"] = "%s: %s" % (type(e).__name__, e)
                log("scenario %s could not run: %s" % (name, entry["error"]))
            entry["figures"] = figs.summary()
            entry["seconds"] = round(time.monotonic() - t0, 1)
            RESULTS["scenarios"][name] = entry
        return run
    return wrap


# ------------------------------------------------------------------ certmill through the API

class Certmill:
    def __init__(self, env):
        self.env = env
        self.url = env["CERTMILL_URL"]
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.headers["Authorization"] = "Bearer " + env["CERTMILL_API_KEY"]
        self.db = psycopg2.connect(env["CERTMILL_DB_URL"])
        self.db.autocommit = True
        self.queries = 0
        with self.db.cursor() as c:
            c.execute("SELECT pg_backend_pid()")
            self.backend = c.fetchone()[0]

    def sql(self, q, args=None, fetch=True):
        self.queries += 1
        with self.db.cursor() as c:
            c.execute(q, args)
            return c.fetchall() if fetch and c.description else None

    def xacts(self):
        """Transactions (commits and rollbacks) of the database so far."""
        return self.sql("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")[0][0]

    def order(self, name):
        r = self.http.post(self.url + "/v1/orders",
                           json={"domains": [name], "challenge": "http-01", "key_type": "ec-p256"}, timeout=30)
        if r.status_code != 202:
            raise ScenarioError("POST /v1/orders answered %d: %s" % (r.status_code, r.text[:300]))
        return r.json()["id"]

    def wait_issued(self, ids, timeout, interval=0.02):
        """Polls the orders' status in the database until all are issued; returns the time."""
        deadline = time.monotonic() + timeout
        while True:
            (issued, bad), = self.sql("SELECT count(*) FILTER (WHERE status = 'issued'),"
                                      " count(*) FILTER (WHERE status IN ('failed', 'cancelled'))"
                                      " FROM orders WHERE id = ANY(%s)", (ids,))
            if issued == len(ids):
                return time.monotonic()
            if bad:
                raise ScenarioError("%d of %d certmill orders failed (see %s/log)" % (bad, len(ids), STACK_DIR))
            if time.monotonic() > deadline:
                raise ScenarioError("certmill: %d of %d issued after %ds" % (issued, len(ids), timeout))
            time.sleep(interval)

    def verify(self, ids, root):
        rows = self.sql("SELECT certificate_id FROM orders WHERE id = ANY(%s)", (ids,))
        for (cid,) in rows:
            c = self.http.get(self.url + "/v1/certificates/" + cid, timeout=30).json()
            openssl_verify(c["certificate_pem"] + c["chain_pem"], root)


def openssl_verify(fullchain, root):
    """openssl verify of the first certificate with the others as untrusted; raises if refused."""
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", fullchain, re.S)
    if not blocks:
        raise ScenarioError("no certificate to verify")
    with tempfile.TemporaryDirectory() as d:
        leaf, chain = os.path.join(d, "leaf.pem"), os.path.join(d, "chain.pem")
        open(leaf, "w").write(blocks[0])
        open(chain, "w").write("".join(blocks[1:]))
        args = ["openssl", "verify", "-CAfile", root] + (["-untrusted", chain] if blocks[1:] else []) + [leaf]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            raise ScenarioError("openssl verify refused a certificate: " + (r.stdout + r.stderr)[:300])


def certmill_batch(cm, names, timeout):
    """POSTs the orders one after another and waits for all: (wall seconds, CPU by process group)."""
    meter = CpuMeter([cm.backend])
    x0 = cm.xacts()
    q0 = cm.queries
    c0 = meter.snap()
    t0 = time.monotonic()
    ids = [cm.order(n) for n in names]
    t1 = cm.wait_issued(ids, timeout)
    c1 = meter.snap()
    # PostgreSQL publishes its counters within a second; the bench's own queries are not certmill's.
    time.sleep(1.5)
    xacts = cm.xacts() - x0 - (cm.queries - q0)
    return ids, t1 - t0, dict(CpuMeter.diff(c0, c1), xacts=xacts)


# ------------------------------------------------------------------ peers

class Peer:
    """One ACME client from Debian: how to run it once for a name, where its certificate lands."""

    def __init__(self, name, env, tag):
        self.name = name
        self.env = env
        self.dir = os.path.join(PEERS, "%s-%s" % (name, tag))
        os.makedirs(self.dir, exist_ok=True)
        self.webroot = os.path.join(STACK_DIR, "webroot")
        os.makedirs(self.webroot, exist_ok=True)
        os.chmod(self.webroot, 0o755)
        self.acme = env["CERTMILL_PEBBLE_URL"]
        self.tls_ca = env["CERTMILL_PEBBLE_TLS_CA"]

    def argv(self, domain):
        d, acme, w = self.dir, self.acme, self.webroot
        if self.name == "lego":
            return ["lego", "--server", acme, "--email", "bench@example.test", "--accept-tos", "--key-type", "ec256",
                    "--domains", domain, "--http", "--http.webroot", w, "--path", d, "run"]
        if self.name == "certbot":
            return ["certbot", "certonly", "--non-interactive", "--agree-tos", "--email", "bench@example.test",
                    "--server", acme, "--webroot", "-w", w, "-d", domain, "--config-dir", d + "/config",
                    "--work-dir", d + "/work", "--logs-dir", d + "/logs", "--key-type", "ecdsa",
                    "--elliptic-curve", "secp256r1"]
        if self.name == "uacme":
            # uacme's libcurl reads only the system bundle: a private mount namespace gets the CA there.
            return ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/ssl/certs/ca-certificates.crt && exec "$@"',
                    self.tls_ca, "uacme", "-a", acme, "-c", d, "-h", os.path.join(HERE, "uacme-hook.sh"), "-t", "EC",
                    "-b", "256", "-y", "issue", domain]
        raise ValueError(self.name)

    def penv(self):
        return dict(os.environ, LEGO_CA_CERTIFICATES=self.tls_ca, REQUESTS_CA_BUNDLE=self.tls_ca,
                    BENCH_WEBROOT=self.webroot)

    def setup(self):
        """Makes the account once (not timed): the timed runs reuse it, like a machine that renews."""
        if self.name == "uacme":
            argv = self.argv("x")[:-2]
            argv[argv.index("-h"):argv.index("-h") + 2] = []
            argv += ["new", "bench@example.test"]
            self.check(run_jobs([(argv, self.penv())], 1, self.logf("setup"))[0], "account")
        else:
            warm = "%s-%s-warm.example.test" % (TAG, os.path.basename(self.dir))
            self.check(run_jobs([(self.argv(warm), self.penv())], 1, self.logf("setup"))[0], "warm-up")

    def logf(self, what):
        return os.path.join(LOGS, "%s-%s.log" % (os.path.basename(self.dir), what))

    def check(self, job, what):
        if job["rc"] != 0:
            raise ScenarioError("%s %s failed (exit %s, see %s)" % (self.name, what, job["rc"], job["log"]))

    def fullchain(self, domain):
        d = self.dir
        if self.name == "lego":
            return open(os.path.join(d, "certificates", domain + ".crt")).read()
        if self.name == "certbot":
            return open(os.path.join(d, "config", "live", domain, "fullchain.pem")).read()
        return open(os.path.join(d, domain, "cert.pem")).read()

    def batch(self, domains, parallel):
        """Runs the peer once per name, `parallel` at a time: wall time and the jobs' rusage."""
        t0 = time.monotonic()
        jobs = run_jobs([(self.argv(n), self.penv()) for n in domains], parallel, self.logf("runs"))
        wall = time.monotonic() - t0
        for j in jobs:
            self.check(j, "run")
        return wall, jobs


def run_jobs(cmds, parallel, logpath, retries=3):
    """Runs the commands, `parallel` at a time, each through rusage_run; per job: rc, wall, CPU
    (user+sys, children included) and peak RSS (kB) from wait4."""
    results = [None] * len(cmds)
    running = {}
    queue = list(range(len(cmds)))
    with open(logpath, "a") as logf:
        while queue or running:
            while queue and len(running) < parallel:
                nxt = queue.pop(0)
                argv, env = cmds[nxt]
                logf.write("$ %s\n" % " ".join(argv))
                logf.flush()
                ru_file = os.path.join(OUT, "rusage-%d" % nxt)
                p = subprocess.Popen([os.path.join(BENCH_BIN, "rusage_run"), ru_file] + argv, env=env, stdout=logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
                running[p.pid] = (nxt, time.monotonic(), p, ru_file)
            pid, _, _ = os.wait4(-1, 0)
            if pid not in running:
                continue
            i, t0, p, ru_file = running.pop(pid)
            p.returncode = 0  # reaped here
            wall = time.monotonic() - t0
            try:
                rc, cpu, rss = open(ru_file).read().split()
                os.unlink(ru_file)
            except (OSError, ValueError):
                rc, cpu, rss = 127, 0, 0
            prev = results[i] or {"wall": 0, "cpu": 0, "maxrss_kb": 0, "attempts": 0}
            results[i] = {"rc": int(rc), "wall": prev["wall"] + wall, "cpu": prev["cpu"] + float(cpu),
                          "maxrss_kb": max(prev["maxrss_kb"], int(rss)), "log": logpath,
                          "attempts": prev["attempts"] + 1}
            # A failed run is run again (at most 3 times in all), its time and CPU counted: Pebble
            # refuses 5% of nonces on purpose, and Debian's certbot 2.1 crashes on a badNonce
            # ("AttributeError: can't set attribute" in josepy) instead of retrying.
            if int(rc) != 0 and results[i]["attempts"] < retries:
                logf.write("# exit %s: running it again\n" % rc)
                queue.insert(0, i)
    return results


# ------------------------------------------------------------------ issuance scenarios

PEER_CONFIGS = [("lego", 1), ("lego", PARALLEL), ("certbot", 1), ("uacme", 1), ("uacme", PARALLEL)]


def cfg_name(peer, par):
    return "%s-%s" % (peer, "seq" if par == 1 else "x%d" % par)


MEMORY = {"certmill": {}, "peers": {}}


@scenario("throughput")
def sc_throughput(figs, env):
    cm = Certmill(env)
    root = env["CERTMILL_CA_ROOT"]
    peers = {}
    for name in ("lego", "certbot", "uacme"):
        peers[name] = Peer(name, env, "main")
        peers[name].setup()
    for r in range(RUNS):
        log("throughput run %d/%d: certmill %d certificates" % (r + 1, RUNS, N))
        names = ["%s-t%d-%d.example.test" % (TAG, r, i) for i in range(N)]
        ids, wall, cpu = certmill_batch(cm, names, timeout=max(300, N * 3))
        cm.verify(ids, root)
        rate = N / wall
        figs.add("certmill.certs_per_s", rate, "cert/s")
        figs.add("certmill.wall_s", wall, "s")
        figs.add("certmill.cpu_s_per_cert", (cpu["certmill"] + cpu["postgres"]) / N, "s")
        figs.add("certmill.cpu_s_per_cert.certmill_only", cpu["certmill"] / N, "s")
        figs.add("certmill.cpu_s_per_cert.postgres", cpu["postgres"] / N, "s")
        figs.add("pebble.cpu_s_per_cert(certmill)", cpu["pebble"] / N, "s")
        figs.add("certmill.pg_transactions_per_cert", cpu["xacts"] / N, "")
        best = 0
        rates = {}
        for peer, par in PEER_CONFIGS:
            cname = cfg_name(peer, par)
            log("throughput run %d/%d: %s, %d certificates" % (r + 1, RUNS, cname, PEER_N))
            domains = ["%s-%s%d-%d.example.test" % (TAG, cname.replace("-", ""), r, i) for i in range(PEER_N)]
            meter = CpuMeter()
            c0 = meter.snap()
            pwall, jobs = peers[peer].batch(domains, par)
            c1 = CpuMeter.diff(c0, meter.snap())
            for d in domains:
                openssl_verify(peers[peer].fullchain(d), root)
            rates[cname] = PEER_N / pwall
            best = max(best, rates[cname])
            figs.add("%s.certs_per_s" % cname, rates[cname], "cert/s")
            figs.add("%s.cpu_s_per_cert" % cname, sum(j["cpu"] for j in jobs) / PEER_N, "s")
            figs.add("%s.s_per_run" % cname, statistics.median(j["wall"] for j in jobs), "s")
            figs.add("%s.failed_runs_repeated" % cname, sum(j["attempts"] - 1 for j in jobs), "")
            figs.add("pebble.cpu_s_per_cert(%s)" % cname, c1["pebble"] / PEER_N, "s")
            rss = max(j["maxrss_kb"] for j in jobs)
            MEMORY["peers"][peer] = max(MEMORY["peers"].get(peer, 0), rss)
        figs.add("ratio.throughput_vs_best_peer", rate / best, "x")
        figs.add("ratio.cpu_vs_lego", ((cpu["certmill"] + cpu["postgres"]) / N)
                 / figs.values["lego-seq.cpu_s_per_cert"][-1], "x")
    for name, pid in certmill_pids().items():
        MEMORY["certmill"][name] = proc_status(pid, "VmHWM")
    return {"n": N, "peer_n": PEER_N, "memory_peak_rss_kb": MEMORY}


@scenario("latency")
def sc_latency(figs, env):
    cm = Certmill(env)
    times = []
    for i in range(LAT_N):
        name = "%s-l%d.example.test" % (TAG, i)
        t0 = time.monotonic()
        oid = cm.order(name)
        t1 = cm.wait_issued([oid], 120, interval=0.005)
        times.append(t1 - t0)
        cm.verify([oid], env["CERTMILL_CA_ROOT"])
    figs.values["certmill.post_to_issued_s"] = times
    figs.units["certmill.post_to_issued_s"] = "s"
    # One run of each peer, one after another (the account exists, as for a renewal).
    runs = LAT_N
    for peer in ("lego", "uacme"):
        p = Peer(peer, env, "lat")
        p.setup()
        domains = ["%s-l%s-%d.example.test" % (TAG, peer, i) for i in range(runs)]
        _, jobs = p.batch(domains, 1)
        for d in domains:
            openssl_verify(p.fullchain(d), env["CERTMILL_CA_ROOT"])
        for j in jobs:
            figs.add("%s.one_run_s" % peer, j["wall"], "s")
    med = statistics.median(times)
    figs.add("ratio.latency_vs_uacme", med / statistics.median(figs.values["uacme.one_run_s"]), "x")
    figs.add("ratio.latency_vs_lego", med / statistics.median(figs.values["lego.one_run_s"]), "x")
    return {"samples": LAT_N, "peer_samples": runs}


@scenario("realistic")
def sc_realistic(figs, env):
    """Pebble with its random 0-15 s validation delay: certmill against lego and uacme 8 at a time."""
    log("restarting Pebble with its validation delay")
    stack("restart-pebble", nosleep=False)
    try:
        env = stack_env()
        cm = Certmill(env)
        for r in range(REAL_RUNS):
            names = ["%s-r%d-%d.example.test" % (TAG, r, i) for i in range(REAL_N)]
            log("realistic run %d/%d: certmill %d certificates" % (r + 1, REAL_RUNS, REAL_N))
            ids, wall, _ = certmill_batch(cm, names, timeout=max(600, REAL_N * 5))
            cm.verify(ids, env["CERTMILL_CA_ROOT"])
            figs.add("certmill.total_s", wall, "s")
            best = None
            for peer in ("lego", "uacme"):
                p = Peer(peer, env, "real%d" % r)
                p.setup()
                domains = ["%s-r%s%d-%d.example.test" % (TAG, peer, r, i) for i in range(REAL_N)]
                log("realistic run %d/%d: %s x%d, %d certificates" % (r + 1, REAL_RUNS, peer, PARALLEL, REAL_N))
                pwall, _ = p.batch(domains, PARALLEL)
                for d in domains:
                    openssl_verify(p.fullchain(d), env["CERTMILL_CA_ROOT"])
                figs.add("%s-x%d.total_s" % (peer, PARALLEL), pwall, "s")
                best = pwall if best is None else min(best, pwall)
            figs.add("ratio.best_peer_time_over_certmill", best / wall, "x")
    finally:
        log("restarting Pebble without the delay")
        stack("restart-pebble", nosleep=True, check=False)
    return {"n": REAL_N}


# ------------------------------------------------------------------ API

FRONT_CONF = """daemon on;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log notice;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp/body;
    fastcgi_temp_path {d}/tmp/fastcgi;
    proxy_temp_path {d}/tmp/proxy;
{extra}
    fastcgi_buffer_size 16k;
    fastcgi_buffers 64 16k;
    fastcgi_max_temp_file_size 0;
    types {{ application/json json; }}
    keepalive_timeout 30s;
    keepalive_requests 1000000;
    client_max_body_size 1m;
    client_body_buffer_size 1m;
    upstream certmill_fcgi {{ server 127.0.0.1:{fcgi}; }}
    upstream fcgi_min {{ server 127.0.0.1:{fmin}; }}
    server {{
        listen 127.0.0.1:{port};
        location = /static.json {{ root {d}/www; }}
        location = /min {{
            include {d}/fastcgi-min.conf;
        }}
        location = /min-list {{
            include {d}/fastcgi-min.conf;
        }}
        location /v1/ {{
            include {d}/fastcgi.conf;
        }}
        location @fcgi_unavailable {{ return 502; }}
        location @fcgi_timeout {{ return 504; }}
        location @too_large {{ return 413; }}
    }}
}}
"""

WRK_POST = """-- POST /v1/orders with a new name each time (the stack's quota and duplicate checks pass)
counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
function init(args) n = 0 end
function request()
  n = n + 1
  local body = string.format('{"domains":["%s-w%d-%d.example.test"],"challenge":"http-01","key_type":"ec-p256"}',
                             os.getenv("BENCH_TAG"), tid, n)
  local h = {["Content-Type"] = "application/json"}
  for k, v in pairs(wrk.headers) do h[k] = v end  -- wrk.format does not add the -H headers itself
  return wrk.format("POST", "/v1/orders", h, body)
end
"""

WRK_PACE = """-- A fixed rate: every connection waits BENCH_DELAY_MS before each request (wrk's delay hook).
local d = tonumber(os.getenv("BENCH_DELAY_MS"))
function delay() return d end
"""


def front_start(env, list_body=None):
    """The bench nginx and fcgi_min; list_body (bytes): what fcgi_min answers at /min-list."""
    d = os.path.join(OUT, "front")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "tmp"))
    os.makedirs(os.path.join(d, "www"))
    with open(os.path.join(d, "www", "static.json"), "w") as f:
        f.write('{"id":"ord_bench","status":"queued","domains":["bench.example.test"]}\n')
    conf = open(os.path.join(REPO, "web", "nginx", "certmill-fastcgi.conf")).read()
    open(os.path.join(d, "fastcgi.conf"), "w").write(conf)
    open(os.path.join(d, "fastcgi-min.conf"), "w").write(conf.replace("fastcgi_pass certmill_fcgi;",
                                                                       "fastcgi_pass fcgi_min;"))
    # Temp paths of the modules this nginx has (as scripts/stack.sh does).
    v = subprocess.run(["nginx", "-V"], capture_output=True, text=True).stderr
    extra = "".join("    %s_temp_path %s/tmp/%s;\n" % (m, d, m) for m in ("uwsgi", "scgi")
                    if "--without-http_%s_module" % m not in v)
    open(os.path.join(d, "nginx.conf"), "w").write(FRONT_CONF.format(d=d, fcgi=env["CERTMILL_FCGI_PORT"],
                                                                     fmin=FCGI_MIN_PORT, port=FRONT_PORT,
                                                                     extra=extra.rstrip("\n")))
    for path in (d, os.path.join(d, "www")):
        os.chmod(path, 0o755)
    user = ["-g", "user root;"] if os.geteuid() == 0 else []
    r = subprocess.run(["nginx", "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/error.log"] + user,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise ScenarioError("bench nginx did not start: " + r.stderr[:300])
    argv = [os.path.join(BENCH_BIN, "fcgi_min"), "127.0.0.1:%d" % FCGI_MIN_PORT, "4"]
    if list_body is not None:
        open(os.path.join(d, "list.json"), "wb").write(list_body)
        argv.append(os.path.join(d, "list.json"))
    fmin = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(os.path.join(LOGS, "fcgi_min.log"), "w"))
    time.sleep(0.3)
    return d, fmin


def front_stop(d, fmin):
    pid = read_pid(os.path.join(d, "nginx.pid"))
    if pid:
        os.kill(pid, signal.SIGTERM)
    fmin.kill()
    fmin.wait()


def wrk(url, key, seconds, conns=16, threads=2, script=None, extra_env=None):
    """One wrk run: requests/s, p50 and p99 in ms, non-2xx count, requests done."""
    args = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % seconds, "--latency", "-H", "Authorization: Bearer " + key]
    tmp = None
    if script:
        tmp = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        tmp.write(script)
        tmp.close()
        args += ["-s", tmp.name]
    try:
        r = subprocess.run(args + [url], capture_output=True, text=True, env=dict(os.environ, **(extra_env or {})),
                           timeout=seconds + 60)
    finally:
        if tmp:
            os.unlink(tmp.name)
    out = r.stdout
    with open(os.path.join(LOGS, "wrk.log"), "a") as f:
        shown = [a for a in args if not a.startswith("Authorization:")]  # never the API key in a log
        f.write("$ %s %s\n%s%s\n" % (" ".join(shown), url, out, r.stderr))
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    if r.returncode != 0 or not m:
        raise ScenarioError("wrk %s failed: %s" % (url, (out + r.stderr)[:300]))

    def ms(p):
        mm = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, out, re.M)
        if not mm:
            return None
        return float(mm.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[mm.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    done = re.search(r"(\d+) requests in", out)
    return {"rps": float(m.group(1)), "p50_ms": ms(50), "p99_ms": ms(99), "non2xx": int(bad.group(1)) if bad else 0,
            "requests": int(done.group(1)) if done else 0}


@scenario("api")
def sc_api(figs, env):
    cm = Certmill(env)
    workers = int(env.get("CERTMILL_WORKERS", "2"))
    for i in range(1, workers + 1):
        stack("stop-worker", str(i))
    oid = cm.order("%s-api.example.test" % TAG)
    key = env["CERTMILL_API_KEY"]
    # A page of the list as certmill answers it: fcgi_min sends the same bytes at /min-list.
    page = requests.get(env["CERTMILL_URL"] + "/v1/orders?limit=50", headers={"Authorization": "Bearer " + key},
                        timeout=30)
    if page.status_code != 200:
        raise ScenarioError("GET /v1/orders?limit=50 answered %d" % page.status_code)
    figs.add("list_orders.body_bytes", float(len(page.content)), "B")
    d, fmin = front_start(env, page.content)
    try:
        base = "http://127.0.0.1:%d" % FRONT_PORT
        targets = [("static", base + "/static.json", None), ("fcgi_min", base + "/min", None),
                   ("fcgi_min_list", base + "/min-list", None),
                   ("get_order", base + "/v1/orders/" + oid, None),
                   ("list_orders", base + "/v1/orders?limit=50", None),
                   ("post_order", base + "/v1/orders", WRK_POST)]
        for r in range(RUNS):
            got = {}
            for name, url, script in targets:
                w = wrk(url, key, WRK_S, script=script, extra_env={"BENCH_TAG": "%s%d" % (TAG, r)})
                if w["non2xx"]:
                    raise ScenarioError("%s: %d answers not 2xx" % (name, w["non2xx"]))
                got[name] = w
                figs.add("%s.rps" % name, w["rps"], "req/s")
                figs.add("%s.p50_ms" % name, w["p50_ms"], "ms")
                figs.add("%s.p99_ms" % name, w["p99_ms"], "ms")
            for name in ("get_order", "list_orders", "post_order"):
                figs.add("ratio.%s_vs_fcgi_min" % name, got[name]["rps"] / got["fcgi_min"]["rps"], "x")
            # The same page against a responder that sends as many bytes without computing them.
            figs.add("ratio.list_orders_vs_fcgi_min_list", got["list_orders"]["rps"] / got["fcgi_min_list"]["rps"],
                     "x")
            # p99 at a fixed 200 requests/s: 4 connections, each waiting 20 ms before each request.
            for name, url, _ in [t for t in targets if t[0] in ("static", "fcgi_min", "get_order", "list_orders")]:
                w = wrk(url, key, max(WRK_S, 5), conns=4, script=WRK_PACE, extra_env={"BENCH_DELAY_MS": "20"})
                figs.add("%s.paced_rps" % name, w["requests"] / max(WRK_S, 5), "req/s")
                figs.add("%s.paced_p99_ms" % name, w["p99_ms"], "ms")
    finally:
        front_stop(d, fmin)
        # The POSTed orders are never to be worked on: they go before the workers return.
        cm.sql("DELETE FROM jobs WHERE kind = 'order' AND order_id IN (SELECT id FROM orders WHERE status = 'queued')",
               fetch=False)
        cm.sql("UPDATE orders SET status = 'cancelled' WHERE status = 'queued'", fetch=False)
        for i in range(1, workers + 1):
            stack("start-worker", str(i), check=False)
    return {"wrk": "2 threads, 16 connections, %d s; paced: 4 connections x 20 ms delay" % WRK_S}


# ------------------------------------------------------------------ queue

def c_sql(path, func):
    """The SQL text of the first db_exec/db_query call in FUNC of a db/ source file (string
    literals joined), so the bench runs the very statement certmill runs."""
    src = open(os.path.join(REPO, path)).read()
    start = src.index(func + "(")
    body = src[start:src.index("\n}\n", start)]
    # The first run of adjacent literals that starts with an SQL verb.
    m = re.search(r'"(?:SELECT|UPDATE|INSERT|DELETE|WITH)\b(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*', body)
    if not m:
        raise ScenarioError("no SQL found in %s of %s" % (func, path))
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(0))).replace('\\"', '"')


def job_claim_sql():
    text = c_sql("db/work_job.c", "enum db_rc db_job_claim")
    return text[text.index("UPDATE jobs"):]


@scenario("queue")
def sc_queue(figs, env):
    cm = Certmill(env)
    workers = int(env.get("CERTMILL_WORKERS", "2"))
    pgpass = env["CERTMILL_PGPASSFILE"]
    claim = job_claim_sql()
    script = os.path.join(OUT, "pgbench-claim.sql")
    with open(script, "w") as f:
        f.write("-- the worker's claim statement (db/work_job.c, db_job_claim), then the finished job's delete\n")
        f.write(claim.replace("$1", ":owner").replace("$2", ":lease") + " \\gset c_\n")
        f.write("DELETE FROM jobs WHERE id = :c_id;\n")

    def insert_jobs(k):
        cm.sql("INSERT INTO jobs (kind) SELECT 'noop' FROM generate_series(1, %s)", (k,), fetch=False)

    def stop_all():
        for i in range(1, workers + 1):
            stack("stop-worker", str(i))
    try:
        for r in range(RUNS):
            for nw in (1, 2):
                stop_all()
                cm.sql("DELETE FROM jobs WHERE kind = 'noop'", fetch=False)
                for i in range(1, nw + 1):
                    stack("start-worker", str(i))
                time.sleep(1.0)
                meter = CpuMeter([cm.backend])
                c0 = meter.snap()
                with cm.db.cursor() as c:
                    c.execute("BEGIN")
                    c.execute("INSERT INTO jobs (kind) SELECT 'noop' FROM generate_series(1, %s)", (QUEUE_JOBS,))
                    c.execute("SELECT pg_notify('certmill_jobs', '')")
                    c.execute("COMMIT")
                t0 = time.monotonic()
                deadline = t0 + 300
                while cm.sql("SELECT count(*) FROM jobs WHERE kind = 'noop'")[0][0]:
                    if time.monotonic() > deadline:
                        raise ScenarioError("no-op jobs not done after 300 s")
                    time.sleep(0.01)
                wall = time.monotonic() - t0
                cpu = CpuMeter.diff(c0, meter.snap())
                figs.add("certmill.%dw.steps_per_s" % nw, QUEUE_JOBS / wall, "steps/s")
                figs.add("certmill.%dw.cpu_ms_per_step" % nw, (cpu["certmill"] + cpu["postgres"]) * 1000 / QUEUE_JOBS,
                         "ms")
            stop_all()
            for nc in (1, 2):
                cm.sql("DELETE FROM jobs WHERE kind = 'noop'", fetch=False)
                insert_jobs(QUEUE_JOBS)
                pr = subprocess.run(["pgbench", "-n", "-M", "extended", "-c", str(nc), "-j", str(nc),
                                     "-t", str(QUEUE_JOBS // nc), "-f", script, "-D", "owner=pgbench", "-D", "lease=60",
                                     "-h", "127.0.0.1", "-p", env["CERTMILL_PG_PORT"], "-U", "certmill", "certmill"],
                                    capture_output=True, text=True, env=dict(os.environ, PGPASSFILE=pgpass))
                with open(os.path.join(LOGS, "pgbench.log"), "a") as f:
                    f.write(pr.stdout + pr.stderr)
                m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", pr.stdout)
                if pr.returncode != 0 or not m:
                    raise ScenarioError("pgbench failed: " + (pr.stdout + pr.stderr)[-300:])
                figs.add("pgbench.%dc.steps_per_s" % nc, float(m.group(1)), "steps/s")
            for nw in (1, 2):
                figs.add("ratio.%dw_vs_pgbench" % nw, figs.values["certmill.%dw.steps_per_s" % nw][-1]
                         / figs.values["pgbench.%dc.steps_per_s" % nw][-1], "x")
    finally:
        cm.sql("DELETE FROM jobs WHERE kind = 'noop'", fetch=False)
        for i in range(1, workers + 1):
            stack("start-worker", str(i), check=False)
    return {"jobs": QUEUE_JOBS, "pgbench_script": open(script).read()}


# ------------------------------------------------------------------ scale

def renew_sql(func):
    return c_sql("db/renew.c", func)


@scenario("scale")
def sc_scale(figs, env):
    cm = Certmill(env)
    workers = int(env.get("CERTMILL_WORKERS", "2"))
    # A real certificate of this run gives the sizes (leaf PEM, sealed key) and the chain.
    if not cm.sql("SELECT 1 FROM certificates LIMIT 1"):
        cm.wait_issued([cm.order("%s-seed.example.test" % TAG)], 120)
    # The workers' own scheduler would take the due certificates: they stop meanwhile.
    for i in range(1, workers + 1):
        stack("stop-worker", str(i))
    try:
        return scale_run(figs, env, cm)
    finally:
        for i in range(1, workers + 1):
            stack("start-worker", str(i), check=False)


def scale_run(figs, env, cm):
    tenant = env["CERTMILL_TENANT_ID"]
    row = cm.sql("SELECT cert_pem, key_sealed, chain_id, key_type FROM certificates ORDER BY created_at DESC LIMIT 1")
    cert_pem, key_sealed, chain_id, key_type = row[0]
    before = cm.sql("SELECT count(*) FROM certificates")[0][0]
    due = 100
    log("scale: generating %d certificates (%d due for the scheduler)" % (SCALE_N, due))
    t0 = time.monotonic()
    cm.sql("INSERT INTO orders (id, tenant_id, domains, challenge, key_type, ca, status, step, created_at, updated_at)"
           " SELECT 'ord_s' || g, %s, ARRAY['s' || g || '.example.test'], 'http-01', %s, 'local', 'issued', 'done',"
           " now() - interval '30 days', now() - interval '30 days' FROM generate_series(1, %s) g",
           (tenant, key_type, SCALE_N), fetch=False)
    # Renewal looks spread over the next 60 days; the first `due` ones are overdue and expired
    # without auto_renew, so the scheduler pass marks them and makes no order.
    cm.sql("INSERT INTO certificates (id, tenant_id, order_id, ca, domains, serial, not_before, not_after, status,"
           " cert_pem, chain_id, key_type, key_sealed, auto_renew, renew_at, created_at)"
           " SELECT 'crt_s' || g, %s, 'ord_s' || g, 'local', ARRAY['s' || g || '.example.test'],"
           " lpad(to_hex(g), 36, '0'),"
           " CASE WHEN g <= %s THEN now() - interval '100 days' ELSE now() - interval '30 days' END,"
           " CASE WHEN g <= %s THEN now() - interval '10 days' ELSE now() + interval '60 days' END,"
           " CASE WHEN g <= %s THEN 'active' WHEN g %% 100 = 0 THEN 'expiring' ELSE 'active' END,"
           " %s, %s, %s, %s, g > %s,"
           " CASE WHEN g <= %s THEN now() - interval '1 hour' ELSE now() + (g %% 5184000) * interval '1 second' END,"
           " now() - interval '30 days' + g * interval '1 millisecond'"
           " FROM generate_series(1, %s) g",
           (tenant, due, due, due, cert_pem, chain_id, key_type, psycopg2.Binary(bytes(key_sealed)), due, due,
            SCALE_N), fetch=False)
    # (The generated orders keep certificate_id NULL: the two tables point at each other, and an UPDATE of
    # every order would leave a dead copy of each row behind.)
    cm.sql("VACUUM ANALYZE orders", fetch=False)
    cm.sql("VACUUM ANALYZE certificates", fetch=False)
    figs.add("generate_s", time.monotonic() - t0, "s")
    total = cm.sql("SELECT count(*) FROM certificates")[0][0]
    sizes = cm.sql("SELECT pg_total_relation_size('certificates'), pg_total_relation_size('chains'),"
                   " pg_database_size(current_database()), pg_total_relation_size('orders'),"
                   " (SELECT avg(length(pem)) FROM chains), (SELECT avg(octet_length(cert_pem)) FROM certificates)")[0]
    figs.add("db.certificates_bytes_per_cert", (sizes[0] + sizes[1]) / total, "B")
    figs.add("db.orders_bytes_per_cert", sizes[3] / total, "B")
    figs.add("db.database_bytes_per_cert", sizes[2] / total, "B")
    figs.add("db.chain_bytes_saved_per_cert", float(sizes[4] or 0), "B")
    figs.add("db.leaf_pem_bytes", float(sizes[5]), "B")

    claim = renew_sql("enum db_rc db_renew_claim")
    mark = renew_sql("enum db_rc db_renew_mark")
    mark = mark.replace("$1", "%(id)s").replace("$2", "%(at)s").replace("$3", "%(st)s").replace("$4", "%(ev)s")

    def timed(fn):
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1000

    def one_claim():
        with cm.db.cursor() as c:
            c.execute("BEGIN")
            c.execute(claim)
            c.fetchall()
            c.execute("ROLLBACK")

    def one_pass():
        # The worker's pass: claim the most overdue, mark it, until none is due (rolled back after, so
        # every repetition sees the same due set).
        with cm.db.cursor() as c:
            c.execute("BEGIN")
            n = 0
            while True:
                c.execute(claim)
                r = c.fetchone()
                if not r:
                    break
                c.execute(mark, {"id": r[0], "at": None, "st": "expired", "ev": False})
                n += 1
            c.execute("ROLLBACK")
        if n != due:
            raise ScenarioError("scheduler pass found %d due certificates, not %d" % (n, due))

    def one_pass_none():
        # A pass at a moment when nothing is due: its whole cost is finding that out among all the rows.
        with cm.db.cursor() as c:
            c.execute("BEGIN")
            c.execute("UPDATE certificates SET renew_at = now() + interval '1 day' WHERE renew_at <= now()")
            t = time.perf_counter()
            c.execute(claim)
            found = c.fetchall()
            ms = (time.perf_counter() - t) * 1000
            c.execute("ROLLBACK")
        if found:
            raise ScenarioError("a certificate was due in the empty pass")
        return ms

    reps = max(RUNS, 5)
    for _ in range(reps):
        figs.add("renew.claim_one_ms", timed(one_claim), "ms")
        figs.add("renew.pass_%d_due_ms" % due, timed(one_pass), "ms")
        figs.add("renew.pass_none_due_ms", one_pass_none(), "ms")
    lists = {
        "certs_page": "/v1/certificates?limit=50",
        "certs_status_expiring": "/v1/certificates?status=expiring&limit=50",
        "certs_domain": "/v1/certificates?domain=s777777.example.test&limit=50"
        if SCALE_N >= 777777 else "/v1/certificates?domain=s7.example.test&limit=50",
        "certs_expires_before": "/v1/certificates?expires_before=2000-01-01T00:00:00Z&limit=50",
        "orders_page": "/v1/orders?limit=50",
        "orders_status_failed": "/v1/orders?status=failed&limit=50",
    }
    for name, path in lists.items():
        cm.http.get(cm.url + path, timeout=120)
        for _ in range(reps):
            t = time.perf_counter()
            r = cm.http.get(cm.url + path, timeout=120)
            ms = (time.perf_counter() - t) * 1000
            if r.status_code != 200:
                raise ScenarioError("GET %s answered %d: %s" % (path, r.status_code, r.text[:200]))
            figs.add("api.%s_ms" % name, ms, "ms")
    return {"certificates": total, "generated": SCALE_N, "before": before, "due": due, "lists": lists,
            "renew_claim_sql": claim}


# ------------------------------------------------------------------ report

TARGETS = [
    # (label, scenario, figure, comparison, target)
    ("issuance throughput >= 4x the best peer configuration", "throughput", "ratio.throughput_vs_best_peer", ">=", 4),
    ("one certificate POST->issued no slower than one uacme run", "latency", "ratio.latency_vs_uacme", "<=", 1),
    ("certmill CPU per certificate below lego's", "throughput", "ratio.cpu_vs_lego", "<", 1),
    ("GET /v1/orders/{id} >= 0.5x the minimal FastCGI responder", "api", "ratio.get_order_vs_fcgi_min", ">=", 0.5),
    ("GET /v1/orders?limit=50 >= 0.5x the minimal FastCGI responder", "api", "ratio.list_orders_vs_fcgi_min", ">=",
     0.5),
    ("p99 of GET /v1/orders/{id} at 200 req/s < 20 ms", "api", "get_order.paced_p99_ms", "<", 20),
    ("p99 of GET /v1/orders?limit=50 at 200 req/s < 20 ms", "api", "list_orders.paced_p99_ms", "<", 20),
    ("scheduler pass over the certificates < 100 ms", "scale", "renew.pass_100_due_ms", "<", 100),
]


def machine():
    model = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) // 1024
    return {"nproc": os.cpu_count(), "cpu_model": model, "mem_mb": mem, "kernel": os.uname().release,
            "loadavg_at_start": open("/proc/loadavg").read().split()[:3]}


def versions():
    v = {}
    for pkg in ("lego", "certbot", "uacme", "pebble", "wrk", "postgresql-15", "nginx-light", "nginx"):
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout:
            v[pkg] = r.stdout
    return v


def check_target(cmp, value, target):
    return {">=": value >= target, "<=": value <= target, "<": value < target}[cmp]


def report():
    rows = []
    for name, sc in RESULTS["scenarios"].items():
        if sc["status"] != "ok":
            rows.append((name, "NOT RUN: " + sc["error"], "", "", ""))
        for fig, s in sc["figures"].items():
            rows.append((name, fig, fmt(s["median"]), fmt(s["min"]), fmt(s["max"]) + " " + s["unit"]))
    mem = MEMORY
    for proc, kb in sorted(mem["certmill"].items()):
        rows.append(("memory", "%s peak RSS" % proc, fmt((kb or 0) / 1024), "", "MB"))
    for proc, kb in sorted(mem["peers"].items()):
        rows.append(("memory", "%s peak RSS (largest run)" % proc, fmt(kb / 1024), "", "MB"))
    w = [max(len(r[i]) for r in rows + [("scenario", "figure", "median", "min", "max")]) for i in range(5)]
    line = "  ".join("%%-%ds" % x for x in w)
    print()
    print(line % ("scenario", "figure", "median", "min", "max"))
    print(line % tuple("-" * x for x in w))
    for r in rows:
        print(line % r)
    targets = []
    for label, scn, fig, cmp, target in TARGETS:
        sc = RESULTS["scenarios"].get(scn)
        s = sc and sc["figures"].get(fig)
        if not s:
            targets.append({"target": label, "figure": fig, "value": None, "met": None})
            continue
        targets.append({"target": label, "figure": fig, "value": s["median"], "limit": "%s %s" % (cmp, target),
                        "met": check_target(cmp, s["median"], target)})
    if mem["certmill"]:
        peak = max(v or 0 for v in mem["certmill"].values()) / 1024
        targets.append({"target": "RSS of each certmill process < 16 MB", "figure": "max VmHWM", "value": peak,
                        "limit": "< 16", "met": peak < 16})
    RESULTS["targets"] = targets
    write_markdown(rows, targets)
    print()
    print("targets (median of the runs, each ratio measured within one run):")
    for t in targets:
        state = "n/a" if t["met"] is None else ("met" if t["met"] else "NOT met")
        print("  %-62s %10s  %s %s" % (t["target"], fmt(t["value"]) if t["value"] is not None else "-",
                                        t.get("limit", ""), state))


def write_markdown(rows, targets):
    """var/bench/results.md: the same table as Markdown, for docs/performance.md."""
    m = RESULTS.get("machine", {})
    out = ["Run %s to %s; %s cores (%s); load average %s at the start, %s at the end." % (
        RESULTS.get("started_at"), RESULTS.get("finished_at"), m.get("nproc"), m.get("cpu_model"),
        " ".join(m.get("loadavg_at_start", [])), " ".join(m.get("loadavg_at_end", []))), "",
        "| scenario | figure | median | min | max |", "|---|---|---|---|---|"]
    for r in rows:
        out.append("| %s |" % " | ".join(x.replace("|", "/") for x in r))
    out += ["", "| target | figure | median | target | met |", "|---|---|---|---|---|"]
    for t in targets:
        out.append("| %s | `%s` | %s | %s | %s |" % (t["target"], t["figure"],
                                                   fmt(t["value"]) if t["value"] is not None else "-",
                                                   t.get("limit", ""), {None: "n/a", True: "yes", False: "**no**"}[t["met"]]))
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write("\n".join(out) + "\n")


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 1:
        return "%.2f" % v
    return "%.4f" % v


def main():
    os.makedirs(OUT, exist_ok=True)
    for tool in ("fcgi_min", "rusage_run"):
        if not os.access(os.path.join(BENCH_BIN, tool), os.X_OK):
            sys.exit("bench: %s/%s missing: run make bench" % (BENCH_BIN, tool))
    fresh_stack()
    RESULTS.update({"started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
                    "versions": versions(),
                    "config": {"N": N, "PEER_N": PEER_N, "RUNS": RUNS, "LAT_N": LAT_N, "PARALLEL": PARALLEL,
                               "REAL_N": REAL_N, "REAL_RUNS": REAL_RUNS, "WRK_S": WRK_S, "QUEUE_JOBS": QUEUE_JOBS, "SCALE_N": SCALE_N,
                               "PORT_BASE": PORT_BASE, "scenarios": SCENARIOS}})
    log("starting the bench stack in %s (ports %d-%d), log in %s/stack.log" % (STACK_DIR, PORT_BASE, PORT_BASE + 15,
                                                                              LOGS))
    ok = True
    try:
        stack("up")
        env = stack_env()
        # The tenant's abuse limits must not hold the bench back.
        Certmill(env).sql("UPDATE tenants SET rate_per_s = -1, max_active_orders = -1, max_certificates = -1",
                          fetch=False)
        sc_throughput(env)
        sc_latency(env)
        sc_realistic(env)
        sc_api(env)
        sc_queue(env)
        sc_scale(env)
    except ScenarioError as e:
        log("the stack could not start: %s" % e)
        ok = False
    finally:
        if os.environ.get("BENCH_KEEP_STACK") != "1":
            stack("down", check=False)
    RESULTS["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    RESULTS["machine"]["loadavg_at_end"] = open("/proc/loadavg").read().split()[:3]
    report()
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(RESULTS, f, indent=2)
    log("figures written to %s" % os.path.join(OUT, "results.json"))
    bad = [n for n, s in RESULTS["scenarios"].items() if s["status"] != "ok"]
    if bad or not ok or not RESULTS["scenarios"]:
        log("FAILED: scenarios that could not run: %s" % (", ".join(bad) or "all"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
