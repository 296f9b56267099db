"""engine/dns against real BIND: `certmill dns check` and `certmill dns update` checked with the
independent tools an operator would use (dig, nsupdate from bind9-dnsutils).

Most tests use the stack's BIND (example.test, TSIG key certmill-key). Two private named
processes started here in a private network namespace (127.0.0.2 and 127.0.0.3, port 53, zone
prop.test with a key per TSIG algorithm) give a zone with several servers that do not agree,
and a zone whose second server never answers. Every record a test adds is removed again."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import STACK, REPO

ZONE = "example.test"
ALGORITHMS = ["hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5"]


# ---------------------------------------------------------------- helpers

def _exe():
    return os.path.join(STACK.get("CERTMILL_BIN_DIR", os.path.join(REPO, "build", "asan", "bin")), "certmill")


def _in(netns):
    """The command prefix that runs a program in the private network namespace (netns: its holder pid)."""
    return ["nsenter", f"--net=/proc/{netns}/ns/net"] if netns else []


def dns_cli(*args, ok=True, netns=None):
    """Runs `certmill dns ARGS` with the stack's configuration; returns (exit status, JSON, stderr)."""
    r = subprocess.run(_in(netns) + [_exe(), "--config", STACK["CERTMILL_CONFIG"], "dns", *args],
                       capture_output=True, text=True, timeout=120)
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
    if ok:
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    out = json.loads(r.stdout) if r.stdout.strip() else None
    return r.returncode, out, r.stderr


def check(name, *extra, ok=True, netns=None):
    """`certmill dns check NAME` as JSON."""
    return dns_cli("check", name, *extra, ok=ok, netns=netns)[1]


def dig(name, rtype, server="127.0.0.1", port=None, netns=None):
    """Records of rtype at name, asked of one server directly (dig +short +norecurse)."""
    out = subprocess.run(_in(netns) + ["dig", "@" + server, "-p", str(port or STACK["CERTMILL_DNS_PORT"]), "+short",
                          "+norecurse", "+time=2", "+tries=1", name, rtype],
                         capture_output=True, text=True, check=True, timeout=20).stdout
    return [line for line in out.splitlines() if line]


def dig_txt(name, server="127.0.0.1", port=None, netns=None):
    return [v.strip('"') for v in dig(name, "TXT", server, port, netns)]


def nsupdate(lines, zone=ZONE, server="127.0.0.1", port=None, keyfile=None, netns=None):
    """One dynamic update signed with a key file (the stack's by default)."""
    script = "server {} {}\nzone {}\n{}\nsend\n".format(server, port or STACK["CERTMILL_DNS_PORT"], zone,
                                                        "\n".join(lines))
    subprocess.run(_in(netns) + ["nsupdate", "-k", keyfile or STACK["CERTMILL_TSIG_KEYFILE"]], input=script, text=True,
                   check=True, capture_output=True, timeout=30)


