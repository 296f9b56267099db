"""docs/certmill.conf.5 (issue 8, point 1): the man page documents every key
engine/base/config.c accepts — each with its default, and the range of each integer key
as the code checks it — and nothing the code lacks; groff reads it without a warning.
Then the lookup order the page describes: --config, then $CERTMILL_CONFIG, then
/etc/certmill/certmill.conf, and an unknown key refused with file:line and reason."""

import os
import re
import shlex
import subprocess
import tempfile

from conftest import REPO, STACK

MAN = os.path.join(REPO, "docs", "certmill.conf.5")
CONFIG_C = os.path.join(REPO, "engine", "base", "config.c")


def _code_keys():
    """{(section, key)} from the key tables of config.c and the sections config_check_keys maps them to."""
    src = open(CONFIG_C).read()
    tables = {m[1]: set(re.findall(r'"([a-z0-9_]+)"', m[2]))
              for m in re.finditer(r"static const char \*const config_keys_(\w+)\[\] = \{(.*?)\};", src, re.S)}
    sections = dict((t, s) for s, t in re.findall(r'strcmp\(e->section, "([a-z0-9_]+)"\) == 0\)\s*keys = '
                                                  r'config_keys_(\w+);', src))
    assert re.search(r'strncmp\(e->section, "ca\.", 3\) == 0[^\n]*\n\s*keys = config_keys_ca;', src)
    sections["ca"] = "ca.NAME"
    assert set(tables) == set(sections), (tables.keys(), sections)  # every table reachable
    return {(sections[t], k) for t, keys in tables.items() for k in keys}


def _roff_text(line):
    """The words of one roff line, fonts dropped (.BR a b -> ab, .B a b -> a b)."""
    line = line.replace("\\-", "-").replace("\\(sc", "§")
    line = re.sub(r"\\f[BIRP]", "", line)
    m = re.match(r"^\.(B|I|BR|RB|IR|RI|BI|IB)\s+(.*)$", line)
    if not m:
        return "" if line.startswith(".") else line
    args = shlex.split(m[2].replace("'", "\\'"))
    return (" " if m[1] in ("B", "I") else "").join(args)


def _man_keys():
    """{(section, key): paragraph text} from the .SS "[section]" / .TP / .B key entries of the page."""
    out, section, key = {}, None, None
    lines = open(MAN).read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith(".SH"):
            section = key = None
        m = re.match(r'^\.SS "\[([a-z0-9_.A-Z]+)\]"$', line)
        if m:
            section, key = m[1], None
            continue
        if section and line == ".TP":
            m = re.match(r"^\.B ([a-z0-9_]+)$", lines[i + 1])
            assert m, ("a .TP in a section must name a key with .B", lines[i + 1])
            key = m[1]
            assert (section, key) not in out, ("documented twice", section, key)
            out[(section, key)] = ""
            continue
        if section and key and not line.startswith(".SS"):
            out[(section, key)] += " " + _roff_text(line)
    return {k: re.sub(r"\s+", " ", v).strip() for k, v in out.items()}


def test_every_key_documented_and_nothing_else():
    code, man = _code_keys(), _man_keys()
    assert len(code) > 40
    assert sorted(code - set(man)) == [], "keys config.c accepts that the man page lacks"
    assert sorted(set(man) - code) == [], "keys the man page documents that config.c does not accept"
    for (section, key), text in man.items():
        assert "Default:" in text or "Required." in text, (section, key, text)


def test_integer_defaults_and_ranges_match_the_code():
    src = open(CONFIG_C).read()
    man = _man_keys()
    calls = re.findall(r'config_int\(ini, (?:"([a-z0-9_]+)"|section), "([a-z0-9_]+)", ([^,]+), ([^,]+), ([^,]+),',
                       src)
    assert len(calls) >= 14
    num = lambda e: eval(e, {"__builtins__": {}}) if re.fullmatch(r"[0-9 *]+", e) else None  # noqa: E731
    for section, key, lo, hi, default in calls:
        text = man[(section or "ca.NAME", key)]
        lo, hi, default = num(lo), num(hi), num(default)
        assert None not in (lo, hi, default), (section, key)
        assert f"{lo} to {hi}" in text, (section, key, lo, hi, text)
        assert re.search(rf"Default: {default}\b", text), (section, key, default, text)


def test_groff_reads_it_without_warnings():
    r = subprocess.run(["groff", "-ww", "-z", "-man", MAN], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    r = subprocess.run(["man", "--warnings", "-l", MAN], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat"))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    for heading in ("FILE LOOKUP", "SECRETS", "ERRORS", "CERTMILL_CONFIG", "/etc/certmill/certmill.conf"):
        assert heading in r.stdout


def _doctor(args, env_config):
    env = dict(os.environ)
    env.pop("CERTMILL_CONFIG", None)
    if env_config is not None:
        env["CERTMILL_CONFIG"] = env_config
    exe = os.path.join(STACK["CERTMILL_BIN_DIR"], "certmill")
    return subprocess.run([exe, *args, "doctor"], capture_output=True, text=True, env=env, timeout=120)


def test_lookup_order(stack):
    with tempfile.TemporaryDirectory() as d:
        def conf(name, text):
            p = os.path.join(d, name)
            with open(p, "w") as f:
                f.write(text)
            os.chmod(p, 0o600)
            return p
        good = ("[database]\nconninfo = " + stack["CERTMILL_DB_URL"] + "\n[keys]\nmaster_key_file = "
                + os.path.join(stack["CM_STACK_DIR"], "secrets", "master.key") + "\n")
        a = conf("a.conf", good)
        b = conf("b.conf", good)
        bad = conf("bad.conf", "# certmill\n[worker]\nlease_seconds = 10\npoll_intervall_ms = 5\n")
        # $CERTMILL_CONFIG when there is no --config
        r = _doctor([], a)
        assert re.search(rf"^ok +configuration: {re.escape(a)}$", r.stdout, re.M), r.stdout + r.stderr
        # --config wins over $CERTMILL_CONFIG
        r = _doctor(["--config", b], a)
        assert re.search(rf"^ok +configuration: {re.escape(b)}$", r.stdout, re.M), r.stdout + r.stderr
        r = _doctor(["--config", bad], a)
        assert r.returncode == 2 and f"{bad}:4: unknown key 'poll_intervall_ms' in [worker]" in r.stderr, r.stderr
        # the environment's file is refused the same way, with its own file and line
        r = _doctor([], bad)
        assert r.returncode == 2 and f"{bad}:4: unknown key 'poll_intervall_ms' in [worker]" in r.stderr, r.stderr
        # neither: /etc/certmill/certmill.conf (an empty $CERTMILL_CONFIG counts as none)
        for env_config in (None, ""):
            r = _doctor([], env_config)
            assert "/etc/certmill/certmill.conf" in r.stdout + r.stderr, r.stdout + r.stderr
            assert a not in r.stdout + r.stderr
