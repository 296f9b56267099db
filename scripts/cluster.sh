#!/usr/bin/env bash
# cluster.sh — a multi-host certmill topology on one machine (issue 10): network
# namespaces joined by veth pairs to a bridge, each namespace a "host" with its own
# address inside 127.10.0.0/24 (never a private or public address).
#
# Usage: scripts/cluster.sh up | down | status
#        scripts/cluster.sh exec HOST CMD...        run CMD inside HOST's namespace
#        scripts/cluster.sh stop-nginx HOST | start-nginx HOST        (front1, front2)
#        scripts/cluster.sh link-down HOST | link-up HOST             (cut a host off)
#        scripts/cluster.sh stop-worker HOST N | start-worker HOST N  (work1/work2, N = 1..)
#        scripts/cluster.sh dns-drop HOST | dns-add HOST   (a front out of / into DNS)
#        scripts/cluster.sh failover      db1 stopped (-m immediate), db2 promoted
#
# Hosts (namespace <prefix>HOST, address 127.10.0.X on its eth0, a veth to the bridge
# br0 of the namespace <prefix>sw, so the root namespace's networking is untouched):
#   db1    .21  PostgreSQL 15 primary (TLS, SCRAM; synchronous_standby_names = db2)
#   db2    .22  PostgreSQL 15 synchronous streaming standby (pg_basebackup -R)
#   front1 .11  nginx (API :8080, HTTP-01 :80) + certmill-fcgi (127.0.0.1:9000)
#   front2 .12  the same
#   work1  .31  CM_CLUSTER_WORKERS certmill-worker processes [2]
#   work2  .32  the same
#   ca     .41  Pebble (ACME :14000, management :15000, PEBBLE_VA_NOSLEEP=1) and BIND
#               (:53, authoritative for example.test, every name A = both fronts)
#   client .51  where tests and the admin CLI run
# Every certmill program connects with the multi-host conninfo
#   host=127.10.0.21,127.10.0.22 port=5432,5432 target_session_attrs=read-write
#   sslmode=verify-full sslrootcert=tls/ca.pem user=... passfile=...
#
# Environment (defaults in brackets):
#   CM_CLUSTER_DIR            state, logs, certificates    [$repo/var/cluster]
#   CM_BIN_DIR                certmill binaries            [$repo/build/bin]
#   CM_CLUSTER_PREFIX         namespace name prefix        [cmXXXX-, XXXX from a hash of the dir]
#   CM_CLUSTER_WORKERS        workers per worker host      [2]
#   CM_CLUSTER_LEASE_SECONDS  [worker] lease_seconds       [10]
#
# `down` (also run by a failed `up`) stops every process in the namespaces, deletes
# the namespaces (and so every veth and the bridge) and the state directory's
# databases; it leaves nothing behind in the root namespace.
set -euo pipefail
umask 022

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=$(realpath -m -- "${CM_CLUSTER_DIR:-$repo/var/cluster}")
BIN=$(realpath -m -- "${CM_BIN_DIR:-$repo/build/bin}")
# Two checkouts' clusters side by side: the default prefix comes from the state directory.
PFX=${CM_CLUSTER_PREFIX:-cm$(printf '%s' "$DIR" | sha256sum | cut -c1-4)-}
WORKERS=${CM_CLUSTER_WORKERS:-2}
LEASE=${CM_CLUSTER_LEASE_SECONDS:-10}
NET=127.10.0
declare -A ADDR=([db1]=$NET.21 [db2]=$NET.22 [front1]=$NET.11 [front2]=$NET.12
    [work1]=$NET.31 [work2]=$NET.32 [ca]=$NET.41 [client]=$NET.51)
HOSTS=(db1 db2 front1 front2 work1 work2 ca client)
PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=5432
API_PORT=8080
FCGI_PORT=9000
ACME_PORT=14000
MGMT_PORT=15000
ZONE=example.test
SVC_USER=certmill
PG_USER=postgres
LOGDIR=$DIR/log
RUNDIR=$DIR/run
TLS=$DIR/tls
SECRETS=$DIR/secrets
CONF=$DIR/certmill.conf

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*' NO_PROXY='*'

log() { printf 'cluster: %s\n' "$*"; }
warn() { printf 'cluster: warning: %s\n' "$*" >&2; }
die() { printf 'cluster: error: %s\n' "$*" >&2; exit 1; }

