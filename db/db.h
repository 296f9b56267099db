/*
 * db — the only code that speaks SQL. Connection handling and the shared helpers;
 * each query lives in one function in the file of its table (db_order_*, db_job_*, ...).
 *
 * Rows are handed out as jansson objects whose keys are the column names, built from
 * the column types (text → string, bool, integers, text[] → array, jsonb → parsed,
 * timestamptz → RFC 3339 UTC string, bytea → not exposed: use the typed accessors).
 */
#ifndef CM_DB_H
#define CM_DB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum db_rc {
    DB_OK = 0,
    DB_NOTFOUND,   /* no such row (for this tenant) */
    DB_CONFLICT,   /* a unique constraint said no */
    DB_UNAVAILABLE /* the database could not be reached or failed: retry later (503) */
};

struct db;

/*
 * Whether connections opened from now on go through a pooler in transaction mode
 * (PgBouncer pool_mode = transaction): then certmill relies on nothing of a session — it
 * prepares no statements (else each is parsed and planned once per connection) and the
 * CA gate holds its locks in a transaction (else in the session). Off by default.
 */
void db_set_transaction_pooling(bool on);

/* Connects; NULL with the reason in err (the conninfo's password is never printed). */
struct db *db_open(const char *conninfo, char *err, size_t errlen);
void db_close(struct db *db);
/* Reconnects when the connection was lost; false when the database is still down. */
bool db_ensure(struct db *db);
/* True when the last failure looked like a lost connection. */
bool db_is_down(const struct db *db);
/* The socket, for poll() while waiting on LISTEN. -1 when not connected. */
int db_socket(const struct db *db);

enum db_rc db_begin(struct db *db);
enum db_rc db_commit(struct db *db);
void db_rollback(struct db *db);

/* Simple health probe: SELECT 1. */
enum db_rc db_ping(struct db *db);

#endif
