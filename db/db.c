/* db — connection handling, transactions and statement execution. */
#include "db_internal.h"

#include "base/log.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether new connections go through a transaction pooler (db_set_transaction_pooling). */
static bool db_pooled_default = false;

/* Sets whether connections opened from now on go through a pooler in transaction mode. */
void db_set_transaction_pooling(bool on)
{
    db_pooled_default = on;
}

/* Forgets what was prepared: the server's side went with the old session. */
static void db_prepared_forget(struct db *db)
{
    for (size_t i = 0; i < db->n_prepared; i++)
        free(db->prepared[i].sql);
    db->n_prepared = 0;
}

/* Sets the session defaults every statement relies on: UTC timestamps, and a bound on any statement. */
static bool db_session_setup(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SET TIME ZONE 'UTC'; SET client_min_messages = warning;"
                                 " SET statement_timeout = '" DB_STATEMENT_TIMEOUT "'");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

/* Opens a connection with the given conninfo. */
struct db *db_open(const char *conninfo, char *err, size_t errlen)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        /* libpq's message names host and port, never the password. */
        snprintf(err, errlen, "cannot connect to the database: %s", PQerrorMessage(conn));
        /* libpq's message spans lines; a log record is one line. */
        for (char *p = err; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        size_t n = strlen(err);
        while (n && err[n - 1] == ' ')
            err[--n] = '\0';
        PQfinish(conn);
        return NULL;
    }
    if (!db_session_setup(conn)) {
        snprintf(err, errlen, "cannot set up the database session: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    struct db *db = xcalloc(1, sizeof *db);
    db->conn = conn;
    db->conninfo = xstrdup(conninfo);
    db->pooled = db_pooled_default;
    db->prepare = !db->pooled;
    return db;
}

/* Closes the connection and frees db. */
void db_close(struct db *db)
{
    if (!db)
        return;
    PQfinish(db->conn);
    db_prepared_forget(db);
    xfree_secret(db->conninfo, strlen(db->conninfo));
    free(db);
}

/* Re-establishes a lost connection (after a restart or failover of PostgreSQL). */
bool db_ensure(struct db *db)
{
    if (PQstatus(db->conn) == CONNECTION_OK && !db->down)
        return true;
    PQreset(db->conn);
    db_prepared_forget(db);
    if (PQstatus(db->conn) != CONNECTION_OK || !db_session_setup(db->conn)) {
        db->down = true;
        return false;
    }
    log_info("database connection re-established");
    db->down = false;
    db->in_tx = false;
    if (db->listening) {
        PGresult *res = PQexec(db->conn, "LISTEN certmill_jobs");
        PQclear(res);
    }
    return true;
}

/* Tells whether the last statement failed for want of a connection. */
bool db_is_down(const struct db *db)
{
    return db->down || PQstatus(db->conn) != CONNECTION_OK;
}

/* The connection's socket. */
int db_socket(const struct db *db)
{
    return PQsocket(db->conn);
}

/*
 * True when a failure means this server can no longer serve us and another may: the
 * connection broke (class 08, or no SQLSTATE at all because nothing came back), the
 * server is shutting down or starting (57P01-57P03), or it is a standby now (25006,
 * read-only: a failover happened and we still talk to the old primary). The next
 * statement then reconnects, and libpq's target_session_attrs=read-write finds the
 * primary among the hosts of a multi-host conninfo.
 */
static bool db_server_lost(const PGconn *conn, const char *state)
{
    if (PQstatus(conn) != CONNECTION_OK || !state)
        return true;
    return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
           strcmp(state, "57P03") == 0 || strcmp(state, "25006") == 0;
}

/* True for a statement marked DB_CUSTOM_PLAN: planned for its parameters on every call. */
static bool db_custom_plan(const char *sql)
{
    return strncmp(sql, DB_CUSTOM_PLAN, sizeof DB_CUSTOM_PLAN - 1) == 0;
}

/*
 * True for a statement that may run again after the server was lost mid-way: a plain
 * read outside a transaction (SELECT without FOR UPDATE/SHARE locks and without a
 * data-modifying part). Writes are not retried here: whether they committed is unknown,
 * so the API answers 503 (the client retries with its Idempotency-Key) and a worker's
 * step is left to its lease, which makes it due again.
 */
static bool db_retry_safe(const char *sql)
{
    if (db_custom_plan(sql))
        sql += sizeof DB_CUSTOM_PLAN - 1;
    if (strncmp(sql, "SELECT ", 7) != 0)
        return false;
    static const char *const writes[] = { " FOR UPDATE", " FOR SHARE", " FOR NO KEY", "INSERT ", "UPDATE ",
                                          "DELETE ", "nextval(", "pg_advisory", "set_config(", NULL };
    for (const char *const *w = writes; *w; w++)
        if (strstr(sql, *w))
            return false;
    return true;
}

/* FNV-1a over the statement's text: its name among the prepared ones. */
static unsigned long long db_sql_hash(const char *sql)
{
    unsigned long long h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/*
 * Runs a statement prepared once per connection: PostgreSQL parses and plans it on
 * first use only, which is most of its cost for the one-row statements certmill runs.
 * The name is the hash of the text, so a name always means the same statement. An
 * error comes back as the failed result, for db_exec to classify.
 */
static PGresult *db_exec_prepared(struct db *db, const char *sql, int n, const char *const *params,
                                  const int *lens, const int *binary)
{
    unsigned long long h = db_sql_hash(sql);
    char name[24];
    snprintf(name, sizeof name, "cm_%016llx", h);
    bool known = false;
    for (size_t i = 0; i < db->n_prepared && !known; i++)
        known = db->prepared[i].hash == h && strcmp(db->prepared[i].sql, sql) == 0;
    if (!known) {
        /* Statements built at run time could fill the list: past its end they run unprepared. */
        if (db->n_prepared == DB_PREPARED_MAX)
            return PQexecParams(db->conn, sql, n, NULL, params, lens, binary, 0);
        PGresult *res = PQprepare(db->conn, name, sql, n, NULL);
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        /* 42P05: already there (same name, so the same text), e.g. after a lost COMMIT reply. */
        if (PQresultStatus(res) != PGRES_COMMAND_OK && !(state && strcmp(state, "42P05") == 0))
            return res;
        PQclear(res);
        db->prepared[db->n_prepared].hash = h;
        db->prepared[db->n_prepared].sql = xstrdup(sql);
        db->n_prepared++;
    }
    return PQexecPrepared(db->conn, name, n, params, lens, binary, 0);
}

/* Runs one statement, prepared when the connection and the statement allow, and classifies a failure. */
static PGresult *db_exec_as(struct db *db, const char *sql, int n, const char *const *params, const int *lens,
                            const int *binary, bool may_prepare, enum db_rc *rc)
{
    bool prepare = may_prepare && db->prepare && !db_custom_plan(sql);
    *rc = DB_OK;
    /* At most one retry, for a read interrupted by a lost server (a restart, a failover). */
    for (int attempt = 0;; attempt++) {
        if (!db->in_tx && !db_ensure(db)) {
            *rc = DB_UNAVAILABLE;
            return NULL;
        }
        PGresult *res = prepare ? db_exec_prepared(db, sql, n, params, lens, binary)
                                : PQexecParams(db->conn, sql, n, NULL, params, lens, binary, 0);
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
            return res;
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (state && strcmp(state, "26000") == 0 && prepare) {
            /* The server no longer has our statements (a pooler changed sessions): prepare anew. */
            db_prepared_forget(db);
            if (attempt == 0 && !db->in_tx) {
                PQclear(res);
                continue;
            }
        }
        if (state && strcmp(state, "23505") == 0) {
            *rc = DB_CONFLICT;
            PQclear(res);
            return NULL;
        }
        *rc = DB_UNAVAILABLE;
        bool lost = db_server_lost(db->conn, state);
        if (lost)
            db->down = true;
        /* Copied out: the SQLSTATE and the message live in res, which goes before they are logged. */
        char first[160], msg[300], code[8];
        log_safe(first, sizeof first, sql);
        log_safe(msg, sizeof msg, PQresultErrorMessage(res));
        snprintf(code, sizeof code, "%s", state ? state : "-");
        PQclear(res);
        if (lost && attempt == 0 && !db->in_tx && db_retry_safe(sql)) {
            log_warn("database: %s (sqlstate %s): reconnecting to retry a read", msg, code);
            continue;
        }
        log_error("database: %s (sqlstate %s) in: %s", msg, code, first);
        return NULL;
    }
}

/* Runs one parameterised statement and classifies a failure. */
PGresult *db_exec(struct db *db, const char *sql, int n, const char *const *params, const int *lens,
                  const int *binary, enum db_rc *rc)
{
    return db_exec_as(db, sql, n, params, lens, binary, true, rc);
}

/* Runs a query for one row, converted to JSON. */
enum db_rc db_query_row(struct db *db, const char *sql, int n, const char *const *params, const int *lens,
                        const int *binary, json_t **out)
{
    enum db_rc rc;
    *out = NULL;
    PGresult *res = db_exec(db, sql, n, params, lens, binary, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) > 0)
        *out = db_row_json(res, 0);
    else
        rc = DB_NOTFOUND;
    PQclear(res);
    return rc;
}

/* Runs a query for one text value (a key authorization, a tenant id). */
enum db_rc db_query_text(struct db *db, const char *sql, int n, const char *const *params, const int *lens,
                         const int *binary, char **out)
{
    enum db_rc rc;
    *out = NULL;
    PGresult *res = db_exec(db, sql, n, params, lens, binary, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
        *out = xstrdup(PQgetvalue(res, 0, 0));
    else
        rc = DB_NOTFOUND;
    PQclear(res);
    return rc;
}

/* Runs a query for all its rows, converted to a JSON array. */
enum db_rc db_query_rows(struct db *db, const char *sql, int n, const char *const *params, const int *lens,
                         const int *binary, json_t **out)
{
    enum db_rc rc;
    *out = NULL;
    PGresult *res = db_exec(db, sql, n, params, lens, binary, &rc);
    if (!res)
        return rc;
    *out = db_rows_json(res);
    PQclear(res);
    return rc;
}

/* Runs a write and tells whether it touched a row. */
enum db_rc db_command(struct db *db, const char *sql, int n, const char *const *params, const int *lens,
                      const int *binary, bool need_row)
{
    enum db_rc rc;
    PGresult *res = db_exec(db, sql, n, params, lens, binary, &rc);
    if (!res)
        return rc;
    if (need_row && PQntuples(res) == 0 && atoi(PQcmdTuples(res)) == 0)
        rc = DB_NOTFOUND;
    PQclear(res);
    return rc;
}

/* Runs a statement without parameters or results (transaction control): never prepared. */
static enum db_rc db_simple(struct db *db, const char *sql)
{
    enum db_rc rc;
    PQclear(db_exec_as(db, sql, 0, NULL, NULL, NULL, false, &rc));
    return rc;
}

/* Starts a transaction. */
enum db_rc db_begin(struct db *db)
{
    enum db_rc rc = db_simple(db, "BEGIN");
    db->in_tx = rc == DB_OK;
    return rc;
}

/* Commits the open transaction. */
enum db_rc db_commit(struct db *db)
{
    enum db_rc rc = db_simple(db, "COMMIT");
    db->in_tx = false;
    return rc;
}

/* Rolls back the open transaction, if any; a failure here only matters for the next statement. */
void db_rollback(struct db *db)
{
    if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
        PGresult *res = PQexec(db->conn, "ROLLBACK");
        PQclear(res);
    }
    db->in_tx = false;
}

/* SELECT 1, for /healthz and /readyz. */
enum db_rc db_ping(struct db *db)
{
    return db_simple(db, "SELECT 1");
}
