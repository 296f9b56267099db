/* db_migrate — applies the embedded sql/ migrations, forward only. */
#include "db_migrate.h"
#include "db_internal.h"

#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>

/* Arbitrary constant naming certmill's migration lock among advisory locks. */
#define DB_MIGRATE_LOCK "7405321"

/* The highest version compiled in. */
int db_schema_latest(void)
{
    int v = 0;
    for (int i = 0; i < db_migrations_count; i++)
        if (db_migrations[i].version > v)
            v = db_migrations[i].version;
    return v;
}

/* Reads the applied version; a database without the table is at version 0. */
int db_schema_version(struct db *db)
{
    enum db_rc rc;
    PGresult *res = db_exec(db,
                            "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 "
                            "ELSE (SELECT coalesce(max(version), 0) FROM schema_migrations) END",
                            0, NULL, NULL, NULL, &rc);
    if (!res)
        return -1;
    int v = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

/* Runs one statement list inside the migration transaction. */
static bool db_migrate_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
    /* Migration text comes from our own sql/ files, never from input: plain PQexec. */
    PGresult *res = PQexec(db->conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(err, errlen, "%s", PQresultErrorMessage(res));
    PQclear(res);
    return ok;
}

/* Applies every migration newer than the database's version. */
bool db_migrate(struct db *db, int *applied, char *err, size_t errlen)
{
    *applied = 0;
    if (db_begin(db) != DB_OK) {
        snprintf(err, errlen, "cannot start a transaction");
        return false;
    }
    bool ok = db_migrate_exec(db, "SELECT pg_advisory_xact_lock(" DB_MIGRATE_LOCK ")", err, errlen) &&
              db_migrate_exec(db,
                              "CREATE TABLE IF NOT EXISTS schema_migrations ("
                              " version integer PRIMARY KEY, name text NOT NULL,"
                              " applied_at timestamptz NOT NULL DEFAULT now())",
                              err, errlen);
    int current = ok ? db_schema_version(db) : -1;
    ok = ok && current >= 0;
    for (int i = 0; ok && i < db_migrations_count; i++) {
        const struct db_migration *m = &db_migrations[i];
        if (m->version <= current)
            continue;
        log_info("applying migration %s", m->name);
        ok = db_migrate_exec(db, m->sql, err, errlen);
        if (ok) {
            char ver[16];
            snprintf(ver, sizeof ver, "%d", m->version);
            const char *params[] = { ver, m->name };
            enum db_rc rc;
            PGresult *res = db_exec(db, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
                                    params, NULL, NULL, &rc);
            ok = res != NULL;
            PQclear(res);
            if (!ok)
                snprintf(err, errlen, "cannot record migration %s", m->name);
        }
        if (ok)
            (*applied)++;
    }
    if (!ok) {
        db_rollback(db);
        return false;
    }
    if (db_commit(db) != DB_OK) {
        snprintf(err, errlen, "commit failed");
        return false;
    }
    return true;
}
