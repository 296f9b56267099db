/* work_account — ACME accounts per tenant and CA, and the per-CA request gate. */
#include "db_internal.h"
#include "db_work.h"

#include "base/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads the account row of a tenant at a CA. */
enum db_rc db_account_get(struct db *db, const char *tenant_id, const char *ca, long long *id, unsigned char **key,
                          size_t *keylen, char **url)
{
    const char *p[] = { tenant_id, ca };
    enum db_rc rc;
    PGresult *res = db_exec(db, "SELECT id, key_sealed, url FROM acme_accounts WHERE tenant_id = $1 AND ca = $2", 2,
                            p, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0 || !db_get_bytea(res, 0, 1, key, keylen)) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    *id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    *url = PQgetisnull(res, 0, 2) ? NULL : xstrdup(PQgetvalue(res, 0, 2));
    PQclear(res);
    return DB_OK;
}

/* Inserts an account key; when another worker got there first its key stays. */
enum db_rc db_account_insert(struct db *db, const char *tenant_id, const char *ca, const unsigned char *key,
                             size_t keylen)
{
    const char *p[] = { tenant_id, ca, (const char *)key };
    int lens[] = { 0, 0, (int)keylen }, bin[] = { 0, 0, 1 };
    return db_command(db,
                      "INSERT INTO acme_accounts (tenant_id, ca, key_sealed) VALUES ($1, $2, $3)"
                      " ON CONFLICT (tenant_id, ca) DO NOTHING",
                      3, p, lens, bin, false);
}

/* Stores the account URL. */
enum db_rc db_account_set_url(struct db *db, long long id, const char *url)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *p[] = { ids, url };
    return db_command(db, "UPDATE acme_accounts SET url = $2 WHERE id = $1", 2, p, NULL, NULL, true);
}

/* The advisory-lock key of a CA: a stable 31-bit FNV-1a hash of its name under certmill's class id. */
static void db_ca_gate_key(const char *ca, char *out, size_t n)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *s = (const unsigned char *)ca; *s; s++)
        h = (h ^ *s) * 16777619u;
    snprintf(out, n, "%u", (unsigned)(h & 0x7fffffff));
}

/* Runs one advisory-lock statement with the CA's key and an int; returns its boolean (true if none). */
static bool db_ca_lock_sql(struct db *db, const char *sql, const char *key, int n, enum db_rc *rc)
{
    char ns[16];
    snprintf(ns, sizeof ns, "%d", n);
    const char *p[] = { key, ns };
    PGresult *res = db_exec(db, sql, 2, p, NULL, NULL, rc);
    bool v = !res || PQntuples(res) == 0 || PQgetvalue(res, 0, 0)[0] != 'f';
    PQclear(res);
    return v;
}

/*
 * Tries slot n of the CA's gate and, when it is free, the read/write lock with it in the
 * same statement (one round trip when the CA is not busy): true when the slot was taken,
 * *rw when the read/write lock was too.
 */
static bool db_ca_gate_try(struct db *db, const char *key, int n, bool exclusive, bool *rw, enum db_rc *rc)
{
    static const char shared_sql[] =
        "SELECT got, got AND pg_try_advisory_xact_lock_shared(74053, $1::int) AS rw"
        " FROM (SELECT pg_try_advisory_xact_lock(74100 + $2::int, $1::int) AS got) s";
    static const char exclusive_sql[] =
        "SELECT got, got AND pg_try_advisory_xact_lock(74053, $1::int) AS rw"
        " FROM (SELECT pg_try_advisory_xact_lock(74100 + $2::int, $1::int) AS got) s";
    char ns[16];
    snprintf(ns, sizeof ns, "%d", n);
    const char *p[] = { key, ns };
    PGresult *res = db_exec(db, exclusive ? exclusive_sql : shared_sql, 2, p, NULL, NULL, rc);
    bool got = res && PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    *rw = got && PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    return got;
}

/* The longest wait for a CA gate lock (far above max_inflight requests of timeout_ms each). */
#define DB_CA_GATE_WAIT "300s"

/*
 * Takes an advisory lock of the gate's open transaction: tries first, and only when that
 * fails waits, with a transaction-local statement timeout longer than the session's (a
 * wait for other workers' CA requests may be long) but never for ever: a worker host cut
 * off while it held the lock keeps it until the server notices the dead connection (TCP
 * keepalives, tcp_user_timeout), and the waiting request then goes without the gate.
 */
