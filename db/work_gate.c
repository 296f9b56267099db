/*
 * work_gate — the per-CA request gate: at most max_inflight requests to a CA in flight
 * from all workers together, and a newOrder that must run alone (exclusive_new_order),
 * with PostgreSQL's advisory locks on the gate's own connection of each worker.
 *
 * Session-level locks where the connection is the worker's own (one statement to take
 * slot and read/write lock, one to let go); transaction-level locks behind a transaction
 * pooler ([database] transaction_pooling), where only an open transaction keeps its
 * server connection: there the gate is a transaction open for the length of the request,
 * which takes no snapshot between its statements and so holds back no vacuum.
 */
#include "db_internal.h"
#include "db_work.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The longest wait for a CA gate lock (far above max_inflight requests of timeout_ms each). */
#define DB_CA_GATE_WAIT "300s"

/* The gate's statements in one of its two modes ($1 the CA's key, $2 a slot). */
struct db_ca_gate_sql {
    const char *try_shared;    /* slot $2, then the shared read/write lock if the slot was free */
    const char *try_exclusive; /* slot $2, then the exclusive read/write lock if the slot was free */
    const char *slot_try, *slot_wait;
    const char *shared_try, *shared_wait;
    const char *exclusive_try, *exclusive_wait;
    const char *wait_timeout;  /* raises statement_timeout before a wait */
};

static const struct db_ca_gate_sql db_ca_gate_session = {
    "SELECT got, got AND pg_try_advisory_lock_shared(74053, $1::int) AS rw"
    " FROM (SELECT pg_try_advisory_lock(74100 + $2::int, $1::int) AS got) s",
    "SELECT got, got AND pg_try_advisory_lock(74053, $1::int) AS rw"
    " FROM (SELECT pg_try_advisory_lock(74100 + $2::int, $1::int) AS got) s",
    "SELECT pg_try_advisory_lock(74100 + $2::int, $1::int)",
    "SELECT pg_advisory_lock(74100 + $2::int, $1::int) IS NULL",
    "SELECT pg_try_advisory_lock_shared(74053, $1::int) OR $2::int < 0",
    "SELECT pg_advisory_lock_shared(74053, $1::int) IS NULL OR $2::int < 0",
    "SELECT pg_try_advisory_lock(74053, $1::int) OR $2::int < 0",
    "SELECT pg_advisory_lock(74053, $1::int) IS NULL OR $2::int < 0",
    "SELECT set_config('statement_timeout', '" DB_CA_GATE_WAIT "', false) IS NULL OR $2::int < 0 OR $1 = ''",
};

static const struct db_ca_gate_sql db_ca_gate_xact = {
    "SELECT got, got AND pg_try_advisory_xact_lock_shared(74053, $1::int) AS rw"
    " FROM (SELECT pg_try_advisory_xact_lock(74100 + $2::int, $1::int) AS got) s",
    "SELECT got, got AND pg_try_advisory_xact_lock(74053, $1::int) AS rw"
    " FROM (SELECT pg_try_advisory_xact_lock(74100 + $2::int, $1::int) AS got) s",
    "SELECT pg_try_advisory_xact_lock(74100 + $2::int, $1::int)",
    "SELECT pg_advisory_xact_lock(74100 + $2::int, $1::int) IS NULL",
    "SELECT pg_try_advisory_xact_lock_shared(74053, $1::int) OR $2::int < 0",
    "SELECT pg_advisory_xact_lock_shared(74053, $1::int) IS NULL OR $2::int < 0",
    "SELECT pg_try_advisory_xact_lock(74053, $1::int) OR $2::int < 0",
    "SELECT pg_advisory_xact_lock(74053, $1::int) IS NULL OR $2::int < 0",
    "SELECT set_config('statement_timeout', '" DB_CA_GATE_WAIT "', true) IS NULL OR $2::int < 0 OR $1 = ''",
};

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
 * Tries slot n and, when it is free, the read/write lock with it in the same statement
 * (one round trip when the CA is not busy): true when the slot was taken, *rw when the
 * read/write lock was too.
 */