ns() { printf '%s%s' "$PFX" "$1"; }

# inns HOST CMD... — run CMD in HOST's network namespace.
inns() {
    local h=$1
    shift
    ip netns exec "$(ns "$h")" "$@"
}

# AS_SVC, AS_PG — drop to the services' or the cluster's user (HOME as theirs: libpq looks there for client certificates).
AS_SVC=(env HOME=/nonexistent setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups --)
AS_PG=(env HOME=/nonexistent setpriv --reuid="$PG_USER" --regid="$PG_USER" --init-groups --)

pid_alive() {
    local stat
    [[ "${1:-}" =~ ^[0-9]+$ ]] || return 1
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ -n "$stat" && "${stat:0:1}" != Z ]]
}

pidfile_pid() {
    local pid=""
    [[ -r "$1" ]] && read -r pid <"$1" 2>/dev/null
    [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid" && printf '%s' "$pid"
}

# start_bg HOST NAME CMD... — CMD in HOST's namespace, in its own session, its log
# in log/NAME.log and its pid in run/NAME.pid.
start_bg() {
    local h=$1 name=$2 pidfile=$RUNDIR/$2.pid i
    shift 2
    rm -f "$pidfile"
    # shellcheck disable=SC2016
    inns "$h" setsid -f /bin/sh -c 'echo $$ >"$0.tmp" && mv -f "$0.tmp" "$0" && exec "$@"' \
        "$pidfile" "$@" >>"$LOGDIR/$name.log" 2>&1 </dev/null
    for ((i = 0; i < 50; i++)); do
        [[ -s "$pidfile" ]] && { log "started $name on $h (pid $(<"$pidfile"))"; return 0; }
        sleep 0.1
    done
    die "$name did not start"
}

# wait_for TIMEOUT WHAT CMD... — poll CMD until it succeeds.
wait_for() {
    local timeout=$1 deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "$what: no answer after ${timeout}s"
        sleep 0.2
    done
}

# stop_pidfile NAME — SIGTERM the process of run/NAME.pid, SIGKILL after 10 s.
stop_pidfile() {
    local pid i
    pid=$(pidfile_pid "$RUNDIR/$1.pid") || { rm -f "$RUNDIR/$1.pid"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    rm -f "$RUNDIR/$1.pid"
    log "stopped $1 (pid $pid)"
}

http_code() {
    local h=$1 url=$2
    inns "$h" curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" 2>/dev/null || true
}

# ---------------------------------------------------------------- network

net_up() {
    local h sw
    sw=$(ns sw)
    # `ip netns add` makes /run/netns a mount point the first time; `down` undoes that
    # when it was us (and no namespace is left).
    mountpoint -q /run/netns 2>/dev/null || : >"$DIR/.netns-mount-ours"
    ip netns add "$sw"
    ip -n "$sw" link set lo up
    ip -n "$sw" link add br0 type bridge
    ip -n "$sw" link set br0 up
    for h in "${HOSTS[@]}"; do
        ip netns add "$(ns "$h")"
        ip -n "$(ns "$h")" link set lo up
        # Both ends made inside the namespaces: the root namespace never sees them.
        ip -n "$sw" link add "v-$h" type veth peer name eth0 netns "$(ns "$h")"
        ip -n "$sw" link set "v-$h" master br0 up
        ip -n "$(ns "$h")" addr add "${ADDR[$h]}/24" dev eth0
        inns "$h" sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.default.route_localnet=1 \
            net.ipv4.conf.lo.route_localnet=1 net.ipv4.conf.eth0.route_localnet=1
        ip -n "$(ns "$h")" link set eth0 up
    done
    log "network: namespaces ${PFX}{sw,${HOSTS[*]}} on br0, $NET.0/24"
}

# ---------------------------------------------------------------- TLS

# tls_make — a private CA and server certificates for PostgreSQL (db1, db2) and
# Pebble's HTTPS (ca), each for its address and host name.
tls_make() {
    local h ext
    mkdir -p "$TLS"
    (
        umask 077
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$TLS/ca.key" -out "$TLS/ca.pem" -days 30 -subj "/CN=certmill cluster test CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
        for h in db1 db2 ca; do
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -keyout "$TLS/host-$h.key" -out "$TLS/host-$h.csr" -subj "/CN=$h.cluster.test"
            ext=$TLS/host-$h.ext
            printf '%s\n' "subjectAltName=DNS:$h.cluster.test,IP:${ADDR[$h]}" \
                "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
                "extendedKeyUsage=serverAuth" >"$ext"
            openssl x509 -req -in "$TLS/host-$h.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
                -set_serial "0x$(openssl rand -hex 16)" -days 30 -extfile "$ext" -out "$TLS/host-$h.pem"
            rm -f "$TLS/host-$h.csr" "$ext"
        done
    ) 2>>"$LOGDIR/openssl.log"
    chmod 0644 "$TLS"/*.pem
}

# ---------------------------------------------------------------- secrets

secret() { openssl rand -hex 24; }

secrets_make() {
    local role
    mkdir -p "$SECRETS"
    chgrp "$SVC_USER" "$SECRETS"
    chmod 0750 "$SECRETS"
    openssl rand -hex 32 >"$SECRETS/master.key"
    for role in certmill certmill_api certmill_worker replicator; do
        # One line matches both hosts of the multi-host conninfo.
        printf '*:%s:*:%s:%s\n' "$PG_PORT" "$role" "$(secret)" >"$SECRETS/pgpass-$role"
    done
    chown "$SVC_USER:$SVC_USER" "$SECRETS"/master.key "$SECRETS"/pgpass-certmill*
    chown "$PG_USER:" "$SECRETS/pgpass-replicator"
    chmod 0600 "$SECRETS"/*
}

pw_of() { cut -d: -f5- "$SECRETS/pgpass-$1"; }

# ---------------------------------------------------------------- postgres

pg_conf() {
    local h=$1 data=$DIR/$1/data sync=$2
    "${AS_PG[@]}" tee "$data/certmill-cluster.conf" >/dev/null <<EOF
# written by scripts/cluster.sh
listen_addresses = '${ADDR[$h]}'
port = $PG_PORT
unix_socket_directories = '$DIR/$h'
max_connections = 200
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
ssl = on
ssl_cert_file = 'server.pem'
ssl_key_file = 'server.key'
password_encryption = scram-sha-256
wal_level = replica
max_wal_senders = 5
wal_keep_size = '256MB'
hot_standby = on
synchronous_commit = on
synchronous_standby_names = '$sync'
# A client host that vanished (cut off, powered off) sends no RST: without these its
# sessions, and the CA-gate advisory locks they hold, would stay for hours and block
# every other worker's exclusive newOrder. With them they end within about 10 s.
tcp_keepalives_idle = 5
tcp_keepalives_interval = 1
tcp_keepalives_count = 3
tcp_user_timeout = 10000
EOF
    "${AS_PG[@]}" tee "$data/pg_hba.conf" >/dev/null <<EOF
# written by scripts/cluster.sh: TLS and SCRAM only over the network
local   all          postgres                    peer
hostssl replication  replicator  $NET.0/24  scram-sha-256
hostssl all          all         $NET.0/24  scram-sha-256
EOF
    install -o "$PG_USER" -g "$PG_USER" -m 0600 "$TLS/host-$h.key" "$data/server.key"
    install -o "$PG_USER" -g "$PG_USER" -m 0644 "$TLS/host-$h.pem" "$data/server.pem"
}

pg_start() {
    local h=$1
    # Its log in its own directory (postgres cannot write to log/), linked from there.
    ln -sfn "$DIR/$h/postgres.log" "$LOGDIR/postgres-$h.log"
    (cd / && inns "$h" "${AS_PG[@]}" setsid -f -w "$PG_BIN/pg_ctl" -D "$DIR/$h/data" -l "$DIR/$h/postgres.log" \
        -w -t 60 -s start) >>"$LOGDIR/pg_ctl.log" 2>&1 || die "postgres on $h did not start"
    wait_for 30 "postgres on $h" inns "$h" "$PG_BIN/pg_isready" -q -h "${ADDR[$h]}" -p "$PG_PORT"
    log "postgres on $h (${ADDR[$h]}:$PG_PORT)"
}

psql_pg() {
    local h=$1
    shift
    inns "$h" "${AS_PG[@]}" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/$h" -U postgres "$@"
}

pg_up() {
    local role
    install -d -o "$PG_USER" -g "$PG_USER" -m 0700 "$DIR/db1" "$DIR/db2"
    (cd / && "${AS_PG[@]}" "$PG_BIN/initdb" -D "$DIR/db1/data" -U postgres --auth-local=peer \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-instructions) >"$LOGDIR/initdb.log" 2>&1 ||
        die "initdb failed"
    "${AS_PG[@]}" sh -c "printf '\ninclude_if_exists = %s\n' \"'certmill-cluster.conf'\" >>'$DIR/db1/data/postgresql.conf'"
    # Synchronous only once the standby exists (until then every commit would wait).
    pg_conf db1 ""
    pg_start db1
    # Roles: the owner (runs `certmill migrate`), the services', replication. Passwords on stdin.
    psql_pg db1 <<EOF
CREATE ROLE certmill LOGIN SUPERUSER PASSWORD '$(pw_of certmill)';
CREATE ROLE certmill_api LOGIN PASSWORD '$(pw_of certmill_api)';
CREATE ROLE certmill_worker LOGIN PASSWORD '$(pw_of certmill_worker)';
CREATE ROLE replicator LOGIN REPLICATION PASSWORD '$(pw_of replicator)';
CREATE DATABASE certmill OWNER certmill;
EOF
    # The standby: a base backup over TLS, streaming, named db2 (the synchronous one).
    # The replication password where the standby's user can read it ($SECRETS is the services').
    install -o "$PG_USER" -g "$PG_USER" -m 0600 "$SECRETS/pgpass-replicator" "$DIR/db2/pgpass"
    local conn="host=${ADDR[db1]} port=$PG_PORT user=replicator passfile=$DIR/db2/pgpass sslmode=verify-full sslrootcert=$TLS/ca.pem application_name=db2"
    (cd / && inns db2 "${AS_PG[@]}" "$PG_BIN/pg_basebackup" -d "$conn" -D "$DIR/db2/data" -R -X stream \
        -c fast -w) >>"$LOGDIR/pg_basebackup.log" 2>&1 || die "pg_basebackup failed"
    "${AS_PG[@]}" sh -c "printf '%s\n' \"primary_conninfo = '$conn'\" >>'$DIR/db2/data/postgresql.auto.conf'"
    pg_conf db2 ""
    pg_start db2
    pg_conf db1 db2
    psql_pg db1 -c 'SELECT pg_reload_conf()' >/dev/null
    wait_for 30 "db2 streaming synchronously" pg_sync_ok
    log "db2 is db1's synchronous standby"
}

pg_sync_ok() {
    [[ "$(psql_pg db1 -tAc "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'db2'")" == sync ]]
}

# ---------------------------------------------------------------- ca host

ca_up() {
    local d=$DIR/ca
    mkdir -p "$d/bind"
    cat >"$d/pebble-config.json" <<EOF
{
  "pebble": {
    "listenAddress": "${ADDR[ca]}:$ACME_PORT",
    "managementListenAddress": "${ADDR[ca]}:$MGMT_PORT",
    "certificate": "$TLS/host-ca.pem",
    "privateKey": "$TLS/host-ca.key",
    "httpPort": 80,
    "tlsPort": 443,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
EOF
    tsig-keygen -a hmac-sha256 cluster-key >"$SECRETS/tsig.key"
    chmod 0600 "$SECRETS/tsig.key"
    cat >"$d/bind/named.conf" <<EOF
include "$SECRETS/tsig.key";
options {
    directory "$d/bind";
    pid-file none;
    session-keyfile "$d/bind/session.key";
    managed-keys-directory "$d/bind";
    listen-on port 53 { ${ADDR[ca]}; };
    listen-on-v6 { none; };
    recursion no;
    allow-transfer { none; };
    dnssec-validation no;
    notify no;
};
controls { };
// Updates (a front drained from DNS, scripts/cluster.sh dns-drop) need the TSIG key.
zone "$ZONE" { type master; file "$d/bind/$ZONE.zone"; allow-update { key cluster-key; }; };
EOF
    # Every name resolves to both fronts (Pebble asks the first it gets); no AAAA.
    cat >"$d/bind/$ZONE.zone" <<EOF
\$TTL 60
@   IN SOA ns.$ZONE. hostmaster.$ZONE. ( $(date +%s) 3600 600 86400 5 )
@   IN NS  ns.$ZONE.
ns  IN A   ${ADDR[ca]}
@   IN A   ${ADDR[front1]}
@   IN A   ${ADDR[front2]}
*   IN A   ${ADDR[front1]}
*   IN A   ${ADDR[front2]}
EOF
    named-checkconf "$d/bind/named.conf" >>"$LOGDIR/named.log" 2>&1 || die "named-checkconf failed"
    start_bg ca named named -c "$d/bind/named.conf" -f
    wait_for 30 "named" dns_ready
}

dns_ready() {
    [[ "$(inns client dig @"${ADDR[ca]}" "probe.$ZONE" A +short +time=1 +tries=1 | sort | tr '\n' ' ')" == \
        "${ADDR[front1]} ${ADDR[front2]} " ]]
}

pebble_up() {
    local d=$DIR/ca
    start_bg ca pebble env PEBBLE_VA_NOSLEEP=1 pebble -config "$d/pebble-config.json" \
        -dnsserver "${ADDR[ca]}:53"
    wait_for 30 "pebble" inns client curl -sf --max-time 2 --cacert "$TLS/ca.pem" \
        "https://${ADDR[ca]}:$ACME_PORT/dir"
    inns client curl -sf --max-time 5 --cacert "$TLS/ca.pem" "https://${ADDR[ca]}:$MGMT_PORT/roots/0" \
        -o "$d/root.pem" || die "cannot fetch Pebble's root"
    openssl x509 -in "$d/root.pem" -noout || die "Pebble's root is not a certificate"
    log "pebble on https://${ADDR[ca]}:$ACME_PORT/dir"
}

# ---------------------------------------------------------------- certmill

# conninfo ROLE — the multi-host connection string every program uses.
conninfo() {
    # keepalives/tcp_user_timeout: a primary that vanished without a RST is noticed in seconds.
    printf 'host=%s,%s port=%s,%s dbname=certmill user=%s passfile=%s target_session_attrs=read-write sslmode=verify-full sslrootcert=%s connect_timeout=5 keepalives=1 keepalives_idle=5 keepalives_interval=1 keepalives_count=3 tcp_user_timeout=10000' \
        "${ADDR[db1]}" "${ADDR[db2]}" "$PG_PORT" "$PG_PORT" "$1" "$SECRETS/pgpass-$1" "$TLS/ca.pem"
}

write_config() {
    cat >"$CONF" <<EOF
# written by scripts/cluster.sh: one file for every host (each host's services read
# the key of their role; 127.0.0.1 is the host's own loopback inside its namespace)
[database]
conninfo = $(conninfo certmill)
conninfo_api = $(conninfo certmill_api)
conninfo_worker = $(conninfo certmill_worker)
[keys]
master_key_file = $SECRETS/master.key
[api]
fcgi_listen = 127.0.0.1:$FCGI_PORT
default_ca = local
rate_limit = 100000/s
rate_burst = 100000
max_active_orders = 1000000
max_certificates = 1000000
[worker]
poll_interval_ms = 500
lease_seconds = $LEASE
[ca.local]
directory = https://${ADDR[ca]}:$ACME_PORT/dir
trust = $TLS/ca.pem
max_inflight = 4
exclusive_new_order = yes
timeout_ms = 5000
caa_identities = pebble.letsencrypt.org
budget_new_orders = none
budget_certs_per_domain = none
budget_certs_per_name_set = none
budget_failed_validations = none
[dns]
resolvers = ${ADDR[ca]}:53
port = 53
timeout_ms = 2000
[http01]
port = 80
[log]
level = info
EOF
    chgrp "$SVC_USER" "$CONF"
    chmod 0640 "$CONF"
}

cli() {
    printf '%s certmill %s\n' "$(date -u +%FT%TZ)" "$*" >>"$LOGDIR/certmill-cli.log"
    inns client "$BIN/certmill" --config "$CONF" "$@" 2>>"$LOGDIR/certmill-cli.log"
}

nginx_conf() {
    local h=$1 d=$DIR/$1/nginx tpl conf extra="" v
    mkdir -p "$d/tmp"
    cp "$repo/web/nginx/certmill-fastcgi.conf" "$d/fastcgi.conf"
    v=$(nginx -V 2>&1)
    [[ "$v" == *--without-http_uwsgi_module* ]] || extra+="    uwsgi_temp_path $d/tmp/uwsgi;"$'\n'
    [[ "$v" == *--without-http_scgi_module* ]] || extra+="    scgi_temp_path $d/tmp/scgi;"$'\n'
    tpl=$(<"$repo/web/nginx/certmill-local.conf.in")
    conf=${tpl//@DIR@/$d}
    # The stack's configuration, listening on this host's address (API and HTTP-01 on port 80).
    conf=${conf//127.0.0.1:@API_PORT@/${ADDR[$h]}:$API_PORT}
    conf=${conf//127.0.0.1:@HTTP01_PORT@/${ADDR[$h]}:80}
    conf=$(grep -v '\[::1\]:@HTTP01_PORT@' <<<"$conf")
    conf=${conf//@FCGI_PORT@/$FCGI_PORT}
    conf=${conf//@WEB_ROOT@/$repo/web/dashboard}
    conf=${conf//@EXTRA_TEMP_PATHS@/${extra%$'\n'}}
    conf=${conf//@USER@/}
    printf '%s\n' "$conf" >"$d/nginx.conf"
    nginx -t -q -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" >>"$d/error.log" 2>&1 || die "nginx -t failed for $h"
}

nginx_start() {
    local h=$1 d=$DIR/$1/nginx
    rm -f "$d/nginx.pid"
    inns "$h" nginx -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" >>"$d/error.log" 2>&1 </dev/null ||
        die "nginx on $h did not start"
    wait_for 10 "nginx on $h" test -s "$d/nginx.pid"
    log "nginx on $h (API http://${ADDR[$h]}:$API_PORT, HTTP-01 :80)"
}

nginx_stop() {
    local h=$1 pid i
    pid=$(pidfile_pid "$DIR/$h/nginx/nginx.pid") || return 0
    kill -TERM "$pid"
    for ((i = 0; i < 100; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    log "nginx on $h stopped"
}

front_up() {
    local h=$1
    nginx_conf "$h"
    start_bg "$h" "fcgi-$h" "${AS_SVC[@]}" "$BIN/certmill-fcgi" --config "$CONF"
    nginx_start "$h"
    wait_for 60 "certmill-fcgi on $h" api_ok "$h"
}

# api_ok HOST — true when the front's /healthz answers 200 (seen from the client host).
api_ok() { [[ "$(http_code client "http://${ADDR[$1]}:$API_PORT/healthz")" == 200 ]]; }

worker_start() {
    local h=$1 n=$2
    pidfile_pid "$RUNDIR/worker-$h-$n.pid" >/dev/null && return 0
    start_bg "$h" "worker-$h-$n" "${AS_SVC[@]}" "$BIN/certmill-worker" --config "$CONF" --id "$h-$n"
}

write_env() {
    local key tenant
    key=$(jq -r .api_key "$SECRETS/tenant.json")
    tenant=$(jq -r '.id | tostring' "$SECRETS/tenant.json")
    {
        echo "# written by scripts/cluster.sh up"
        echo "CERTMILL_CLUSTER_FRONTS='http://${ADDR[front1]}:$API_PORT http://${ADDR[front2]}:$API_PORT'"
        echo "CERTMILL_API_KEY=$key"
        echo "CERTMILL_TENANT_ID=$tenant"
        echo "CERTMILL_CA_ROOT=$DIR/ca/root.pem"
        echo "CERTMILL_PEBBLE_URL=https://${ADDR[ca]}:$ACME_PORT/dir"
        echo "CERTMILL_PEBBLE_MGMT_URL=https://${ADDR[ca]}:$MGMT_PORT"
        echo "CERTMILL_PEBBLE_TLS_CA=$TLS/ca.pem"
        echo "CERTMILL_DB_DSN='$(conninfo certmill)'"
        echo "CERTMILL_CONFIG=$CONF"
        echo "CERTMILL_BIN_DIR=$BIN"
        echo "CERTMILL_CLUSTER_WORKERS=$WORKERS"
        echo "CERTMILL_CLUSTER_LEASE_SECONDS=$LEASE"
        echo "CERTMILL_CLUSTER_NS_PREFIX=$PFX"
        echo "CM_STACK_DIR=$DIR"
    } >"$DIR/cluster.env"
    chmod 0600 "$DIR/cluster.env"
}

# ---------------------------------------------------------------- up / down

UP_DONE=0
on_up_exit() {
    local rc=$? f
    ((UP_DONE)) && return 0
    trap - EXIT
    printf '\ncluster: up FAILED; last lines of the logs:\n' >&2
    for f in "$LOGDIR"/*.log "$DIR"/db*/postgres.log "$DIR"/front*/nginx/error.log; do
        [[ -s "$f" ]] || continue
        printf -- '----- %s -----\n' "$f" >&2
        tail -n 15 "$f" >&2 || true
    done
    cmd_down >&2 || true
    exit $((rc == 0 ? 1 : rc))
}

cmd_up() {
    local h i key
    ((EUID == 0)) || die "network namespaces need root"
    for h in ip setpriv nginx named pebble jq dig curl "$PG_BIN/initdb"; do
        command -v "$h" >/dev/null || die "$h is missing (run scripts/deps.sh)"
    done
    [[ -x "$BIN/certmill-fcgi" && -x "$BIN/certmill-worker" && -x "$BIN/certmill" ]] ||
        die "no certmill binaries in $BIN (make all)"
    id -u "$SVC_USER" >/dev/null 2>&1 ||
        useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SVC_USER"
    if ip netns list | grep -q "^${PFX}sw\b" || [[ -d "$DIR/db1" ]]; then
        log "a cluster is up already: taking it down first"
        cmd_down
    fi
    trap on_up_exit EXIT
    mkdir -p "$DIR" "$RUNDIR"
    rm -rf "$LOGDIR.1"
    [[ -d "$LOGDIR" ]] && mv "$LOGDIR" "$LOGDIR.1"
    mkdir -p "$LOGDIR"
    chmod 0755 "$DIR"
    net_up
    tls_make
    secrets_make
    pg_up
    ca_up
    pebble_up
    write_config
    log "certmill migrate"
    cli migrate >>"$LOGDIR/certmill-cli.log" || die "certmill migrate failed"
    (umask 077 && cli tenant create cluster >"$SECRETS/tenant.json") || die "certmill tenant create failed"
    key=$(jq -er .api_key "$SECRETS/tenant.json") || die "no api_key from tenant create"
    front_up front1
    front_up front2
    for h in work1 work2; do
        for ((i = 1; i <= WORKERS; i++)); do worker_start "$h" "$i"; done
    done
    write_env
    sleep 1
    for f in "$RUNDIR"/*.pid; do
        pidfile_pid "$f" >/dev/null || die "$(basename "$f" .pid) exited"
    done
    UP_DONE=1
    trap - EXIT
    log "up: done; environment in $DIR/cluster.env"
}

# ns_kill NS — stop every process in the namespace NS (all of them ours): TERM, then KILL.
ns_kill() {
    local n=$1 pids i
    pids=$(ip netns pids "$n" 2>/dev/null | tr '\n' ' ')
    [[ -n "${pids// /}" ]] || return 0
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        pids=$(ip netns pids "$n" 2>/dev/null | tr '\n' ' ')
        [[ -n "${pids// /}" ]] || return 0
        sleep 0.1
    done
    warn "still running in $n after 10 s: $pids: SIGKILL"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.5
}

cmd_down() {
    local h n ok=1
    # PostgreSQL first, cleanly (its backends would otherwise get TERMs one by one).
    for h in db1 db2; do
        if [[ -s "$DIR/$h/data/postmaster.pid" ]] && ip netns list | grep -q "^$(ns "$h")\b"; then
            (cd / && inns "$h" "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$DIR/$h/data" -m fast -w -t 20 -s stop) \
                >>"$LOGDIR/pg_ctl.log" 2>&1 || true
        fi
    done
    for h in "${HOSTS[@]}" sw; do
        n=$(ns "$h")
        ip netns list | grep -q "^$n\b" || continue
        ns_kill "$n"
        ip netns del "$n" || { warn "cannot delete namespace $n"; ok=0; }
    done
    # The state (databases, keys, certificates) goes; the logs stay for a look.
    for h in db1 db2; do
        [[ -f "$DIR/$h/postgres.log" ]] && { rm -f "$LOGDIR/postgres-$h.log"; cp "$DIR/$h/postgres.log" "$LOGDIR/postgres-$h.log"; }
    done
    rm -rf "$DIR/db1" "$DIR/db2" "$DIR/front1" "$DIR/front2" "$DIR/ca" "$TLS" "$SECRETS" "$RUNDIR" \
        "$CONF" "$DIR/cluster.env"
    if ip netns list | grep -q "^$PFX"; then warn "namespaces left: $(ip netns list | grep "^$PFX")"; ok=0; fi
    if [[ -e "$DIR/.netns-mount-ours" && -z "$(ip netns list)" ]] && mountpoint -q /run/netns; then
        umount /run/netns || { warn "cannot unmount /run/netns"; ok=0; }
    fi
    rm -f "$DIR/.netns-mount-ours"
    ((ok)) && log "down: no namespace, process or state of the cluster left"
    ((ok))
}

cmd_status() {
    local h n pids p ok=1
    for h in "${HOSTS[@]}"; do
        n=$(ns "$h")
        if ! ip netns list | grep -q "^$n\b"; then
            printf '  %-7s no namespace\n' "$h"
            ok=0
            continue
        fi
        pids=$(ip netns pids "$n" | tr '\n' ' ')
        printf '  %-7s %-13s link %-5s' "$h" "${ADDR[$h]}" "$(ip -n "$n" -br link show eth0 | awk '{print $2}')"
        for p in $pids; do cat "/proc/$p/comm" 2>/dev/null; done | sort | uniq -c | awk '{printf " %s×%s", $2, $1}'
        echo
    done
    ((ok))
}

cmd_failover() {
    log "db1: pg_ctl stop -m immediate"
    (cd / && inns db1 "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$DIR/db1/data" -m immediate -w -t 20 -s stop) \
        >>"$LOGDIR/pg_ctl.log" 2>&1 || warn "pg_ctl stop on db1 failed"
    log "db2: pg_ctl promote"
    (cd / && inns db2 "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$DIR/db2/data" -w -t 60 -s promote) \
        >>"$LOGDIR/pg_ctl.log" 2>&1 || die "pg_ctl promote on db2 failed"
}

# dns_set HOST add|delete — the front HOST's address in or out of every name's A records
# (what an operator or a health-checked DNS does before taking a front down: Pebble
# validates HTTP-01 at the first address a name resolves to).
dns_set() {
    local h=$1 op=$2 ttl=""
    [[ "$op" == add ]] && ttl=60
    printf 'server %s 53\nupdate %s *.%s %s A %s\nupdate %s %s %s A %s\nsend\n' "${ADDR[ca]}" \
        "$op" "$ZONE" "$ttl" "${ADDR[$h]}" "$op" "$ZONE" "$ttl" "${ADDR[$h]}" |
        inns client nsupdate -k "$SECRETS/tsig.key" || die "nsupdate failed"
    log "DNS: $op ${ADDR[$h]} ($h) for $ZONE and *.$ZONE"
}

host_arg() {
    [[ -n "${1:-}" && -n "${ADDR[$1]:-}" ]] || die "unknown host '${1:-}' (${HOSTS[*]})"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
exec)
    host_arg "${2:-}"
    h=$2
    shift 2
    inns "$h" "$@"
    ;;
stop-nginx) host_arg "${2:-}"; nginx_stop "$2" ;;
start-nginx) host_arg "${2:-}"; nginx_start "$2" ;;
link-down) host_arg "${2:-}"; ip -n "$(ns "$2")" link set eth0 down; log "$2 cut off" ;;
link-up) host_arg "${2:-}"; ip -n "$(ns "$2")" link set eth0 up; log "$2 connected again" ;;
stop-worker) host_arg "${2:-}"; stop_pidfile "worker-$2-${3:?N}" ;;
start-worker) host_arg "${2:-}"; worker_start "$2" "${3:?N}" ;;
failover) cmd_failover ;;
dns-drop) host_arg "${2:-}"; dns_set "$2" delete ;;
dns-add) host_arg "${2:-}"; dns_set "$2" add ;;
*)
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
    exit 2
    ;;
esac