static void db_ca_lock_wait(struct db *db, const char *try_sql, const char *wait_sql, const char *key, int n,
                            enum db_rc *rc)
{
    if (db_ca_lock_sql(db, try_sql, key, n, rc) || *rc != DB_OK)
        return;
    db_ca_lock_sql(db, "SELECT set_config('statement_timeout', '" DB_CA_GATE_WAIT "', true) IS NULL"
                   " OR $2::int < 0 OR $1 = ''", key, 0, rc);
    if (*rc == DB_OK)
        db_ca_lock_sql(db, wait_sql, key, n, rc);
}

/*
 * Takes the CA's gate: one of max_inflight slots (so all workers together keep at most
 * that many requests in flight), then the read/write lock: shared for ordinary requests,
 * exclusive for a newOrder that must run alone. Returns the slot taken (-1 on failure:
 * the request then goes without the gate).
 *
 * The locks are transaction-level, held by a transaction on db (the gate's own
 * connection) that stays open until db_ca_gate_leave: an open transaction keeps its
 * server connection under PgBouncer's transaction pooling, where session locks would
 * land on whichever connection the pooler chose. It takes no snapshot between its
 * statements, so it holds back no vacuum while the CA answers.
 */
int db_ca_gate_enter(struct db *db, const char *ca, int max_inflight, bool exclusive)
{
    /* No gate (configured off): every request goes at once. */
    if (max_inflight <= 0)
        return DB_CA_GATE_OPEN;
    if (!db || db_begin(db) != DB_OK)
        return -1;
    char key[16];
    db_ca_gate_key(ca, key, sizeof key);
    enum db_rc rc = DB_OK;
    int slot = -1;
    bool rw = false;
    for (int i = 0; i < max_inflight && slot < 0 && rc == DB_OK; i++)
        if (db_ca_gate_try(db, key, i, exclusive, &rw, &rc))
            slot = i;
    if (slot < 0 && rc == DB_OK) {
        /* Every slot busy: queue on one of them (spread by the process id). */
        slot = (int)(getpid() % max_inflight);
        db_ca_lock_wait(db, "SELECT pg_try_advisory_xact_lock(74100 + $2::int, $1::int)",
                        "SELECT pg_advisory_xact_lock(74100 + $2::int, $1::int) IS NULL", key, slot, &rc);
    }
    if (rc == DB_OK && !rw) {
        if (exclusive)
            db_ca_lock_wait(db, "SELECT pg_try_advisory_xact_lock(74053, $1::int) OR $2::int < 0",
                            "SELECT pg_advisory_xact_lock(74053, $1::int) IS NULL OR $2::int < 0", key, 0, &rc);
        else
            db_ca_lock_wait(db, "SELECT pg_try_advisory_xact_lock_shared(74053, $1::int) OR $2::int < 0",
                            "SELECT pg_advisory_xact_lock_shared(74053, $1::int) IS NULL OR $2::int < 0", key, 0,
                            &rc);
    }
    if (rc != DB_OK) {
        db_rollback(db);
        return -1;
    }
    return slot;
}

/* Releases the CA's gate taken by db_ca_gate_enter: the end of its transaction frees every lock. */
void db_ca_gate_leave(struct db *db, int slot)
{
    if (!db || slot < 0 || slot == DB_CA_GATE_OPEN)
        return;
    db_rollback(db);
}

/* Reads the tenant's own EAB credential for a CA: key id, algorithm, sealed MAC key (caller frees all). */
enum db_rc db_tenant_eab_get(struct db *db, const char *tenant_id, const char *ca, char **kid, char **alg,
                             unsigned char **sealed, size_t *len)
{
    const char *p[] = { tenant_id, ca };
    enum db_rc rc;
    *kid = *alg = NULL;
    *sealed = NULL;
    *len = 0;
    PGresult *res = db_exec(db, "SELECT eab_kid, eab_alg, hmac_sealed FROM tenant_eab WHERE tenant_id = $1 AND ca = $2",
                            2, p, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0 || !db_get_bytea(res, 0, 2, sealed, len)) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    *kid = xstrdup(PQgetvalue(res, 0, 0));
    *alg = xstrdup(PQgetvalue(res, 0, 1));
    PQclear(res);
    return DB_OK;
}
