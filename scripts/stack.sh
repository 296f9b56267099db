#!/usr/bin/env bash
# stack.sh — start, stop and inspect a private certmill stack on loopback:
# PostgreSQL 15, Pebble (test ACME CA), BIND 9 (Pebble's DNS, example.test),
# PowerDNS Authoritative (pdns.example.test, HTTP API; BIND is its secondary),
# nginx (API + HTTP-01 front), certmill-fcgi, certmill-alpn (TLS-ALPN-01)
# and N certmill-worker processes.
#
# Usage: scripts/stack.sh up | down | status
#        scripts/stack.sh start-worker N | stop-worker N | kill-worker N
#        scripts/stack.sh restart-certmill (certmill-fcgi, certmill-alpn and the workers
#                         stopped and started again: they read certmill.conf anew)
#        scripts/stack.sh restart-pebble   (a new Pebble forgets accounts and
#                                           orders, and has a new root)
#        scripts/stack.sh stop-pebble | start-pebble | stop-postgres | start-postgres
#                                          (outages for the reliability tests)
#
# Environment (defaults in brackets):
#   CM_STACK_DIR      state, logs, pid files       [$repo/var/stack]
#   CM_PORT_BASE      first of 14 ports            [18000]
#   CM_BIN_DIR        certmill binaries            [$repo/build/bin]
#   CM_PEBBLE_NOSLEEP 1 = no random 0-15 s validation delay in Pebble [1]
#   CM_WORKERS        number of workers `up` starts [2]
#   CM_LOG_FORMAT     [log] format of the services: text, json, journal, auto [text]
#
# Ports: base+0 PostgreSQL, +1 Pebble ACME (https), +2 Pebble management,
# +3 HTTP-01 (nginx), +4 TLS-ALPN-01 (certmill-alpn), +5 BIND (udp+tcp),
# +6 nginx API (http), +7 certmill-fcgi (FastCGI), +8 PowerDNS (udp+tcp),
# +9 PowerDNS HTTP API, +10 pebble-eab ACME (a second Pebble that requires
# External Account Binding; validates on +3/+4 with BIND like the first),
# +11 pebble-eab management, +12 ca-front (nginx before Pebble that can answer
# 429/503 with Retry-After on demand, scripts/ca-front.conf.in), +13 kept free:
# the CA "local-down" of certmill.conf points there, a CA that is down;
# +14 webhook receivers the tests start (CERTMILL_WEBHOOK_PORT; [webhooks]
# allow_destinations lets deliveries reach 127.0.0.0/8). All on 127.0.0.1.
#
# DNS: BIND is primary for example.test (TSIG-signed updates) and secondary
# for pdns.example.test, whose primary is PowerDNS (zone kind Master, sqlite
# backend): a change through the PowerDNS API bumps the SOA serial
# (SOA-EDIT-API INCREASE), PowerDNS sends NOTIFY to BIND within a second, BIND
# transfers the zone. So Pebble and certmill ask only BIND (base+5), which
# answers authoritatively for both zones, and see PowerDNS changes after a real
# (short) propagation delay.
#
# Layout of $CM_STACK_DIR: pg/ (cluster, owned by the postgres user when run
# as root; in /tmp/certmill-pg-<hash> when that user cannot reach the dir,
# see run/pgdata), pebble/ (TLS CA, config, root.pem and root-N.pem of the current run,
# pebble-eab-config.json and eab-root.pem of pebble-eab),
# bind/ (named.conf, zone example.test, the copy of pdns.example.test), pdns/
# (pdns.conf, pdns.sqlite3; zone pdns.example.test made afresh at every `up`),
# nginx/, log/ (one log per process, the previous run's as *.log.1), run/ (pid
# files), secrets/ (0700: master.key, pgpass, tsig.key, pdns-api-key, eab-hmac-key,
# demo-tenant.json), certmill.conf, stack.env (KEY=VALUE
# for tests and scripts/demo.sh; var/stack.env links to the default one).
set -euo pipefail
umask 022
shopt -u patsub_replacement 2>/dev/null || true   # bash 5.2: '&' stays literal in ${x//a/b}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ---------------------------------------------------------------- settings

DIR=$(realpath -m -- "${CM_STACK_DIR:-$repo/var/stack}")
PEBBLE_NOSLEEP=${CM_PEBBLE_NOSLEEP:-1}
# Alternate chains: roots besides the default one, and intermediates per chain (Pebble's
# PEBBLE_ALTERNATE_ROOTS and PEBBLE_CHAIN_LENGTH).
PEBBLE_ALT_ROOTS=2
PEBBLE_CHAIN_LENGTH=3
WORKERS=${CM_WORKERS:-2}
# `up` takes the defaults; the other commands, when CM_BIN_DIR/CM_PORT_BASE
# are not set, reuse those the running stack was started with.
recorded() {
    if [[ "${1:-}" != up && -s "$DIR/run/$2" ]]; then cat "$DIR/run/$2"; else printf '%s' "$3"; fi
}
BIN=$(realpath -m -- "${CM_BIN_DIR:-$(recorded "${1:-}" bin-dir "$repo/build/bin")}")
PORT_BASE=${CM_PORT_BASE:-$(recorded "${1:-}" port-base 18000)}
if ! [[ "$PORT_BASE" =~ ^[0-9]+$ ]] || ((PORT_BASE < 1024 || PORT_BASE > 65524)); then
    echo "stack: CM_PORT_BASE must be 1024..65524, not '$PORT_BASE'" >&2
    exit 2
fi
[[ "$WORKERS" =~ ^[0-9]+$ ]] ||
    { echo "stack: CM_WORKERS must be a number, not '$WORKERS'" >&2; exit 2; }

PG_PORT=$((PORT_BASE + 0))
ACME_PORT=$((PORT_BASE + 1))
MGMT_PORT=$((PORT_BASE + 2))
HTTP01_PORT=$((PORT_BASE + 3))
TLSALPN_PORT=$((PORT_BASE + 4))
DNS_PORT=$((PORT_BASE + 5))
API_PORT=$((PORT_BASE + 6))
FCGI_PORT=$((PORT_BASE + 7))
PDNS_PORT=$((PORT_BASE + 8))
PDNS_API_PORT=$((PORT_BASE + 9))
EAB_ACME_PORT=$((PORT_BASE + 10))
EAB_MGMT_PORT=$((PORT_BASE + 11))
CA_FRONT_PORT=$((PORT_BASE + 12))
CA_DOWN_PORT=$((PORT_BASE + 13))
LAST_PORT=$CA_DOWN_PORT

PG_BIN=/usr/lib/postgresql/15/bin
CONF=$DIR/certmill.conf
LOGDIR=$DIR/log
RUNDIR=$DIR/run
SECRETS=$DIR/secrets
ZONE=example.test
TSIG_NAME=certmill-key
PDNS_ZONE=pdns.$ZONE

# Everything here talks to 127.0.0.1 only: never through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*' NO_PROXY='*'

# The PostgreSQL cluster runs as `postgres` when we are root (initdb refuses
# root), else as ourselves.
if ((EUID == 0)); then PG_USER=postgres; else PG_USER=$(id -un); fi
# The certmill services (fcgi, alpn, workers) run as an unprivileged system user
# when we are root (docs/security.md, "Least privilege"); else as ourselves.
if ((EUID == 0)); then SVC_USER=certmill; else SVC_USER=""; fi
DIR_HASH=$(printf '%s' "$DIR" | sha256sum | cut -c1-12)

# ---------------------------------------------------------------- helpers