static bool db_ca_gate_try(struct db *db, const struct db_ca_gate_sql *q, const char *key, int n, bool exclusive,
                           bool *rw, enum db_rc *rc)
{
    char ns[16];
    snprintf(ns, sizeof ns, "%d", n);
    const char *p[] = { key, ns };
    PGresult *res = db_exec(db, exclusive ? q->try_exclusive : q->try_shared, 2, p, NULL, NULL, rc);
    bool got = res && PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    *rw = got && PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    return got;
}

/*
 * Takes an advisory lock: tries first, and only when that fails waits, with a statement
 * timeout longer than the usual one (a wait for other workers' CA requests may be long)
 * but never for ever: a worker host cut off while it held the lock keeps it until the
 * server notices the dead connection (TCP keepalives, tcp_user_timeout), and the waiting
 * request then goes without the gate. A session-level wait puts the usual timeout back.
 */
static void db_ca_lock_wait(struct db *db, const struct db_ca_gate_sql *q, const char *try_sql,
                            const char *wait_sql, const char *key, int n, enum db_rc *rc)
{
    if (db_ca_lock_sql(db, try_sql, key, n, rc) || *rc != DB_OK)
        return;
    db_ca_lock_sql(db, q->wait_timeout, key, 0, rc);
    if (*rc == DB_OK)
        db_ca_lock_sql(db, wait_sql, key, n, rc);
    if (q == &db_ca_gate_session) {
        enum db_rc rc2 = DB_OK;
        db_ca_lock_sql(db, "SELECT set_config('statement_timeout', '" DB_STATEMENT_TIMEOUT "', false) IS NULL"
                       " OR $2::int < 0 OR $1 = ''", key, 0, &rc2);
        if (*rc == DB_OK)
            *rc = rc2;
    }
}

/* Lets every lock of the gate go: the end of its transaction, or an unlock of the session's. */
static void db_ca_gate_release(struct db *db)
{
    if (db->pooled) {
        db_rollback(db);
        return;
    }
    /* A failure leaves the locks with the session: the connection is then made anew, which frees them. */
    if (db_command(db, "SELECT pg_advisory_unlock_all()", 0, NULL, NULL, NULL, false) != DB_OK)
        db->down = true;
}

/*
 * Takes the CA's gate: one of max_inflight slots (so all workers together keep at most
 * that many requests in flight), then the read/write lock: shared for ordinary requests,
 * exclusive for a newOrder that must run alone. Returns the slot taken (-1 on failure:
 * the request then goes without the gate).
 */
int db_ca_gate_enter(struct db *db, const char *ca, int max_inflight, bool exclusive)
{
    /* No gate (configured off): every request goes at once. */
    if (max_inflight <= 0)
        return DB_CA_GATE_OPEN;
    if (!db)
        return -1;
    const struct db_ca_gate_sql *q = db->pooled ? &db_ca_gate_xact : &db_ca_gate_session;
    if (db->pooled && db_begin(db) != DB_OK)
        return -1;
    char key[16];
    db_ca_gate_key(ca, key, sizeof key);
    enum db_rc rc = DB_OK;
    int slot = -1;
    bool rw = false;
    for (int i = 0; i < max_inflight && slot < 0 && rc == DB_OK; i++)
        if (db_ca_gate_try(db, q, key, i, exclusive, &rw, &rc))
            slot = i;
    if (slot < 0 && rc == DB_OK) {
        /* Every slot busy: queue on one of them (spread by the process id). */
        slot = (int)(getpid() % max_inflight);
        db_ca_lock_wait(db, q, q->slot_try, q->slot_wait, key, slot, &rc);
    }
    if (rc == DB_OK && !rw) {
        if (exclusive)
            db_ca_lock_wait(db, q, q->exclusive_try, q->exclusive_wait, key, 0, &rc);
        else
            db_ca_lock_wait(db, q, q->shared_try, q->shared_wait, key, 0, &rc);
    }
    if (rc != DB_OK) {
        db_ca_gate_release(db);
        return -1;
    }
    return slot;
}

/* Releases the CA's gate taken by db_ca_gate_enter. */
void db_ca_gate_leave(struct db *db, int slot)
{
    if (!db || slot < 0 || slot == DB_CA_GATE_OPEN)
        return;
    db_ca_gate_release(db);
}
