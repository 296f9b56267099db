/* db_internal — helpers shared by the db/ files only; nothing outside db/ includes this. */
#ifndef CM_DB_INTERNAL_H
#define CM_DB_INTERNAL_H

#include "db.h"

#include <libpq-fe.h>

/* Bound on any one statement (set per session, restored after the rare unbounded lock wait). */
#define DB_STATEMENT_TIMEOUT "15s"

/* Statements prepared on one connection, found by their text (a bounded list). */
#define DB_PREPARED_MAX 256

struct db_prepared {
    unsigned long long hash; /* FNV-1a of the text, also the statement's name */
    char *sql;               /* the text, compared on a hash match */
};

struct db {
    PGconn *conn;
    char *conninfo;
    bool down;
    bool in_tx;
    bool listening; /* LISTEN certmill_jobs is re-issued after a reconnect */
    bool pooled;    /* behind a transaction pooler (db_set_transaction_pooling) */
    bool prepare;   /* statements are prepared: not when pooled */
    struct db_prepared prepared[DB_PREPARED_MAX];
    size_t n_prepared;
};

/*
 * A statement that starts with this comment is planned for its parameters on every call
 * (never a prepared, generic plan): the list queries whose optional filters are
 * "$n IS NULL OR ...", where one cached plan cannot fit both a filter given and none.
 */
#define DB_CUSTOM_PLAN "/* custom plan */ "

/*
 * Runs a parameterised statement (text parameters, NULL allowed; lens only for bytea
 * params with binary[i] = 1, NULL otherwise; results are always text). Returns the result (caller PQclear's) or NULL after logging;
 * *rc tells DB_CONFLICT for unique violations and DB_UNAVAILABLE otherwise.
 */
PGresult *db_exec(struct db *db, const char *sql, int n, const char *const *params, const int *lens,
                  const int *binary, enum db_rc *rc);
/* Runs a query expected to give at most one row: *out = that row as JSON; DB_NOTFOUND when none. */
enum db_rc db_query_row(struct db *db, const char *sql, int n, const char *const *params, const int *lens,
                        const int *binary, json_t **out);
/* Runs a query for the first column of its first row as text: *out (caller frees); DB_NOTFOUND when none. */
enum db_rc db_query_text(struct db *db, const char *sql, int n, const char *const *params, const int *lens,
                         const int *binary, char **out);
/* Runs a query: *out = every row as a JSON array. */
enum db_rc db_query_rows(struct db *db, const char *sql, int n, const char *const *params, const int *lens,
                         const int *binary, json_t **out);
/* Runs a write; with need_row, DB_NOTFOUND when it touched (or returned) no row. */
enum db_rc db_command(struct db *db, const char *sql, int n, const char *const *params, const int *lens,
                      const int *binary, bool need_row);
/* A timestamptz in PostgreSQL's ISO text, with any UTC offset, as an RFC 3339 UTC string ("...Z"). */
json_t *db_ts_json(const char *v);
/* Converts row r of res into a JSON object keyed by column name. */
json_t *db_row_json(const PGresult *res, int r);
/* Converts every row of res into a JSON array of objects. */
json_t *db_rows_json(const PGresult *res);
/* Decodes a bytea column of row r into a fresh buffer; false when NULL. */
bool db_get_bytea(const PGresult *res, int r, int col, unsigned char **out, size_t *len);

#endif