log() { printf 'stack: %s\n' "$*"; }
warn() { printf 'stack: warning: %s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# as_pg CMD... — run CMD as the cluster's owner, from a directory it can enter.
as_pg() {
    if ((EUID == 0)); then
        (cd / && runuser -u "$PG_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

# pid_alive PID — true while PID exists and is not a zombie.
pid_alive() {
    local pid=$1 stat
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
    # "pid (comm) S ...": the state follows the last ')'; comm may hold spaces.
    stat=${stat##*) }
    [[ -n "$stat" && "${stat:0:1}" != Z ]]
}

# pid_cmdline PID — the command line of PID, arguments joined by spaces.
pid_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# pidfile_read FILE — print the pid in FILE (nothing if absent or invalid).
pidfile_read() {
    local pid=""
    if [[ -r "$1" ]]; then read -r pid <"$1" 2>/dev/null || true; fi
    [[ "$pid" =~ ^[0-9]+$ ]] && printf '%s' "$pid"
    return 0
}

# pidfile_alive FILE EXPECT — print the pid of FILE if that process runs and
# its command line contains EXPECT (guards against a reused pid).
pidfile_alive() {
    local pid
    pid=$(pidfile_read "$1")
    [[ -n "$pid" ]] && pid_alive "$pid" && [[ "$(pid_cmdline "$pid")" == *"$2"* ]] || return 1
    printf '%s' "$pid"
}

# wait_gone TIMEOUT PID... — wait until all PIDs have exited; false on timeout.
wait_gone() {
    local timeout=$1 pid left deadline=$((SECONDS + $1))
    shift
    while :; do
        left=0
        for pid in "$@"; do pid_alive "$pid" && left=1; done
        ((left)) || return 0
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# stop_pid NAME TIMEOUT PID — SIGTERM, wait TIMEOUT s, then SIGKILL.
stop_pid() {
    local name=$1 timeout=$2 pid=$3 kids
    pid_alive "$pid" || return 0
    # Children that should go with it (nginx workers, postgres backends).
    kids=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -s ' \n' ' ' || true)
    kill -TERM "$pid" 2>/dev/null || true
    # shellcheck disable=SC2086
    if ! wait_gone "$timeout" "$pid" $kids; then
        warn "$name (pid $pid) still running after ${timeout}s: SIGKILL"
        # shellcheck disable=SC2086
        kill -KILL "$pid" $kids 2>/dev/null || true
        # shellcheck disable=SC2086
        wait_gone 5 "$pid" $kids || { warn "$name (pid $pid) survived SIGKILL"; return 1; }
    fi
}

# stop_pidfile NAME PIDFILE EXPECT [TIMEOUT] — stop the process of PIDFILE
# (if it is still the one we started) and remove the pid file.
stop_pidfile() {
    local name=$1 file=$2 expect=$3 timeout=${4:-10} pid
    [[ -e "$file" ]] || return 0
    if pid=$(pidfile_alive "$file" "$expect"); then
        log "stopping $name (pid $pid)"
        stop_pid "$name" "$timeout" "$pid" || return 1
    fi
    rm -f "$file"
}

# start_bg NAME PIDFILE LOGFILE CMD... — run CMD in its own session (so a
# Ctrl-C in the terminal that started it never reaches it), stdout/stderr
# appended to LOGFILE, its pid in PIDFILE.
start_bg() {
    local name=$1 pidfile=$2 logfile=$3 pid="" i
    shift 3
    rm -f "$pidfile"
    # The shell writes its own pid, then becomes CMD (exec keeps the pid).
    # shellcheck disable=SC2016
    setsid -f /bin/sh -c 'echo $$ >"$0.tmp" && mv -f "$0.tmp" "$0" && exec "$@"' \
        "$pidfile" "$@" >>"$logfile" 2>&1 </dev/null
    for ((i = 0; i < 50; i++)); do
        pid=$(pidfile_read "$pidfile")
        [[ -n "$pid" ]] && break
        sleep 0.1
    done
    [[ -n "$pid" ]] || die "$name did not start (no pid file $pidfile)"
    log "started $name (pid $pid)"
}

# wait_for TIMEOUT WHAT PIDFILE EXPECT CMD... — poll CMD until it succeeds;
# fail early when the process of PIDFILE dies (PIDFILE may be "").
wait_for() {
    local timeout=$1 what=$2 pidfile=$3 expect=$4 deadline
    shift 4
    deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if [[ -n "$pidfile" ]] && ! pidfile_alive "$pidfile" "$expect" >/dev/null; then
            die "$what: the process exited"
        fi
        ((SECONDS < deadline)) || die "$what: no answer after ${timeout}s"
        sleep 0.2
    done
}

# port_free PROTO PORT — fail with the owner's line if 127.0.0.1:PORT is taken.
port_free() {
    local proto=$1 port=$2 used
    if [[ "$proto" == tcp ]]; then
        used=$(ss -Hltnp "sport = :$port" 2>/dev/null || true)
    else
        used=$(ss -Hlunp "sport = :$port" 2>/dev/null || true)
    fi
    [[ -z "$used" ]] || die "port $port/$proto is already in use: $used"
}

# http_code URL [CURL ARGS...] — print the HTTP status of a GET (000 if none).
http_code() {
    local url=$1
    shift
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url" 2>/dev/null || true
}

# http_is URL CODE [CURL ARGS...] — true when a GET of URL answers CODE.
http_is() { [[ "$(http_code "$1" "${@:3}")" == "$2" ]]; }

# http_answers URL — true when anything answers HTTP at URL.
http_answers() { [[ "$(http_code "$1")" != 000 ]]; }

# env_line KEY VALUE — a shell-sourceable KEY=VALUE line (quoted if needed).
env_line() {
    if [[ "$2" =~ ^[A-Za-z0-9_./:@%+,=-]*$ ]]; then
        printf '%s=%s\n' "$1" "$2"
    else
        printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"
    fi
}

# write_secret FILE — write stdin to FILE with mode 0600, atomically.
write_secret() {
    local tmp
    tmp=$(mktemp "$1.XXXXXX")
    chmod 0600 "$tmp"
    cat >"$tmp"
    mv -f "$tmp" "$1"
}

# svc_user — create the services' system user when missing (root only).
svc_user() {
    [[ -n "$SVC_USER" ]] || return 0
    if ! id -u "$SVC_USER" >/dev/null 2>&1; then
        log "creating system user $SVC_USER"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$SVC_USER"
    fi
}

# svc_own FILE... — the services' secrets: owned by their user, mode 0600 (root reads them anyway).
svc_own() {
    [[ -n "$SVC_USER" ]] || return 0
    chown "$SVC_USER:$SVC_USER" "$@"
    chmod 0600 "$@"
}

# svc_run_as — RUN_AS: the command prefix that drops to the services' user (empty when not root).
svc_run_as() {
    RUN_AS=()
    # Under valgrind (make valgrind) the services stay root: memcheck writes its logs to log/.
    if [[ -n "$SVC_USER" && "${CM_VALGRIND:-0}" != 1 ]]; then
        RUN_AS=(setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups --)
    fi
}

have_certmill() {
    [[ -x "$BIN/certmill" && -x "$BIN/certmill-fcgi" && -x "$BIN/certmill-worker" && -x "$BIN/certmill-alpn" ]]
}

# tcp_accepts HOST PORT — true when a TCP connection to HOST:PORT is accepted.
tcp_accepts() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# ---------------------------------------------------------------- postgres

# pg_locate — set PG_BASE (dir owned by the cluster user), PG_DATA, PG_SOCK,
# PG_LOG. The cluster lives in $DIR/pg when the postgres user can reach $DIR,
# else in /tmp/certmill-pg-<hash of DIR>; $DIR/run/pgdata records which.
pg_locate() {
    PG_BASE=$DIR/pg
    if ((EUID == 0)) && ! runuser -u "$PG_USER" -- test -x "$DIR" 2>/dev/null; then
        PG_BASE=/tmp/certmill-pg-$DIR_HASH
    fi
    PG_DATA=$PG_BASE/data
    PG_SOCK=$PG_BASE/sock
    # A Unix socket path must stay under 108 bytes.
    if ((${#PG_SOCK} + 20 > 100)); then PG_SOCK=/tmp/certmill-pgsock-$DIR_HASH; fi
    PG_LOG=$PG_BASE/postgres.log
}

# pg_data_recorded — the data dir the last `up` used (for down/status).
pg_data_recorded() {
    if [[ -s "$RUNDIR/pgdata" ]]; then cat "$RUNDIR/pgdata"; else printf '%s' "$DIR/pg/data"; fi
}

# pg_owned_dir PATH — create PATH (mode 0700) owned by the cluster user; refuse
# a PATH that exists with another owner (e.g. planted in /tmp).
pg_owned_dir() {
    local path=$1
    if [[ -e "$path" || -L "$path" ]]; then
        [[ -d "$path" && ! -L "$path" && "$(stat -c %U "$path")" == "$PG_USER" ]] ||
            die "$path exists but is not a directory owned by $PG_USER"
    else
        mkdir -p "$path"
        chown "$PG_USER:" "$path"
    fi
    chmod 0700 "$path"
}

pg_password() { cut -d: -f5- "$SECRETS/pgpass" | head -n1; }

pg_conninfo() {
    printf 'host=127.0.0.1 port=%s dbname=%s user=certmill passfile=%s connect_timeout=5' \
        "$PG_PORT" "${1:-certmill}" "$SECRETS/pgpass"
}

pg_start() {
    local pwfile
    pg_locate
    port_free tcp "$PG_PORT"
    [[ "$PG_BASE" == "$DIR/pg" ]] ||
        log "user $PG_USER cannot reach $DIR: the cluster goes to $PG_BASE"
    pg_owned_dir "$PG_BASE"
    pg_owned_dir "$PG_SOCK"
    printf '%s\n' "$PG_DATA" >"$RUNDIR/pgdata"
    ln -sfn "$PG_LOG" "$LOGDIR/postgres.log"

    if [[ ! -s "$PG_DATA/PG_VERSION" ]]; then
        log "initdb $PG_DATA (superuser certmill)"
        rm -rf "$PG_DATA"
        pwfile=$PG_BASE/initdb-pw
        (umask 077 && pg_password >"$pwfile")
        chown "$PG_USER:" "$pwfile"
        if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U certmill --pwfile="$pwfile" \
            --auth-host=scram-sha-256 --auth-local=scram-sha-256 \
            -E UTF8 --locale=C.UTF-8 --no-instructions >"$LOGDIR/initdb.log" 2>&1; then
            rm -f "$pwfile"
            die "initdb failed"
        fi
        rm -f "$pwfile"
        # Our settings live in their own file, rewritten at every start.
        as_pg sh -c "printf '\n# certmill local stack\ninclude_if_exists = %s\n' \
            \"'certmill-stack.conf'\" >>'$PG_DATA/postgresql.conf'"
        # A new cluster has no demo tenant: forget the old one's key.
        rm -f "$SECRETS/demo-tenant.json"
    fi
    as_pg sh -c "cat >'$PG_DATA/certmill-stack.conf'" <<EOF
# written by scripts/stack.sh at every start
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 200
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    log "starting postgres on 127.0.0.1:$PG_PORT"
    # setsid: the postmaster must not see a terminal's Ctrl-C (SIGINT = shutdown).
    if ! as_pg setsid -f -w "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
        -s start >>"$LOGDIR/pg_ctl.log" 2>&1; then
        die "postgres did not start"
    fi
    wait_for 30 "postgres" "" "" "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"

    if ! psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'certmill'" | grep -q 1; then
        log "creating database certmill"
        psql_admin -q -c 'CREATE DATABASE certmill OWNER certmill'
    fi
    pg_roles
}

# psql_admin ARGS... — psql to the maintenance database as certmill.
psql_admin() {
    "$PG_BIN/psql" -X -v ON_ERROR_STOP=1 "$(pg_conninfo postgres)" "$@"
}

pg_stop() {
    local data pid
    data=$(pg_data_recorded)
    pid=$(pg_running) || return 0
    log "stopping postgres (pid $pid)"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 -s stop >>"$LOGDIR/pg_ctl.log" 2>&1; then
        warn "pg_ctl stop failed"
    fi
    stop_pid postgres 10 "$pid"
}

pg_running() {
    local data pid
    data=$(pg_data_recorded)
    pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null || true)
    pid_alive "$pid" && [[ "$(pid_cmdline "$pid")" == *postgres* ]] && printf '%s' "$pid"
}

# ---------------------------------------------------------------- secrets

make_secrets() {
    mkdir -p "$SECRETS"
    chmod 0700 "$SECRETS"
    # Master key: 32 random bytes as 64 hex digits, made once.
    if ! grep -qxE '[0-9a-f]{64}' "$SECRETS/master.key" 2>/dev/null; then
        log "new master key $SECRETS/master.key"
        openssl rand -hex 32 | write_secret "$SECRETS/master.key"
    fi
    chmod 0600 "$SECRETS/master.key"
    # Database password, made once; the passfile is rewritten for the port.
    local pw=""
    [[ -s "$SECRETS/pgpass" ]] && pw=$(pg_password)
    [[ "$pw" =~ ^[0-9a-f]{32,}$ ]] || pw=$(openssl rand -hex 24)
    printf '127.0.0.1:%s:*:certmill:%s\n' "$PG_PORT" "$pw" | write_secret "$SECRETS/pgpass"
    # TSIG key for RFC 2136 updates of the test zone, made once.
    if [[ ! -s "$SECRETS/tsig.key" ]]; then
        tsig-keygen -a hmac-sha256 "$TSIG_NAME" | write_secret "$SECRETS/tsig.key"
    fi
    chmod 0600 "$SECRETS/tsig.key"
    # PowerDNS API key, made once.
    if ! grep -qxE '[0-9a-f]{64}' "$SECRETS/pdns-api-key" 2>/dev/null; then
        openssl rand -hex 32 | write_secret "$SECRETS/pdns-api-key"
    fi
    chmod 0600 "$SECRETS/pdns-api-key"
    # External Account Binding MAC key of pebble-eab: 32 random bytes, base64url, made once.
    if ! grep -qxE '[A-Za-z0-9_-]{43}' "$SECRETS/eab-hmac-key" 2>/dev/null; then
        openssl rand 32 | basenc --base64url -w0 | tr -d '=' | write_secret "$SECRETS/eab-hmac-key"
    fi
    chmod 0600 "$SECRETS/eab-hmac-key"
    # The services' roles (sql/017_audit.sql grants them what they use), one password each.
    local role
    for role in api worker; do
        pw=""
        [[ -s "$SECRETS/pgpass-$role" ]] && pw=$(cut -d: -f5- "$SECRETS/pgpass-$role" | head -n1)
        [[ "$pw" =~ ^[0-9a-f]{32,}$ ]] || pw=$(openssl rand -hex 24)
        printf '127.0.0.1:%s:*:certmill_%s:%s\n' "$PG_PORT" "$role" "$pw" | write_secret "$SECRETS/pgpass-$role"
    done
    # The services read these as their own user; the secrets dir lets its group in.
    svc_user
    if [[ -n "$SVC_USER" ]]; then
        chgrp "$SVC_USER" "$SECRETS"
        chmod 0750 "$SECRETS"
        svc_own "$SECRETS/master.key" "$SECRETS/pgpass-api" "$SECRETS/pgpass-worker" "$SECRETS/eab-hmac-key"
    fi
    # named reads tsig.key with its capabilities dropped (root's file, mode 0600): the
    # workers' DNS hook gets its own copy, readable by the services' user.
    ((EUID != 0)) || chown 0:0 "$SECRETS/tsig.key"
    write_secret "$SECRETS/tsig-hook.key" <"$SECRETS/tsig.key"
    svc_own "$SECRETS/tsig-hook.key"
}

# pg_roles — the services' login roles, with the passwords of secrets/pgpass-ROLE.
pg_roles() {
    local role pw
    for role in api worker; do
        pw=$(cut -d: -f5- "$SECRETS/pgpass-$role" | head -n1)
        [[ "$pw" =~ ^[0-9a-f]+$ ]] || die "no password in $SECRETS/pgpass-$role"
        # On stdin, not argv: no other user sees the password in ps.
        psql_admin -q <<EOF
DO \$\$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'certmill_$role') THEN
        CREATE ROLE certmill_$role;
    END IF;
END \$\$;
ALTER ROLE certmill_$role LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$pw';
EOF
    done
}

# Stops certmill-fcgi, certmill-alpn and every worker, then starts them as `up` does:
# a changed certmill.conf (e.g. the master keys of a rotation) takes effect.
cmd_restart_certmill() {
    local f n
    [[ -s "$CONF" ]] || die "no $CONF: run 'stack.sh up' first"
    have_certmill || die "no certmill binaries in $BIN"
    for f in "$RUNDIR"/worker-*.pid; do
        [[ -e "$f" ]] || continue
        n=${f##*/worker-}
        stop_pidfile "worker-${n%.pid}" "$f" certmill-worker 15
    done
    stop_pidfile certmill-alpn "$RUNDIR/alpn.pid" certmill-alpn 15
    stop_pidfile certmill-fcgi "$RUNDIR/fcgi.pid" certmill-fcgi 15
    certmill_start
}

# ---------------------------------------------------------------- pebble

# pebble_tls — Pebble's own HTTPS certificate: a small CA and a server
# certificate for localhost/127.0.0.1/::1 (made once, renewed when near expiry).
pebble_tls() {
    local d=$DIR/pebble ext
    mkdir -p "$d"
    if [[ -s "$d/tls-ca.pem" && -s "$d/tls-ca.key" && -s "$d/tls-server.pem" && -s "$d/tls-server.key" ]] &&
        openssl x509 -in "$d/tls-server.pem" -noout -checkend $((30 * 86400)) >/dev/null 2>&1; then
        return 0
    fi
    log "making Pebble's TLS CA and server certificate"
    (
        umask 077
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$d/tls-ca.key" -out "$d/tls-ca.pem" -days 3650 \
            -subj "/CN=certmill local Pebble TLS CA $DIR_HASH" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>>"$LOGDIR/openssl.log"
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$d/tls-server.key" -out "$d/tls-server.csr" -subj "/CN=localhost" 2>>"$LOGDIR/openssl.log"
        ext=$(mktemp)
        printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
            "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
            "extendedKeyUsage=serverAuth" >"$ext"
        openssl x509 -req -in "$d/tls-server.csr" -CA "$d/tls-ca.pem" -CAkey "$d/tls-ca.key" \
            -set_serial "0x$(openssl rand -hex 16)" -days 825 -extfile "$ext" \
            -out "$d/tls-server.pem" 2>>"$LOGDIR/openssl.log"
        rm -f "$ext" "$d/tls-server.csr"
    )
    chmod 0644 "$d/tls-ca.pem" "$d/tls-server.pem"
}

pebble_start() {
    local d=$DIR/pebble nosleep=()
    port_free tcp "$ACME_PORT"
    port_free tcp "$MGMT_PORT"
    pebble_tls
    cat >"$d/pebble-config.json" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$ACME_PORT",
    "managementListenAddress": "127.0.0.1:$MGMT_PORT",
    "certificate": "$d/tls-server.pem",
    "privateKey": "$d/tls-server.key",
    "httpPort": $HTTP01_PORT,
    "tlsPort": $TLSALPN_PORT,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
EOF
    if [[ "$PEBBLE_NOSLEEP" == 1 ]]; then nosleep=(PEBBLE_VA_NOSLEEP=1); fi
    # CM_PEBBLE_NONCEREJECT: the share of good nonces Pebble rejects (its default is 5).
    if [[ -n "${CM_PEBBLE_NONCEREJECT:-}" ]]; then nosleep+=(PEBBLE_WFE_NONCEREJECT="$CM_PEBBLE_NONCEREJECT"); fi
    log "starting pebble on 127.0.0.1:$ACME_PORT (mgmt $MGMT_PORT, dns 127.0.0.1:$DNS_PORT, nosleep=$PEBBLE_NOSLEEP)"
    start_bg pebble "$RUNDIR/pebble.pid" "$LOGDIR/pebble.log" \
        env -u PEBBLE_VA_NOSLEEP -u PEBBLE_WFE_NONCEREJECT "${nosleep[@]}" \
        PEBBLE_ALTERNATE_ROOTS="$PEBBLE_ALT_ROOTS" PEBBLE_CHAIN_LENGTH="$PEBBLE_CHAIN_LENGTH" \
        pebble -config "$d/pebble-config.json" -dnsserver "127.0.0.1:$DNS_PORT"
    wait_for 30 "pebble https://127.0.0.1:$ACME_PORT/dir" "$RUNDIR/pebble.pid" pebble \
        curl -sf --max-time 2 --cacert "$d/tls-ca.pem" "https://127.0.0.1:$ACME_PORT/dir"
    # The issuing root (and intermediate) are new at every Pebble start.
    local what
    for what in roots intermediates; do
        curl -sf --max-time 5 --cacert "$d/tls-ca.pem" \
            "https://127.0.0.1:$MGMT_PORT/$what/0" -o "$d/$what.tmp" ||
            die "cannot fetch https://127.0.0.1:$MGMT_PORT/$what/0"
        openssl x509 -in "$d/$what.tmp" -noout 2>/dev/null || die "$what/0 is not a PEM certificate"
    done
    mv -f "$d/roots.tmp" "$d/root.pem"
    mv -f "$d/intermediates.tmp" "$d/intermediate.pem"
    # Every root, default and alternates (Link: rel="alternate" chains end at roots 1..N).
    local i
    rm -f "$d"/root-[0-9]*.pem
    for ((i = 0; i <= PEBBLE_ALT_ROOTS; i++)); do
        curl -sf --max-time 5 --cacert "$d/tls-ca.pem" \
            "https://127.0.0.1:$MGMT_PORT/roots/$i" -o "$d/root-$i.tmp" ||
            die "cannot fetch https://127.0.0.1:$MGMT_PORT/roots/$i"
        openssl x509 -in "$d/root-$i.tmp" -noout 2>/dev/null || die "roots/$i is not a PEM certificate"
        mv -f "$d/root-$i.tmp" "$d/root-$i.pem"
    done
}

# pebble_eab_start — a second Pebble that requires External Account Binding
# ("kid-1" with the MAC key of $SECRETS/eab-hmac-key). It validates against the
# same HTTP-01/TLS-ALPN-01 ports and DNS server as the first one.
pebble_eab_start() {
    local d=$DIR/pebble key nosleep=()
    if [[ "$PEBBLE_NOSLEEP" == 1 ]]; then nosleep=(PEBBLE_VA_NOSLEEP=1); fi
    port_free tcp "$EAB_ACME_PORT"
    port_free tcp "$EAB_MGMT_PORT"
    pebble_tls
    key=$(head -n1 "$SECRETS/eab-hmac-key")
    [[ -n "$key" ]] || die "no EAB MAC key in $SECRETS/eab-hmac-key"
    (
        umask 077
        jq -n --arg listen "127.0.0.1:$EAB_ACME_PORT" --arg mgmt "127.0.0.1:$EAB_MGMT_PORT" \
            --arg cert "$d/tls-server.pem" --arg key "$d/tls-server.key" \
            --argjson http "$HTTP01_PORT" --argjson tls "$TLSALPN_PORT" --arg mac "$key" \
            '{pebble: {listenAddress: $listen, managementListenAddress: $mgmt, certificate: $cert,
              privateKey: $key, httpPort: $http, tlsPort: $tls, ocspResponderURL: "",
              externalAccountBindingRequired: true, externalAccountMACKeys: {"kid-1": $mac}}}' \
            >"$d/pebble-eab-config.json"
    )
    log "starting pebble-eab on 127.0.0.1:$EAB_ACME_PORT (mgmt $EAB_MGMT_PORT, EAB required)"
    # It reuses every valid authorization of an account (PEBBLE_AUTHZREUSE=100), so a
    # test can count on a reused one (the first Pebble reuses half, its default).
    start_bg pebble-eab "$RUNDIR/pebble-eab.pid" "$LOGDIR/pebble-eab.log" \
        env -u PEBBLE_VA_NOSLEEP -u PEBBLE_ALTERNATE_ROOTS -u PEBBLE_CHAIN_LENGTH "${nosleep[@]}" PEBBLE_AUTHZREUSE=100 \
        pebble -config "$d/pebble-eab-config.json" -dnsserver "127.0.0.1:$DNS_PORT"
    wait_for 30 "pebble-eab https://127.0.0.1:$EAB_ACME_PORT/dir" "$RUNDIR/pebble-eab.pid" pebble \
        curl -sf --max-time 2 --cacert "$d/tls-ca.pem" "https://127.0.0.1:$EAB_ACME_PORT/dir"
    curl -sf --max-time 5 --cacert "$d/tls-ca.pem" \
        "https://127.0.0.1:$EAB_MGMT_PORT/roots/0" -o "$d/eab-root.tmp" ||
        die "cannot fetch https://127.0.0.1:$EAB_MGMT_PORT/roots/0"
    openssl x509 -in "$d/eab-root.tmp" -noout 2>/dev/null || die "pebble-eab roots/0 is not a PEM certificate"
    mv -f "$d/eab-root.tmp" "$d/eab-root.pem"
}

# ---------------------------------------------------------------- powerdns

# pdns_sockdir — where pdns_server puts its control socket: $DIR/pdns, or a
# directory in /tmp when that path is too long for a Unix socket (108 bytes).
pdns_sockdir() {
    local d=$DIR/pdns
    if ((${#d} + 25 > 100)); then d=/tmp/certmill-pdnssock-$DIR_HASH; fi
    printf '%s' "$d"
}

# pdns_schema — the sqlite3 schema Debian's pdns-backend-sqlite3 ships.
pdns_schema() {
    local f
    for f in /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql \
        /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql \
        $(dpkg -L pdns-backend-sqlite3 2>/dev/null | grep '/schema\.sqlite3\.sql$' || true); do
        [[ -s "$f" ]] && { printf '%s' "$f"; return 0; }
    done
    return 1
}

# pdns_util ARGS... — pdnsutil on this stack's configuration and database.
pdns_util() {
    printf '%s pdnsutil %s\n' "$(date -u +%FT%TZ)" "$*" >>"$LOGDIR/pdns.log"
    pdnsutil --config-dir="$DIR/pdns" "$@" >>"$LOGDIR/pdns.log" 2>&1
}

# pdns_api PATH — GET PATH of the PowerDNS API with the stack's key (read by
# curl from stdin, so it never shows in ps); prints the HTTP status.
pdns_api() {
    printf 'X-API-Key: %s\n' "$(<"$SECRETS/pdns-api-key")" |
        curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H @- \
            "http://127.0.0.1:$PDNS_API_PORT$1" 2>/dev/null || true
}

pdns_ready() {
    [[ -n "$(dig @127.0.0.1 -p "$PDNS_PORT" "$PDNS_ZONE" SOA +short +norecurse +time=1 +tries=1)" ]] &&
        [[ "$(pdns_api "/api/v1/servers/localhost/zones/$PDNS_ZONE.")" == 200 ]]
}

# pdns_start — PowerDNS Authoritative with a fresh sqlite database holding
# the zone pdns.example.test (kind Master: it NOTIFYs BIND, its secondary),
# its HTTP API on 127.0.0.1:base+9 with the key of secrets/pdns-api-key.
pdns_start() {
    local d=$DIR/pdns sock schema key
    port_free tcp "$PDNS_PORT"
    port_free udp "$PDNS_PORT"
    port_free tcp "$PDNS_API_PORT"
    mkdir -p "$d"
    sock=$(pdns_sockdir)
    if [[ -L "$sock" ]] || { [[ -e "$sock" ]] && [[ ! -d "$sock" || "$(stat -c %u "$sock")" != "$EUID" ]]; }; then
        die "$sock exists but is not a directory of $(id -un)"
    fi
    mkdir -p "$sock"
    schema=$(pdns_schema) || die "no schema.sqlite3.sql of pdns-backend-sqlite3 (run scripts/deps.sh)"
    key=$(<"$SECRETS/pdns-api-key")
    write_secret "$d/pdns.conf" <<EOF
# written by scripts/stack.sh at every start (holds the API key: mode 0600)
launch=gsqlite3
gsqlite3-database=$d/pdns.sqlite3
local-address=127.0.0.1
local-port=$PDNS_PORT
socket-dir=$sock
# primary of $PDNS_ZONE: NOTIFY to BIND only (not to the NS names' port 53),
# zone transfers to loopback, changed serials looked for every second
primary=yes
also-notify=127.0.0.1:$DNS_PORT
only-notify=
allow-axfr-ips=127.0.0.0/8
disable-axfr=no
xfr-cycle-interval=1
# the HTTP API certmill's powerdns provider talks to
api=yes
api-key=$key
webserver=yes
webserver-address=127.0.0.1
webserver-port=$PDNS_API_PORT
webserver-allow-from=127.0.0.0/8
# no security-status lookups (no network here); small and quiet
security-poll-suffix=
distributor-threads=1
receiver-threads=1
loglevel=5
EOF
    # A fresh database and zone at every start (records added by tests do not
    # pile up); the serial is the time, so it only grows from run to run.
    rm -f "$d/pdns.sqlite3" "$d/pdns.sqlite3-journal"
    sqlite3 "$d/pdns.sqlite3" <"$schema" 2>>"$LOGDIR/pdns.log" || die "cannot create $d/pdns.sqlite3"
    chmod 0600 "$d/pdns.sqlite3"
    pdns_util create-zone "$PDNS_ZONE" "ns.$PDNS_ZONE" || die "pdnsutil create-zone $PDNS_ZONE failed"
    pdns_util replace-rrset "$PDNS_ZONE" @ SOA 60 \
        "ns.$PDNS_ZONE. hostmaster.$PDNS_ZONE. $(date +%s) 3600 600 86400 5" &&
        pdns_util replace-rrset "$PDNS_ZONE" @ NS 60 "ns.$PDNS_ZONE." &&
        pdns_util add-record "$PDNS_ZONE" @ A 60 127.0.0.1 &&
        pdns_util add-record "$PDNS_ZONE" ns A 60 127.0.0.1 &&
        pdns_util add-record "$PDNS_ZONE" '*' A 60 127.0.0.1 ||
        die "pdnsutil could not fill $PDNS_ZONE"
    # Primary (sends NOTIFY); changes through the API increase the SOA serial.
    pdns_util set-kind "$PDNS_ZONE" master &&
        pdns_util set-meta "$PDNS_ZONE" SOA-EDIT-API INCREASE ||
        die "pdnsutil could not make $PDNS_ZONE a primary zone"
    log "starting pdns_server on 127.0.0.1:$PDNS_PORT (zone $PDNS_ZONE, API http://127.0.0.1:$PDNS_API_PORT)"
    start_bg pdns "$RUNDIR/pdns.pid" "$LOGDIR/pdns.log" \
        pdns_server --config-dir="$d" --daemon=no --guardian=no --disable-syslog --write-pid=no
    wait_for 30 "pdns_server on 127.0.0.1:$PDNS_PORT and its API on :$PDNS_API_PORT" \
        "$RUNDIR/pdns.pid" pdns_server pdns_ready
}

# ---------------------------------------------------------------- bind

bind_start() {
    local d=$DIR/bind
    port_free tcp "$DNS_PORT"
    port_free udp "$DNS_PORT"
    mkdir -p "$d"
    cat >"$d/named.conf" <<EOF
// written by scripts/stack.sh at every start
include "$SECRETS/tsig.key";

options {
    directory "$d";
    pid-file "$d/named.pid";
    lock-file "$d/named.lock";
    session-keyfile "$d/session.key";
    managed-keys-directory "$d";
    dump-file "$d/named_dump.db";
    statistics-file "$d/named.stats";
    listen-on port $DNS_PORT { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    allow-transfer { none; };
    dnssec-validation no;
    notify no;
};

// No rndc control channel (it would take 127.0.0.1:953 in every stack).
controls { };

logging {
    channel stack_log {
        file "$LOGDIR/named.log";
        print-time yes;
        print-severity yes;
        print-category yes;
        severity info;
    };
    category default { stack_log; };
    category lame-servers { null; };
};

zone "$ZONE" {
    type master;
    file "$d/$ZONE.zone";
    allow-update { key $TSIG_NAME; };
};

// Secondary of PowerDNS (the primary, on port $PDNS_PORT): its NOTIFY makes
// BIND transfer the zone, so BIND answers for it authoritatively on our port.
zone "$PDNS_ZONE" {
    type secondary;
    primaries { 127.0.0.1 port $PDNS_PORT; };
    file "$d/$PDNS_ZONE.zone";
    request-ixfr no;
    allow-notify { 127.0.0.1; };
};
EOF
    # A fresh zone at every start (records added by tests do not pile up):
    # wildcard A to 127.0.0.1 and no AAAA, since Pebble tries IPv6 first.
    rm -f "$d/$ZONE.zone.jnl" "$d/$PDNS_ZONE.zone" "$d/$PDNS_ZONE.zone.jnl"
    cat >"$d/$ZONE.zone" <<EOF
\$TTL 60
@   IN SOA ns.$ZONE. hostmaster.$ZONE. ( $(date +%s) 3600 600 86400 5 )
@   IN NS  ns.$ZONE.
ns  IN A   127.0.0.1
@   IN A   127.0.0.1
*   IN A   127.0.0.1
; delegation to PowerDNS's zone (BIND is its secondary, below)
pdns    IN NS ns.pdns.$ZONE.
ns.pdns IN A  127.0.0.1
EOF
    named-checkconf "$d/named.conf" >>"$LOGDIR/named.log" 2>&1 || die "named-checkconf failed"
    # -i local: the glue of the delegation to PowerDNS counts as out of zone for
    # the full checks, which would look it up elsewhere and warn.
    named-checkzone -i local "$ZONE" "$d/$ZONE.zone" >>"$LOGDIR/named.log" 2>&1 || die "named-checkzone failed"
    log "starting named on 127.0.0.1:$DNS_PORT (zones $ZONE, $PDNS_ZONE as secondary of PowerDNS)"
    start_bg named "$RUNDIR/named.pid" "$LOGDIR/named.log" named -c "$d/named.conf" -f
    wait_for 30 "named on 127.0.0.1:$DNS_PORT" "$RUNDIR/named.pid" named dns_ready
    wait_for 30 "named: zone $PDNS_ZONE transferred from PowerDNS" "$RUNDIR/named.pid" named dns_pdns_ready
}

dns_ready() {
    [[ "$(dig @127.0.0.1 -p "$DNS_PORT" "probe.$ZONE" A +short +time=1 +tries=1)" == 127.0.0.1 ]]
}

# dns_pdns_ready — BIND answers for the PowerDNS zone itself (without its copy
# it would only refer to ns.pdns.example.test).
dns_pdns_ready() {
    [[ "$(dig @127.0.0.1 -p "$DNS_PORT" "probe.$PDNS_ZONE" A +short +norecurse +time=1 +tries=1)" == 127.0.0.1 ]]
}

# ---------------------------------------------------------------- nginx

nginx_args() { printf '%s\n' -p "$DIR/nginx/" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log"; }

nginx_start() {
    local d=$DIR/nginx tpl conf extra="" args=()
    port_free tcp "$API_PORT"
    port_free tcp "$HTTP01_PORT"
    mkdir -p "$d/tmp"
    cp "$repo/web/nginx/certmill-fastcgi.conf" "$d/fastcgi.conf"
    # Temp paths of modules compiled into this nginx (nginx creates the
    # default ones under /var/lib/nginx otherwise).
    local v
    v=$(nginx -V 2>&1)
    [[ "$v" == *--without-http_uwsgi_module* ]] || extra+="    uwsgi_temp_path $d/tmp/uwsgi;"$'\n'
    [[ "$v" == *--without-http_scgi_module* ]] || extra+="    scgi_temp_path $d/tmp/scgi;"$'\n'
    tpl=$(<"$repo/web/nginx/certmill-local.conf.in")
    conf=${tpl//@DIR@/${d%/}}
    conf=${conf//@API_PORT@/$API_PORT}
    conf=${conf//@HTTP01_PORT@/$HTTP01_PORT}
    conf=${conf//@FCGI_PORT@/$FCGI_PORT}
    conf=${conf//@WEB_ROOT@/$repo/web/dashboard}
    conf=${conf//@EXTRA_TEMP_PATHS@/${extra%$'\n'}}
    # Root runs workers as nobody; a checkout nobody cannot enter needs root.
    local user=""
    if ((EUID == 0)) && ! runuser -u nobody -- test -x "$d/tmp" -a -x "$repo/web" 2>/dev/null; then
        user="user root;  # nobody cannot reach $d or $repo/web"
    fi
    conf=${conf//@USER@/$user}
    printf '%s\n' "$conf" >"$d/nginx.conf"
    mapfile -t args < <(nginx_args)
    nginx -t -q "${args[@]}" >>"$d/error.log" 2>&1 || die "nginx -t failed"
    log "starting nginx on 127.0.0.1:$API_PORT (API) and 127.0.0.1:$HTTP01_PORT (HTTP-01)"
    # nginx daemonizes itself (and calls setsid).
    rm -f "$d/nginx.pid"
    nginx "${args[@]}" >>"$d/error.log" 2>&1 </dev/null || die "nginx did not start"
    wait_for 10 "nginx pid file" "" "" test -s "$d/nginx.pid"
    wait_for 10 "nginx on 127.0.0.1:$API_PORT" "$d/nginx.pid" nginx \
        http_answers "http://127.0.0.1:$API_PORT/healthz"
}

# ---------------------------------------------------------------- ca-front

# nginx_temp_paths DIR — uwsgi/scgi temp path lines for the modules this nginx has.
nginx_temp_paths() {
    local v extra=""
    v=$(nginx -V 2>&1)
    [[ "$v" == *--without-http_uwsgi_module* ]] || extra+="    uwsgi_temp_path $1/tmp/uwsgi;"$'\n'
    [[ "$v" == *--without-http_scgi_module* ]] || extra+="    scgi_temp_path $1/tmp/scgi;"$'\n'
    printf '%s' "${extra%$'\n'}"
}

# ca_front_start — nginx before Pebble (scripts/ca-front.conf.in): the CA
# "local-front" of certmill.conf, refusing requests when a test asks it to.
ca_front_start() {
    local d=$DIR/ca-front conf args user=""
    port_free tcp "$CA_FRONT_PORT"
    mkdir -p "$d/tmp" "$d/faults"
    rm -f "$d/faults/"*
    conf=$(<"$repo/scripts/ca-front.conf.in")
    conf=${conf//@DIR@/$d}
    conf=${conf//@PORT@/$CA_FRONT_PORT}
    conf=${conf//@ACME_PORT@/$ACME_PORT}
    conf=${conf//@TLS_CERT@/$DIR/pebble/tls-server.pem}
    conf=${conf//@TLS_KEY@/$DIR/pebble/tls-server.key}
    conf=${conf//@EXTRA_TEMP_PATHS@/$(nginx_temp_paths "$d")}
    if ((EUID == 0)) && ! runuser -u nobody -- test -x "$d/tmp" 2>/dev/null; then
        user="user root;  # nobody cannot reach $d"
    fi
    conf=${conf//@USER@/$user}
    printf '%s\n' "$conf" >"$d/nginx.conf"
    args=(-p "$d/" -c "$d/nginx.conf" -e "$d/error.log")
    nginx -t -q "${args[@]}" >>"$d/error.log" 2>&1 || die "nginx -t failed for ca-front"
    log "starting ca-front on 127.0.0.1:$CA_FRONT_PORT (before Pebble)"
    rm -f "$d/nginx.pid"
    nginx "${args[@]}" >>"$d/error.log" 2>&1 </dev/null || die "ca-front did not start"
    wait_for 10 "ca-front pid file" "" "" test -s "$d/nginx.pid"
    wait_for 10 "ca-front https://127.0.0.1:$CA_FRONT_PORT/dir" "$d/nginx.pid" nginx \
        curl -sf --max-time 2 --cacert "$DIR/pebble/tls-ca.pem" "https://127.0.0.1:$CA_FRONT_PORT/dir"
}

# ---------------------------------------------------------------- certmill

# The operator's DNS hook of the local stack, for "exec" DNS providers: it
# publishes and removes TXT records in BIND with nsupdate and the stack's key,
# called as lego's exec provider is: dns-hook present|cleanup FQDN VALUE.
write_dns_hook() {
    mkdir -p "$DIR/hooks"
    cat >"$DIR/hooks/dns-hook" <<EOF
#!/bin/sh
# dns-hook — generated by scripts/stack.sh for the stack in $DIR.
set -eu
[ \$# -eq 3 ] || { echo "usage: \$0 present|cleanup FQDN VALUE" >&2; exit 2; }
case "\$1" in
present) op=add ttl=60 what=added ;;
cleanup) op=delete ttl= what=removed ;;
*) echo "unknown action \$1" >&2; exit 2 ;;
esac
printf 'server 127.0.0.1 %s\nupdate %s %s %s TXT "%s"\nsend\n' $DNS_PORT "\$op" "\$2" "\$ttl" "\$3" |
    nsupdate -k "$SECRETS/tsig-hook.key"
echo "\$what \$2"
EOF
    chmod 0755 "$DIR/hooks/dns-hook"
    # slow-hook: the same, after 15 s (longer than the test stack's 10 s lease): a step
    # that outlives its lease must keep it (the worker's heartbeat), not be run twice.
    cat >"$DIR/hooks/slow-hook" <<EOF
#!/bin/sh
# slow-hook — generated by scripts/stack.sh: dns-hook after a 15 s pause.
sleep 15
exec "$DIR/hooks/dns-hook" "\$@"
EOF
    chmod 0755 "$DIR/hooks/slow-hook"
}

write_config() {
    write_dns_hook
    write_secret "$CONF" <<EOF
[database]
conninfo = host=127.0.0.1 port=$PG_PORT dbname=certmill user=certmill passfile=$SECRETS/pgpass connect_timeout=5
conninfo_api = host=127.0.0.1 port=$PG_PORT dbname=certmill user=certmill_api passfile=$SECRETS/pgpass-api connect_timeout=5
conninfo_worker = host=127.0.0.1 port=$PG_PORT dbname=certmill user=certmill_worker passfile=$SECRETS/pgpass-worker connect_timeout=5
[keys]
master_key_file = $SECRETS/master.key
[api]
fcgi_listen = 127.0.0.1:$FCGI_PORT
default_ca = local
# Abuse limits far above what the suite sends (hundreds of requests a second), so the
# bucket and the quota check run on every request but hold none back; test_limits.py
# gives its own tenants small limits with certmill tenant set-limits.
rate_limit = 100000/s
rate_burst = 100000
max_active_orders = 1000000
max_certificates = 1000000
[worker]
poll_interval_ms = 1000
lease_seconds = ${CM_LEASE_SECONDS:-60}
[ca.local]
directory = https://127.0.0.1:$ACME_PORT/dir
trust = $DIR/pebble/tls-ca.pem
max_inflight = 4
exclusive_new_order = yes
timeout_ms = 15000
caa_identities = pebble.letsencrypt.org
# The suite orders hundreds of certificates for example.test: budgets far above
# Let's Encrypt's defaults, so the gate runs for every order but holds none back.
budget_new_orders = 100000/3h
budget_certs_per_domain = 100000/1w
budget_certs_per_name_set = 100000/1w
budget_failed_validations = 100000/1h
[ca.local-eab]
directory = https://127.0.0.1:$EAB_ACME_PORT/dir
trust = $DIR/pebble/tls-ca.pem
max_inflight = 4
exclusive_new_order = yes
timeout_ms = 15000
# A second CAA identity of its own: a name whose CAA allows only it forbids [ca.local] (failover test).
caa_identities = pebble.letsencrypt.org eab.pebble.test
eab_kid = kid-1
eab_hmac_key_file = $SECRETS/eab-hmac-key
budget_new_orders = none
budget_certs_per_domain = none
budget_certs_per_name_set = none
budget_failed_validations = none
[ca.local-eab-nokeys]
directory = https://127.0.0.1:$EAB_ACME_PORT/dir
trust = $DIR/pebble/tls-ca.pem
max_inflight = 4
exclusive_new_order = yes
timeout_ms = 15000
caa_identities = pebble.letsencrypt.org
budget_new_orders = none
budget_certs_per_domain = none
budget_certs_per_name_set = none
budget_failed_validations = none
# The same Pebble with a tiny budget, for tests/integration/test_rate_budget.py only:
# one certificate per registered domain per 30 s (every test name is under example.test).
[ca.local-budget]
directory = https://127.0.0.1:$ACME_PORT/dir
trust = $DIR/pebble/tls-ca.pem
max_inflight = 4
exclusive_new_order = yes
timeout_ms = 15000
caa_identities = pebble.letsencrypt.org
budget_new_orders = none
budget_certs_per_domain = 1/30s
budget_certs_per_name_set = 2/30s
budget_failed_validations = 1/30s
# The same Pebble under another name, for tests/integration/test_metrics.py only: its
# per-CA counters then move only with what that test does.
[ca.local-metrics]
directory = https://127.0.0.1:$ACME_PORT/dir
trust = $DIR/pebble/tls-ca.pem
max_inflight = 4
exclusive_new_order = yes
timeout_ms = 15000
caa_identities = pebble.letsencrypt.org
budget_new_orders = none
budget_certs_per_domain = none
budget_certs_per_name_set = none
budget_failed_validations = none
# The same Pebble behind ca-front (scripts/ca-front.conf.in), which answers 429/503 on demand.
[ca.local-front]
directory = https://127.0.0.1:$CA_FRONT_PORT/dir
trust = $DIR/pebble/tls-ca.pem
max_inflight = 4
exclusive_new_order = yes
timeout_ms = 15000
caa_identities = pebble.letsencrypt.org
failover_after = 0
budget_new_orders = none
budget_certs_per_domain = none
budget_certs_per_name_set = none
budget_failed_validations = none
# A CA that is down: nothing listens at its directory (failover tests).
[ca.local-down]
directory = https://127.0.0.1:$CA_DOWN_PORT/dir
trust = $DIR/pebble/tls-ca.pem
timeout_ms = 2000
caa_identities = pebble.letsencrypt.org
failover_after = 1
[dns]
resolvers = 127.0.0.1:$DNS_PORT
port = $DNS_PORT
timeout_ms = 2000
propagation_timeout_s = ${CM_DNS_PROPAGATION_TIMEOUT:-60}
exec_programs = $DIR/hooks/dns-hook $DIR/hooks/slow-hook /bin/true
[http01]
port = $HTTP01_PORT
[alpn]
# ::1 too, so Pebble can validate the IP identifier ::1 over TLS-ALPN-01 (RFC 8738).
listen = 127.0.0.1:$TLSALPN_PORT [::1]:$TLSALPN_PORT
# Deliveries may reach the tests' receivers on loopback; retries start 200 ms apart.
[webhooks]
allow_destinations = 127.0.0.0/8 ::1/128
retry_base_ms = 200
timeout_ms = 5000
[log]
level = info
# text for make up (read by people); make test sets CM_LOG_FORMAT=json (test_logs.py reads it)
format = ${CM_LOG_FORMAT:-text}
EOF
    # Other users may not read it (certmill refuses); the services' group may.
    if [[ -n "$SVC_USER" ]]; then
        chgrp "$SVC_USER" "$CONF"
        chmod 0640 "$CONF"
    fi
}

# cli ARGS... — run the admin CLI; its stderr goes to log/certmill-cli.log.
cli() {
    printf '%s certmill %s\n' "$(date -u +%FT%TZ)" "$*" >>"$LOGDIR/certmill-cli.log"
    "$BIN/certmill" --config "$CONF" "$@" 2>>"$LOGDIR/certmill-cli.log"
}

# CM_VALGRIND=1 (make valgrind): certmill-fcgi and the workers run under valgrind's
# memcheck with the release build; every error and every definitely lost block goes to
# log/valgrind-NAME-PID.log, which stays empty when there is none.
valgrind_wrap() {
    VG=()
    if [[ "${CM_VALGRIND:-0}" == 1 ]]; then
        command -v valgrind >/dev/null || die "CM_VALGRIND=1 but valgrind is not installed"
        # valgrind writes its logs as the services' user.
        [[ -z "$SVC_USER" ]] || { chgrp "$SVC_USER" "$LOGDIR" && chmod g+w "$LOGDIR"; }
        VG=(valgrind --quiet --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite
            --num-callers=30 --log-file="$LOGDIR/valgrind-$1-%p.log")
    fi
}

worker_start() {
    local n=$1 pid
    if pid=$(pidfile_alive "$RUNDIR/worker-$n.pid" certmill-worker); then
        log "worker-$n already running (pid $pid)"
        return 0
    fi
    valgrind_wrap "worker-$n"
    svc_run_as
    start_bg "worker-$n" "$RUNDIR/worker-$n.pid" "$LOGDIR/worker-$n.log" \
        "${RUN_AS[@]}" "${VG[@]}" "$BIN/certmill-worker" --config "$CONF" --id "worker-$n"
}

certmill_start() {
    if ! have_certmill; then
        log "certmill binaries not in $BIN (need certmill, certmill-fcgi, certmill-worker, certmill-alpn):"
        log "  skipping migrate, certmill-fcgi, certmill-alpn, workers and demo tenant (infrastructure only)"
        return 0
    fi
    port_free tcp "$FCGI_PORT"
    port_free tcp "$TLSALPN_PORT"
    log "certmill migrate"
    cli migrate >>"$LOGDIR/certmill-cli.log" || die "certmill migrate failed"

    valgrind_wrap fcgi
    svc_run_as
    start_bg certmill-fcgi "$RUNDIR/fcgi.pid" "$LOGDIR/fcgi.log" \
        "${RUN_AS[@]}" "${VG[@]}" "$BIN/certmill-fcgi" --config "$CONF"
    STEP_LOGS=("$LOGDIR/fcgi.log" "$DIR/nginx/error.log")
    wait_for 60 "certmill-fcgi: http://127.0.0.1:$API_PORT/healthz = 200" \
        "$RUNDIR/fcgi.pid" certmill-fcgi \
        http_is "http://127.0.0.1:$API_PORT/healthz" 200

    # The TLS-ALPN-01 responder; Pebble's tlsPort points at it.
    start_bg certmill-alpn "$RUNDIR/alpn.pid" "$LOGDIR/alpn.log" \
        "${RUN_AS[@]}" "$BIN/certmill-alpn" --config "$CONF"
    STEP_LOGS=("$LOGDIR/alpn.log")
    wait_for 30 "certmill-alpn on 127.0.0.1:$TLSALPN_PORT" "$RUNDIR/alpn.pid" certmill-alpn \
        tcp_accepts 127.0.0.1 "$TLSALPN_PORT"

    local i
    for ((i = 1; i <= WORKERS; i++)); do worker_start "$i"; done

    # The demo tenant is made once; its key (shown once) is kept in secrets/.
    STEP_LOGS=("$LOGDIR/certmill-cli.log")
    local key
    if key=$(jq -er '.api_key' "$SECRETS/demo-tenant.json" 2>/dev/null) &&
        http_is "http://127.0.0.1:$API_PORT/v1/orders?limit=1" 401 \
            -H "Authorization: Bearer $key"; then
        log "the stored demo tenant key is refused (database reset?): making a new one"
        rm -f "$SECRETS/demo-tenant.json"
    fi
    if ! jq -e '.id and .api_key' "$SECRETS/demo-tenant.json" >/dev/null 2>&1; then
        log "creating the demo tenant"
        local out
        # "demo" may exist already (its key lost): then take a fresh name.
        out=$(cli tenant create demo) || out=$(cli tenant create "demo-$(date +%s)") ||
            die "certmill tenant create failed"
        jq -e '.id and .api_key' >/dev/null 2>&1 <<<"$out" ||
            die "certmill tenant create printed no JSON with id and api_key: $out"
        printf '%s\n' "$out" | write_secret "$SECRETS/demo-tenant.json"
    fi
    for ((i = 1; i <= WORKERS; i++)); do
        pidfile_alive "$RUNDIR/worker-$i.pid" certmill-worker >/dev/null ||
            { STEP_LOGS=("$LOGDIR/worker-$i.log"); die "worker-$i exited"; }
    done
}

# ---------------------------------------------------------------- stack.env

write_stack_env() {
    local key="" tenant="" pw i roots
    pw=$(pg_password)
    if [[ -s "$SECRETS/demo-tenant.json" ]]; then
        key=$(jq -r '.api_key // ""' "$SECRETS/demo-tenant.json")
        tenant=$(jq -r '.id // "" | tostring' "$SECRETS/demo-tenant.json")
    fi
    {
        echo "# certmill local stack — written by scripts/stack.sh up; source it"
        env_line CERTMILL_URL "http://127.0.0.1:$API_PORT"
        env_line CERTMILL_API_KEY "$key"
        env_line CERTMILL_TENANT_ID "$tenant"
        env_line CERTMILL_CA_ROOT "$DIR/pebble/root.pem"
        env_line CERTMILL_CA_INTERMEDIATE "$DIR/pebble/intermediate.pem"
        env_line CERTMILL_EAB_CA_ROOT "$DIR/pebble/eab-root.pem"
        env_line CERTMILL_PEBBLE_EAB_URL "https://127.0.0.1:$EAB_ACME_PORT/dir"
        env_line CERTMILL_CA_FRONT_DIR "$DIR/ca-front"
        roots=()
        for ((i = 0; i <= PEBBLE_ALT_ROOTS; i++)); do roots+=("$DIR/pebble/root-$i.pem"); done
        env_line CERTMILL_CA_ROOTS "${roots[*]}"
        env_line CERTMILL_PEBBLE_CHAIN_LENGTH "$PEBBLE_CHAIN_LENGTH"
        env_line CERTMILL_CONFIG "$CONF"
        env_line CERTMILL_DB_URL "postgresql://certmill:$pw@127.0.0.1:$PG_PORT/certmill"
        env_line CERTMILL_PGPASSFILE "$SECRETS/pgpass"
        env_line CERTMILL_PEBBLE_URL "https://127.0.0.1:$ACME_PORT/dir"
        env_line CERTMILL_PEBBLE_MGMT_URL "https://127.0.0.1:$MGMT_PORT"
        env_line CERTMILL_PEBBLE_TLS_CA "$DIR/pebble/tls-ca.pem"
        env_line CERTMILL_PEBBLE_NOSLEEP "$PEBBLE_NOSLEEP"
        env_line CERTMILL_BIN_DIR "$BIN"
        env_line CERTMILL_STACK_DIR "$DIR"
        env_line CERTMILL_LOG_DIR "$LOGDIR"
        env_line CERTMILL_PORT_BASE "$PORT_BASE"
        env_line CERTMILL_PG_PORT "$PG_PORT"
        env_line CERTMILL_API_PORT "$API_PORT"
        env_line CERTMILL_FCGI_PORT "$FCGI_PORT"
        env_line CERTMILL_HTTP01_PORT "$HTTP01_PORT"
        env_line CERTMILL_TLSALPN_PORT "$TLSALPN_PORT"
        env_line CERTMILL_DNS_PORT "$DNS_PORT"
        env_line CERTMILL_DNS_ZONE "$ZONE"
        env_line CERTMILL_TSIG_KEYFILE "$SECRETS/tsig.key"
        env_line CERTMILL_TSIG_KEYNAME "$TSIG_NAME"
        env_line CERTMILL_PDNS_PORT "$PDNS_PORT"
        env_line CERTMILL_PDNS_API_URL "http://127.0.0.1:$PDNS_API_PORT"
        env_line CERTMILL_PDNS_API_KEY_FILE "$SECRETS/pdns-api-key"
        env_line CERTMILL_PDNS_SERVER_ID localhost
        env_line CERTMILL_PDNS_ZONE "$PDNS_ZONE"
        env_line CERTMILL_WORKERS "$WORKERS"
        env_line CERTMILL_WEBHOOK_PORT "$((PORT_BASE + 14))"
    } | write_secret "$DIR/stack.env"
    if [[ "$DIR" == "$repo/var/stack" ]]; then
        ln -sfn stack/stack.env "$repo/var/stack.env"
    fi
}

# ---------------------------------------------------------------- up / down

# rotate_logs — keep the previous run's logs as *.log.1, start new ones (so
# a sanitizer report of an old run is never blamed on this one).
rotate_logs() {
    local f
    mkdir -p "$LOGDIR"
    for f in "$LOGDIR"/*.log "$DIR/nginx/error.log" "$DIR/nginx/access.log"; do
        [[ -f "$f" && ! -L "$f" ]] && mv -f "$f" "$f.1"
    done
    pg_locate
    [[ -f "$PG_LOG" ]] && mv -f "$PG_LOG" "$PG_LOG.1"
    return 0
}

STEP="" STEP_LOGS=() UP_DONE=0

# on_up_exit — after a failed `up`: show the failing step's logs, stop all.
on_up_exit() {
    local rc=$? f
    ((UP_DONE)) && return 0
    trap - EXIT
    printf '\nstack: up FAILED during: %s\n' "$STEP" >&2
    for f in "${STEP_LOGS[@]}"; do
        [[ -e "$f" ]] || continue
        printf -- '----- last lines of %s -----\n' "$f" >&2
        tail -n 40 "$f" >&2 || true
    done
    printf -- '-----\nstack: stopping what was started\n' >&2
    cmd_down >&2 || true
    exit $((rc == 0 ? 1 : rc))
}

step() {
    STEP=$1
    shift
    STEP_LOGS=("$@")
}

cmd_up() {
    "$repo/scripts/deps.sh"
    if [[ -n "$(running_list)$(stack_leftovers)" ]]; then
        log "stack in $DIR is already running: restarting it"
        cmd_down
    fi
    mkdir -p "$DIR" "$LOGDIR" "$RUNDIR"
    trap on_up_exit EXIT
    rotate_logs
    printf '%s\n' "$PORT_BASE" >"$RUNDIR/port-base"
    printf '%s\n' "$BIN" >"$RUNDIR/bin-dir"
    log "up: $DIR, ports $PG_PORT-$LAST_PORT, binaries $BIN"

    step ports
    local port
    for port in "$PG_PORT" "$ACME_PORT" "$MGMT_PORT" "$HTTP01_PORT" "$DNS_PORT" "$API_PORT" \
        "$PDNS_PORT" "$PDNS_API_PORT" "$EAB_ACME_PORT" "$EAB_MGMT_PORT" "$CA_FRONT_PORT" "$CA_DOWN_PORT"; do
        port_free tcp "$port"
    done
    port_free udp "$DNS_PORT"
    port_free udp "$PDNS_PORT"
    if have_certmill; then port_free tcp "$FCGI_PORT"; port_free tcp "$TLSALPN_PORT"; fi
    step secrets
    make_secrets
    step postgres "$LOGDIR/postgres.log" "$LOGDIR/pg_ctl.log" "$LOGDIR/initdb.log"
    pg_start
    step powerdns "$LOGDIR/pdns.log"
    pdns_start
    step bind "$LOGDIR/named.log"
    bind_start
    step pebble "$LOGDIR/pebble.log" "$LOGDIR/openssl.log"
    pebble_start
    step pebble-eab "$LOGDIR/pebble-eab.log" "$LOGDIR/openssl.log"
    pebble_eab_start
    step nginx "$DIR/nginx/error.log"
    nginx_start
    step ca-front "$DIR/ca-front/error.log"
    ca_front_start
    step config
    write_config
    step certmill "$LOGDIR/certmill-cli.log" "$LOGDIR/fcgi.log" "$LOGDIR/alpn.log"
    certmill_start
    step stack.env
    write_stack_env
    UP_DONE=1
    trap - EXIT
    log "up: done; environment in $DIR/stack.env"
    cmd_status || true
}

# stack_leftovers — pids of stack processes still running: ours by name and
# with this stack's directory (or its cluster's) on their command line.
stack_leftovers() {
    local p pid comm cmd data
    data=$(pg_data_recorded)
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
        { read -r comm <"$p/comm"; } 2>/dev/null || continue
        case "$comm" in
        postgres | pebble | named | pdns_server | nginx | certmill*) ;;
        *) continue ;;
        esac
        cmd=$(pid_cmdline "$pid")
        if [[ "$cmd" == *"$DIR/"* || "$cmd" == *"$data"* ]] && pid_alive "$pid"; then
            printf '%s\n' "$pid"
        fi
    done
}

cmd_down() {
    local f n pid ok=1 left
    for f in "$RUNDIR"/worker-*.pid; do
        [[ -e "$f" ]] || continue
        n=${f##*/worker-}
        stop_pidfile "worker-${n%.pid}" "$f" certmill-worker 15 || ok=0
    done
    stop_pidfile certmill-alpn "$RUNDIR/alpn.pid" certmill-alpn 15 || ok=0
    stop_pidfile certmill-fcgi "$RUNDIR/fcgi.pid" certmill-fcgi 15 || ok=0
    stop_pidfile nginx "$DIR/nginx/nginx.pid" nginx 10 || ok=0
    stop_pidfile ca-front "$DIR/ca-front/nginx.pid" nginx 10 || ok=0
    stop_pidfile pebble-eab "$RUNDIR/pebble-eab.pid" pebble 10 || ok=0
    stop_pidfile pebble "$RUNDIR/pebble.pid" pebble 10 || ok=0
    stop_pidfile named "$RUNDIR/named.pid" named 10 || ok=0
    stop_pidfile pdns "$RUNDIR/pdns.pid" pdns_server 10 || ok=0
    pg_stop || ok=0

    # Anything of this stack that survived (e.g. its pid file was lost).
    left=$(stack_leftovers)
    if [[ -n "$left" ]]; then
        for pid in $left; do
            warn "leftover process $pid: $(pid_cmdline "$pid")"
            stop_pid leftover 5 "$pid" || ok=0
        done
        left=$(stack_leftovers)
        [[ -z "$left" ]] || { warn "still running: $left"; ok=0; }
    fi
    if ((ok)); then
        log "down: nothing of $DIR is running"
    else
        warn "down: some processes of $DIR could not be stopped"
        return 1
    fi
}

# running_list — one line per component that is running: "name pid".
running_list() {
    local f pid n
    pid=$(pg_running) && echo "postgres $pid"
    pid=$(pidfile_alive "$RUNDIR/pdns.pid" pdns_server) && echo "pdns $pid"
    pid=$(pidfile_alive "$RUNDIR/named.pid" named) && echo "named $pid"
    pid=$(pidfile_alive "$RUNDIR/pebble.pid" pebble) && echo "pebble $pid"
    pid=$(pidfile_alive "$RUNDIR/pebble-eab.pid" pebble) && echo "pebble-eab $pid"
    pid=$(pidfile_alive "$DIR/nginx/nginx.pid" nginx) && echo "nginx $pid"
    pid=$(pidfile_alive "$DIR/ca-front/nginx.pid" nginx) && echo "ca-front $pid"
    pid=$(pidfile_alive "$RUNDIR/fcgi.pid" certmill-fcgi) && echo "certmill-fcgi $pid"
    pid=$(pidfile_alive "$RUNDIR/alpn.pid" certmill-alpn) && echo "certmill-alpn $pid"
    for f in "$RUNDIR"/worker-*.pid; do
        [[ -e "$f" ]] || continue
        n=${f##*/}
        pid=$(pidfile_alive "$f" certmill-worker) && echo "${n%.pid} $pid"
    done
    return 0
}

cmd_status() {
    local running name ok=1 n f names want_cm=0
    running=$(running_list)
    printf 'stack %s (ports %s-%s)\n' "$DIR" "$PG_PORT" "$LAST_PORT"
    show() {
        local name=$1 where=$2 required=$3 pid
        pid=$(awk -v n="$name" '$1 == n {print $2}' <<<"$running")
        if [[ -n "$pid" ]]; then
            printf '  %-14s running  pid %-8s %s\n' "$name" "$pid" "$where"
        else
            printf '  %-14s stopped\n' "$name"
            ((required)) && ok=0
        fi
        return 0
    }
    show postgres "127.0.0.1:$PG_PORT" 1
    show pdns "127.0.0.1:$PDNS_PORT (udp+tcp), API http://127.0.0.1:$PDNS_API_PORT" 1
    show named "127.0.0.1:$DNS_PORT (udp+tcp)" 1
    show pebble "https://127.0.0.1:$ACME_PORT/dir, mgmt :$MGMT_PORT" 1
    show pebble-eab "https://127.0.0.1:$EAB_ACME_PORT/dir, mgmt :$EAB_MGMT_PORT (EAB required)" 1
    show nginx "http://127.0.0.1:$API_PORT (API), :$HTTP01_PORT (HTTP-01)" 1
    have_certmill && want_cm=1
    show certmill-fcgi "fastcgi 127.0.0.1:$FCGI_PORT" "$want_cm"
    show certmill-alpn "tls-alpn-01 127.0.0.1:$TLSALPN_PORT" "$want_cm"
    # Workers: those with a pid file, plus 1..CM_WORKERS.
    names=$( {
        for ((n = 1; n <= WORKERS; n++)); do echo "worker-$n"; done
        for f in "$RUNDIR"/worker-*.pid; do
            if [[ -e "$f" ]]; then basename "$f" .pid; fi
        done
    } | sort -u -V)
    for name in $names; do show "$name" "" "$want_cm"; done
    ((ok))
}

# ---------------------------------------------------------------- workers

worker_arg() {
    [[ "${1:-}" =~ ^[1-9][0-9]*$ ]] || die "usage: stack.sh $2 N (N = 1, 2, ...)"
}

cmd_start_worker() {
    worker_arg "${1:-}" start-worker
    [[ -s "$CONF" ]] || die "no $CONF: run 'stack.sh up' first"
    have_certmill || die "no certmill binaries in $BIN"
    worker_start "$1"
}

cmd_stop_worker() {
    worker_arg "${1:-}" stop-worker
    stop_pidfile "worker-$1" "$RUNDIR/worker-$1.pid" certmill-worker 15
}

cmd_kill_worker() {
    local pid
    worker_arg "${1:-}" kill-worker
    if pid=$(pidfile_alive "$RUNDIR/worker-$1.pid" certmill-worker); then
        log "SIGKILL worker-$1 (pid $pid)"
        kill -KILL "$pid"
        wait_gone 10 "$pid" || die "worker-$1 (pid $pid) survived SIGKILL"
    else
        log "worker-$1 is not running"
    fi
    rm -f "$RUNDIR/worker-$1.pid"
}

# ---------------------------------------------------------------- pebble

# Restarts Pebble alone (CM_PEBBLE_NOSLEEP chooses its validation delay) and
# rewrites root.pem; certmill has to notice that the CA forgot its accounts.
cmd_restart_pebble() {
    [[ -s "$DIR/pebble/pebble-config.json" ]] || die "no Pebble of $DIR: run 'stack.sh up' first"
    stop_pidfile pebble "$RUNDIR/pebble.pid" pebble 10
    pebble_start
}

# Outages for the reliability tests: Pebble or PostgreSQL stopped, then started again
# (a new Pebble forgets its accounts and orders; PostgreSQL keeps its data).
cmd_stop_pebble() {
    stop_pidfile pebble "$RUNDIR/pebble.pid" pebble 10
}
cmd_start_pebble() {
    [[ -s "$DIR/pebble/pebble-config.json" ]] || die "no Pebble of $DIR: run 'stack.sh up' first"
    pebble_start
}
cmd_stop_postgres() {
    pg_stop
}
cmd_start_postgres() {
    pg_start
}

# ---------------------------------------------------------------- main

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
start-worker) cmd_start_worker "${2:-}" ;;
stop-worker) cmd_stop_worker "${2:-}" ;;
kill-worker) cmd_kill_worker "${2:-}" ;;
restart-certmill) cmd_restart_certmill ;;
restart-pebble) cmd_restart_pebble ;;
stop-pebble) cmd_stop_pebble ;;
start-pebble) cmd_start_pebble ;;
stop-postgres) cmd_stop_postgres ;;
start-postgres) cmd_start_postgres ;;
*)
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
    exit 2
    ;;
esac
