/* db_migrate — the embedded list of sql/ migrations and the code that applies them. */
#ifndef CM_DB_MIGRATE_H
#define CM_DB_MIGRATE_H

#include "db.h"

struct db_migration {
    int version;
    const char *name;
    const char *sql;
};

/* Generated from the sql/ files at build time (build/gen/db_migrations.c). */
extern const struct db_migration db_migrations[];
extern const int db_migrations_count;

/* The version this build expects (the highest embedded migration). */
int db_schema_latest(void);
/* The version the database is at (0 when never migrated); -1 on failure. */
int db_schema_version(struct db *db);
/*
 * Applies pending migrations in one transaction, serialised by an advisory lock so two
 * concurrent runs do not collide. *applied = how many ran. False with err on failure.
 */
bool db_migrate(struct db *db, int *applied, char *err, size_t errlen);

#endif
