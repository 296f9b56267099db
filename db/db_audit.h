/* db_audit — the audit log: one row per change made through the API or the admin CLI. */
#ifndef CM_DB_AUDIT_H
#define CM_DB_AUDIT_H

#include "db.h"

/* One audit row; NULL fields are stored as NULL. Never a secret or a request body. */
struct db_audit {
    const char *tenant_id;   /* the tenant acted on (API: the caller's) */
    const char *api_key_id;  /* API: the key used; CLI: NULL */
    const char *actor;       /* "api" or "cli:" + the OS user */
    const char *action;      /* "POST /v1/orders" or "tenant create" */
    const char *object_id;   /* the object's id when there is one */
    int status;              /* the HTTP status (API) or the exit status (CLI) */
    const char *remote_addr; /* the client address the front passed; NULL for the CLI */
};

/* Appends a row (the services' role may insert, never change or delete). */
enum db_rc db_audit_insert(struct db *db, const struct db_audit *a);
/* The newest rows first, of one tenant (id or name) or of all when tenant is NULL: *out a JSON array. */
enum db_rc db_audit_list(struct db *db, const char *tenant, int limit, json_t **out);

#endif