def label(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def server_label():
    return f"127.0.0.1:{STACK['CERTMILL_DNS_PORT']}"


@pytest.fixture
def cleanup():
    """Collects nsupdate lines that undo what a test added; runs them at teardown, even on failure."""
    undo = []
    yield undo
    for args in reversed(undo):
        try:
            nsupdate(**args)
        except subprocess.CalledProcessError:
            pass


# ---------------------------------------------------------------- the stack's BIND

def test_check_shows_addresses_zone_and_servers(stack):
    name = label("chk") + "." + ZONE
    c = check(name)
    assert c["name"] == name and c["wildcard"] is False
    # The zone's wildcard A answers; the same as dig sees, and no AAAA (Pebble tries IPv6 first).
    assert c["addresses"]["status"] == "found"
    assert c["addresses"]["a"] == dig(name, "A") == ["127.0.0.1"]
    assert c["addresses"]["aaaa"] == []
    assert c["caa"]["found_at"] is None and c["caa"]["records"] == []
    ch = c["acme_challenge"]
    assert ch["name"] == "_acme-challenge." + name
    assert ch["cname_target"] == ch["name"]
    assert ch["zone"] == ZONE
    assert ch["primary"] == "ns." + ZONE and ch["primary_address"] == "127.0.0.1"
    assert ch["servers"] == [{"name": "ns." + ZONE, "address": server_label()}]
    srv = ch["txt_by_server"][server_label()]
    assert srv["answer"] == "nodata" and srv["values"] == [] == dig_txt(ch["name"])


def test_txt_added_with_nsupdate_is_seen_on_every_server(stack, cleanup):
    name = label("prop") + "." + ZONE
    rname = "_acme-challenge." + name
    value = uuid.uuid4().hex
    # Not there yet: the propagation check says who answered what.
    rc, c, _ = dns_cli("check", name, "--expect", value, ok=False)
    assert rc == 1
    p = c["acme_challenge"]["propagation"]
    assert p["complete"] is False and p["served"] == 0 and p["servers"] == 1
    assert p["problem"] == (f"name {rname}: server {server_label()} (ns.{ZONE}) "
                            "answered NOERROR without TXT records")
    nsupdate([f'update add {rname} 60 TXT "{value}"', f'update add {rname} 60 TXT "other-value"'])
    cleanup.append({"lines": [f"update delete {rname} TXT"]})
    assert sorted(dig_txt(rname)) == sorted([value, "other-value"])
    c = check(name, "--expect", value)
    p = c["acme_challenge"]["propagation"]
    assert p == {"value": value, "complete": True, "served": 1, "servers": 1, "problem": None}
    srv = c["acme_challenge"]["txt_by_server"][server_label()]
    assert srv["answer"] == "data" and sorted(srv["values"]) == sorted([value, "other-value"])
    # Gone again: NOERROR without TXT (the zone's wildcard makes the name exist).
    nsupdate([f"update delete {rname} TXT"])
    assert dig_txt(rname) == []
    c = check(name, "--expect", value, ok=False)
    assert c["acme_challenge"]["propagation"]["complete"] is False


def test_nxdomain_and_nodata_are_told_apart(stack, cleanup):
    # ns.example.test exists, so names below it are not covered by the wildcard: NXDOMAIN.
    c = check(label("nx") + ".ns." + ZONE, "--expect", "v", ok=False)
    assert c["addresses"]["status"] == "nxdomain" and c["addresses"]["a"] == []
    p = c["acme_challenge"]["propagation"]
    assert p["problem"].endswith(f"server {server_label()} (ns.{ZONE}) answered NXDOMAIN")
    assert c["acme_challenge"]["txt_by_server"][server_label()]["answer"] == "nxdomain"
    # A name with a TXT record only: it exists, but has no address (NODATA), which dig confirms.
    name = label("nodata") + "." + ZONE
    nsupdate([f'update add {name} 60 TXT "x"'])
    cleanup.append({"lines": [f"update delete {name} TXT"]})
    assert dig(name, "A") == []
    c = check(name)
    assert c["addresses"]["status"] == "nodata"


def test_caa_for_another_ca_is_found_climbing_from_a_child(stack, cleanup):
    base = label("caa") + "." + ZONE
    nsupdate([f'update add {base} 60 CAA 0 issue "other-ca.example; accounturi=https://ca/acct/1"',
              f'update add {base} 60 CAA 0 issuewild ";"'])
    cleanup.append({"lines": [f"update delete {base} CAA"]})
    assert len(dig(base, "CAA")) == 2
    # Two labels below it (names that do not exist: NXDOMAIN) the relevant set is still base's.
    child = "a.b." + base
    c = check(child, "--issuer", "letsencrypt.org", ok=False)
    caa = c["caa"]
    assert caa["found_at"] == base
    assert sorted((r["flags"], r["tag"], r["value"]) for r in caa["records"]) == [
        (0, "issue", "other-ca.example; accounturi=https://ca/acct/1"), (0, "issuewild", ";")]
    assert caa["allowed"] is False
    assert caa["reason"] == f"CAA at {base}: issue allows only other-ca.example, not letsencrypt.org"
    # The CA it names may issue; for a wildcard, issuewild ";" forbids everyone.
    c = check(child, "--issuer", "Other-CA.example", ok=False)
    assert c["caa"]["allowed"] is True
    c = check("*." + base, "--issuer", "other-ca.example")
    assert c["wildcard"] is True and c["caa"]["found_at"] == base
    assert c["caa"]["allowed"] is False and "forbids every CA for wildcard" in c["caa"]["reason"]
    # A sibling has no CAA anywhere up the tree.
    c = check(label("nocaa") + "." + ZONE, "--issuer", "letsencrypt.org")
    assert c["caa"]["found_at"] is None and c["caa"]["allowed"] is True


def test_acme_challenge_cname_is_followed(stack, cleanup):
    alias = label("alias") + "." + ZONE
    target = label("target") + "." + ZONE
    value = uuid.uuid4().hex
    nsupdate([f"update add _acme-challenge.{alias} 60 CNAME {target}", f'update add {target} 60 TXT "{value}"'])
    cleanup.append({"lines": [f"update delete _acme-challenge.{alias} CNAME", f"update delete {target} TXT"]})
    assert dig("_acme-challenge." + alias, "CNAME") == [target + "."]
    c = check(alias, "--expect", value)
    ch = c["acme_challenge"]
    assert ch["cname_target"] == target and ch["zone"] == ZONE
    assert ch["txt_by_server"][server_label()]["values"] == [value] == dig_txt(target)
    assert ch["propagation"]["complete"] is True


def test_cname_loops_and_long_chains_are_refused(stack, cleanup):
    a, b = label("loopa") + "." + ZONE, label("loopb") + "." + ZONE
    nsupdate([f"update add _acme-challenge.{a} 60 CNAME {b}", f"update add {b} 60 CNAME _acme-challenge.{a}"])
    cleanup.append({"lines": [f"update delete _acme-challenge.{a} CNAME", f"update delete {b} CNAME"]})
    c = check(a, ok=False)
    assert "CNAME loop" in c["acme_challenge"]["error"]
    # Nine links: one more than certmill follows.
    names = [label(f"chain{i}") + "." + ZONE for i in range(9)]
    base = label("long") + "." + ZONE
    links = ["_acme-challenge." + base] + names
    lines = [f"update add {links[i]} 60 CNAME {links[i + 1]}" for i in range(9)]
    nsupdate(lines)
    cleanup.append({"lines": [f"update delete {n} CNAME" for n in links[:9]]})
    c = check(base, ok=False)
    assert "longer than 8" in c["acme_challenge"]["error"]


def test_name_outside_the_zone_is_a_clear_error(stack):
    rc, c, _ = dns_cli("check", "www.nowhere.invalid", ok=False)
    assert rc == 1
    assert c["acme_challenge"]["error"] == (
        f"CNAME lookup of _acme-challenge.www.nowhere.invalid: resolver {server_label()} answered REFUSED")
    assert c["addresses"]["error"].endswith("answered REFUSED")


def test_update_adds_and_deletes_exactly_one_value(stack, cleanup):
    rname = "_acme-challenge." + label("upd") + "." + ZONE
    key = ["--keyfile", STACK["CERTMILL_TSIG_KEYFILE"]]
    cleanup.append({"lines": [f"update delete {rname} TXT"]})
    out = dns_cli("update", "add", rname, "value-one", *key)[1]
    assert out["result"] == "ok" and out["key"] == STACK.get("CERTMILL_TSIG_KEYNAME", "certmill-key")
    # A second value beside it: the base name and the wildcard share _acme-challenge.
    dns_cli("update", "add", rname, "value-two", "--ttl", "30", *key)
    assert sorted(dig_txt(rname)) == ["value-one", "value-two"]
    dns_cli("update", "delete", rname, "value-one", *key)
    assert dig_txt(rname) == ["value-two"]
    # Explicit zone and server give the same result.
    dns_cli("update", "delete", rname, "value-two", "--zone", ZONE, "--server", server_label(), *key)
    assert dig_txt(rname) == []


def test_update_with_a_wrong_secret_or_key_fails_clearly(stack, tmp_path):
    text = open(STACK["CERTMILL_TSIG_KEYFILE"]).read()
    rname = "_acme-challenge." + label("bad") + "." + ZONE
    wrong_secret = tmp_path / "wrong-secret.key"
    wrong_secret.write_text(re.sub(r'secret\s+"[^"]*"', 'secret "' + "A" * 43 + '="', text))
    rc, out, err = dns_cli("update", "add", rname, "v", "--keyfile", str(wrong_secret), ok=False)
    assert rc == 1 and out["result"] == "tsig"
    assert "BADSIG" in err and "NOTAUTH" in err and "A" * 20 not in err
    unknown = tmp_path / "unknown.key"
    unknown.write_text(re.sub(r'key\s+"[^"]*"', 'key "nobody-knows-me"', text))
    rc, out, err = dns_cli("update", "add", rname, "v", "--keyfile", str(unknown), ok=False)
    assert rc == 1 and "BADKEY" in err
    assert dig_txt(rname) == []
    # Not a zone this server has: NOTAUTH; a name outside the given zone is refused before sending.
    rc, out, err = dns_cli("update", "add", "x.other.test", "v", "--zone", "other.test", "--server",
                           server_label(), "--keyfile", STACK["CERTMILL_TSIG_KEYFILE"], ok=False)
    assert rc == 1 and out["result"] == "notauth" and "not authoritative for zone other.test" in err
    rc, out, err = dns_cli("update", "add", "x.other.test", "v", "--zone", ZONE, "--keyfile",
                           STACK["CERTMILL_TSIG_KEYFILE"], ok=False)
    assert rc == 1 and "not in zone example.test" in err
    # A key file that is not one.
    bad = tmp_path / "bad.key"
    bad.write_text('key "k" { algorithm hmac-sha256; };\n')
    rc, out, err = dns_cli("update", "add", rname, "v", "--keyfile", str(bad), ok=False)
    assert rc == 1 and "has no secret" in err


# ---------------------------------------------------------------- private servers: several, disagreeing

PORT = 53  # inside the private namespace nothing else listens


def _stop(proc, timeout=15):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_dns(netns, ip, name):
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            if dig(name, "SOA", ip, PORT, netns):
                return
        except subprocess.CalledProcessError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"named on {ip}:{PORT} did not answer")


@pytest.fixture(scope="module")
def private_dns(stack):
    """A private network namespace (named binds only to addresses of its interfaces, so 127.0.0.2
    and .3 are added to its lo) with two named processes serving prop.test (NS ns1 = 127.0.0.2,
    ns2 = 127.0.0.3), each from its own copy, lame.test (NS ns1 and ns-dead = 127.0.0.4, where
    nothing listens), ghost.test (NS ns1 and ghost.prop.test, a name without address) and a
    delegation of sub.prop.test to ns-dead (ns1 answers referrals for it). One TSIG
    key per algorithm may update prop.test. Yields the namespace holder's pid (commands reach the
    servers through nsenter) and the key files."""
    for tool in ("named", "unshare", "nsenter", "ip"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    top = tempfile.mkdtemp(prefix="cm-dns-lib-")
    holder = subprocess.Popen(["unshare", "-n", "sh", "-c",
                               "ip link set lo up && ip addr add 127.0.0.2/32 dev lo && "
                               "ip addr add 127.0.0.3/32 dev lo && exec sleep 100000"],
                              stdin=subprocess.DEVNULL)
    procs = []
    try:
        netns = holder.pid
        deadline = time.time() + 10
        while "127.0.0.3/32" not in subprocess.run(_in(netns) + ["ip", "addr", "show", "lo"], capture_output=True,
                                                   text=True).stdout:
            if holder.poll() is not None or time.time() > deadline:
                pytest.skip("cannot make a private network namespace (unshare -n)")
            time.sleep(0.1)
        keys = {}
        for alg in ALGORITHMS:
            path = os.path.join(top, f"{alg}.key")
            text = subprocess.run(["tsig-keygen", "-a", alg, f"k-{alg}"], capture_output=True, text=True,
                                  check=True).stdout
            with open(path, "w") as f:
                f.write(text)
            keys[alg] = path
        soa = "@ IN SOA ns1.prop.test. hostmaster.prop.test. ( 1 3600 600 86400 5 )"
        zones = {
            "prop.test": "\n".join(["$TTL 60", soa, "@ IN NS ns1.prop.test.", "@ IN NS ns2.prop.test.",
                                    "ns1 IN A 127.0.0.2", "ns2 IN A 127.0.0.3", "ns-dead IN A 127.0.0.4",
                                    "www IN A 127.0.0.2", 'ghost IN TXT "no address"',
                                    "sub IN NS ns-dead.prop.test.", ""]),
            "lame.test": "\n".join(["$TTL 60", soa, "@ IN NS ns1.prop.test.", "@ IN NS ns-dead.prop.test.", ""]),
            "ghost.test": "\n".join(["$TTL 60", soa, "@ IN NS ns1.prop.test.", "@ IN NS ghost.prop.test.", ""]),
        }
        allow = " ".join(f"key k-{alg};" for alg in ALGORITHMS)
        for ip in ("127.0.0.2", "127.0.0.3"):
            d = os.path.join(top, ip)
            os.makedirs(d)
            for zname, ztext in zones.items():
                with open(os.path.join(d, zname + ".zone"), "w") as f:
                    f.write(ztext)
            conf = "\n".join([f'include "{keys[a]}";' for a in ALGORITHMS] + [
                "options {",
                f'  directory "{d}"; pid-file "{d}/named.pid"; lock-file "{d}/named.lock";',
                f'  session-keyfile "{d}/session.key"; managed-keys-directory "{d}";',
                f'  dump-file "{d}/dump.db"; statistics-file "{d}/named.stats";',
                f"  listen-on port {PORT} {{ {ip}; }}; listen-on-v6 {{ none; }};",
                # No recursion and no trust-anchor upkeep: it never asks anything of the Internet.
                "  recursion no; allow-transfer { none; }; dnssec-validation no; notify no;",
                "};",
                "controls { };",
                f'logging {{ channel l {{ file "{d}/named.log"; severity info; print-time yes; }};',
                "  category default { l; }; category lame-servers { null; }; };",
                f'zone "prop.test" {{ type master; file "{d}/prop.test.zone"; allow-update {{ {allow} }}; }};',
                f'zone "lame.test" {{ type master; file "{d}/lame.test.zone"; }};',
                f'zone "ghost.test" {{ type master; file "{d}/ghost.test.zone"; }};',
                ""])
            with open(os.path.join(d, "named.conf"), "w") as f:
                f.write(conf)
            with open(os.path.join(d, "stdout.log"), "w") as log:
                procs.append(subprocess.Popen(_in(netns) + ["named", "-c", os.path.join(d, "named.conf"), "-f",
                                                            "-n", "1"],
                                              stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        for ip in ("127.0.0.2", "127.0.0.3"):
            _wait_dns(netns, ip, "prop.test")
        yield {"netns": netns, "keys": keys, "dir": top}
    finally:
        for p in procs:
            _stop(p)
        _stop(holder, 5)
        shutil.rmtree(top, ignore_errors=True)


def _private_args():
    return ["--resolvers", f"127.0.0.2:{PORT}", "--port", str(PORT), "--timeout-ms", "700"]


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_update_with_every_tsig_algorithm(private_dns, alg):
    """ldns signs sha256/sha512/sha1/md5; sha384 and sha224 go through certmill's own TSIG code.
    BIND checks our signature, and certmill checks the signature of BIND's answer."""
    env = private_dns
    ns = env["netns"]
    args = _private_args() + ["--keyfile", env["keys"][alg], "--server", "127.0.0.2"]
    rname = f"_acme-challenge.{label(alg)}.prop.test"
    try:
        out = dns_cli("update", "add", rname, "v-" + alg, *args, netns=ns)[1]
        assert out["result"] == "ok" and out["key"] == f"k-{alg}"
        assert dig_txt(rname, "127.0.0.2", PORT, ns) == ["v-" + alg]
    finally:
        dns_cli("update", "delete", rname, "v-" + alg, *args, ok=False, netns=ns)
    assert dig_txt(rname, "127.0.0.2", PORT, ns) == []


@pytest.mark.parametrize("alg", ["hmac-sha384", "hmac-sha256"])
def test_wrong_secret_is_badsig_for_both_signers(private_dns, alg, tmp_path):
    env = private_dns
    text = open(env["keys"][alg]).read()
    bad = tmp_path / "bad.key"
    bad.write_text(re.sub(r'secret\s+"[^"]*"', 'secret "' + "QUJD" * 8 + '"', text))
    rname = f"x.{label('bad')}.prop.test"
    rc, out, err = dns_cli("update", "add", rname, "v", *_private_args(), "--keyfile", str(bad), ok=False,
                           netns=env["netns"])
    assert rc == 1 and out["result"] == "tsig" and "BADSIG" in err
    assert dig_txt(rname, "127.0.0.2", PORT, env["netns"]) == []


def test_propagation_across_servers_that_disagree(private_dns):
    env = private_dns
    ns = env["netns"]
    args = _private_args()
    key = ["--keyfile", env["keys"]["hmac-sha384"]]
    host = label("multi") + ".prop.test"
    rname = "_acme-challenge." + host
    value = uuid.uuid4().hex
    try:
        # No --server: the update goes to the primary master (SOA MNAME ns1 = 127.0.0.2) only.
        dns_cli("update", "add", rname, value, *args, *key, netns=ns)
        assert dig_txt(rname, "127.0.0.2", PORT, ns) == [value]
        assert dig_txt(rname, "127.0.0.3", PORT, ns) == []
        rc, c, _ = dns_cli("check", host, "--expect", value, *args, ok=False, netns=ns)
        assert rc == 1
        ch = c["acme_challenge"]
        assert ch["zone"] == "prop.test" and ch["primary"] == "ns1.prop.test"
        assert ch["servers"] == [{"name": "ns1.prop.test", "address": f"127.0.0.2:{PORT}"},
                                 {"name": "ns2.prop.test", "address": f"127.0.0.3:{PORT}"}]
        p = ch["propagation"]
        assert p["served"] == 1 and p["servers"] == 2 and p["complete"] is False
        assert p["problem"] == f"name {rname}: server 127.0.0.3:{PORT} (ns2.prop.test) answered NXDOMAIN"
        # The second server catches up (here: updated directly): now every server serves it.
        dns_cli("update", "add", rname, value, *args, *key, "--server", f"127.0.0.3:{PORT}", netns=ns)
        c = check(host, "--expect", value, *args, netns=ns)
        assert c["acme_challenge"]["propagation"]["complete"] is True
        # ns2 answers a different value: reported with what it said.
        dns_cli("update", "delete", rname, value, *args, *key, "--server", "127.0.0.3", netns=ns)
        dns_cli("update", "add", rname, "stale-value", *args, *key, "--server", "127.0.0.3", netns=ns)
        c = check(host, "--expect", value, *args, ok=False, netns=ns)
        assert c["acme_challenge"]["propagation"]["problem"] == (
            f'name {rname}: server 127.0.0.3:{PORT} (ns2.prop.test) answered TXT "stale-value"')
    finally:
        for ip in ("127.0.0.2", "127.0.0.3"):
            for v in (value, "stale-value"):
                dns_cli("update", "delete", rname, v, *args, *key, "--server", ip, ok=False, netns=ns)
    assert dig_txt(rname, "127.0.0.2", PORT, ns) == [] and dig_txt(rname, "127.0.0.3", PORT, ns) == []


def test_a_server_that_never_answers_is_reported(private_dns):
    ns = private_dns["netns"]
    t0 = time.time()
    rc, c, _ = dns_cli("check", "www.lame.test", "--expect", "v", *_private_args(), ok=False, netns=ns)
    assert rc == 1
    ch = c["acme_challenge"]
    assert [s["name"] for s in ch["servers"]] == ["ns-dead.prop.test", "ns1.prop.test"]
    dead = ch["txt_by_server"][f"127.0.0.4:{PORT}"]
    assert dead["answer"] == "no_answer" and dead["what"] == "did not answer within 700 ms"
    assert ch["txt_by_server"][f"127.0.0.2:{PORT}"]["answer"] == "nxdomain"
    assert ch["propagation"]["problem"] == (
        f"name _acme-challenge.www.lame.test: server 127.0.0.4:{PORT} (ns-dead.prop.test) did not answer "
        f"within 700 ms; server 127.0.0.2:{PORT} (ns1.prop.test) answered NXDOMAIN")
    # Bounded: a few timeouts, not minutes.
    assert time.time() - t0 < 15


def test_zone_with_an_ns_without_address_is_an_error(private_dns):
    env = private_dns
    ns = env["netns"]
    assert dig("ghost.prop.test", "A", "127.0.0.2", PORT, ns) == []
    c = check("www.ghost.test", *_private_args(), ok=False, netns=ns)
    assert c["acme_challenge"]["error"] == "NS ghost.prop.test of zone ghost.test has no address"
    # Without --server the update needs the zone's servers too, and says why it cannot go on.
    rc, out, err = dns_cli("update", "add", "_acme-challenge.www.ghost.test", "v", *_private_args(),
                           "--keyfile", env["keys"]["hmac-sha256"], ok=False, netns=ns)
    assert rc == 1 and out["result"] == "error" and "has no address" in err


def test_referral_from_a_non_recursive_resolver_is_not_taken_for_an_answer(private_dns):
    """ns1 (the resolver here) does not recurse: for sub.prop.test it can only refer to ns-dead.
    Taking that for NODATA, or walking up to prop.test, would be wrong; certmill says what happened."""
    ns = private_dns["netns"]
    c = check("www.sub.prop.test", *_private_args(), ok=False, netns=ns)
    assert c["addresses"]["error"] == (f"A lookup of www.sub.prop.test: resolver 127.0.0.2:{PORT} answered with "
                                       "a referral (it does not recurse)")
    assert c["acme_challenge"]["error"].endswith("answered with a referral (it does not recurse)")
