/* audit_cmd — who ran which changing admin command, and reading the audit log back. */
#include "audit_cmd.h"

#include "base/xalloc.h"
#include "db_admin.h"
#include "db_audit.h"

#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The commands that change something, by their first two words ("migrate" has one). */
static const char *const audit_cmd_changing[][2] = {
    { "migrate", NULL },     { "tenant", "create" },  { "tenant", "remove" },   { "tenant", "set-ca" },
    { "key", "create" },     { "key", "revoke" },     { "account", "rollover" }, { "account", "deactivate" },
    { "keys", "rotate" },
};

/* Tells whether argv starts with one of the changing commands. */
static bool audit_cmd_is_change(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof audit_cmd_changing / sizeof audit_cmd_changing[0]; i++) {
        const char *const *c = audit_cmd_changing[i];
        if (strcmp(argv[0], c[0]) == 0 && (!c[1] || (argc > 1 && strcmp(argv[1], c[1]) == 0)))
            return true;
    }
    return false;
}

/* True for the commands whose third word names a tenant (id or name). */
static bool audit_cmd_names_tenant(int argc, char **argv)
{
    return argc > 2 && (!strcmp(argv[0], "tenant") || !strcmp(argv[0], "account") ||
                        (!strcmp(argv[0], "key") && !strcmp(argv[1], "create")));
}

/* Resolves the tenant a command names into its id (NULL when there is none). */
static char *audit_cmd_tenant(struct db *db, const char *id_or_name)
{
    json_t *t = NULL;
    char *id = NULL;
    if (db_tenant_find(db, id_or_name, &t) == DB_OK)
        id = xstrdup(json_string_value(json_object_get(t, "id")));
    json_decref(t);
    return id;
}

/* Notes the command before it runs: a tenant it removes cannot be looked up afterwards. */
void audit_cmd_before(struct audit_cmd *a, struct db *db, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->changes = argc > 0 && audit_cmd_is_change(argc, argv);
    if (a->changes && audit_cmd_names_tenant(argc, argv) && strcmp(argv[1], "create") != 0)
        a->tenant_id = audit_cmd_tenant(db, argv[2]);
}

/* "cli:" and the OS user running the command (its uid when it has no name). */
static void audit_cmd_actor(char *out, size_t outlen)
{
    uid_t uid = getuid();
    struct passwd *pw = getpwuid(uid);
    if (pw && pw->pw_name)
        snprintf(out, outlen, "cli:%s", pw->pw_name);
    else
        snprintf(out, outlen, "cli:%lu", (unsigned long)uid);
}

/* Records the row for a command that succeeded; the arguments hold names and ids, never a secret. */
void audit_cmd_after(struct audit_cmd *a, struct db *db, int argc, char **argv, int ret)
{
    if (a->changes && ret == 0) {
        if (!a->tenant_id && audit_cmd_names_tenant(argc, argv))
            a->tenant_id = audit_cmd_tenant(db, argv[2]); /* tenant create: it exists now */
        char action[600] = "", actor[96];
        size_t n = 0;
        for (int i = 0; i < argc && n < sizeof action; i++) {
            int w = snprintf(action + n, sizeof action - n, "%s%s", i ? " " : "", argv[i]);
            if (w < 0)
                break;
            n += (size_t)w;
        }
        audit_cmd_actor(actor, sizeof actor);
        struct db_audit row = {
            .tenant_id = a->tenant_id,
            .actor = actor,
            .action = action,
            .object_id = argc > 2 ? argv[2] : NULL,
            .status = ret,
        };
        if (db_audit_insert(db, &row) != DB_OK)
            fprintf(stderr, "certmill: warning: the change was made but its audit row was not written\n");
    }
    free(a->tenant_id);
    a->tenant_id = NULL;
}

/* Parses --limit N (1..10000). */
static bool audit_cmd_limit(const char *s, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno || end == s || *end || n < 1 || n > 10000)
        return false;
    *out = (int)n;
    return true;
}

/* certmill audit list [TENANT] [--limit N] */
int audit_cmd_run(struct db *db, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[0], "audit") != 0 || strcmp(argv[1], "list") != 0)
        return -1;
    const char *tenant = NULL;
    int limit = 50;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--limit") && i + 1 < argc && audit_cmd_limit(argv[i + 1], &limit)) {
            i++;
        } else if (argv[i][0] != '-' && !tenant) {
            tenant = argv[i];
        } else {
            fputs("usage: certmill audit list [TENANT] [--limit N]   (N from 1 to 10000, default 50)\n", stderr);
            return 2;
        }
    }
    json_t *rows = NULL;
    if (db_audit_list(db, tenant, limit, &rows) != DB_OK) {
        fprintf(stderr, "certmill: audit: database error (see the log above)\n");
        return 1;
    }
    char *s = json_dumps(rows, JSON_COMPACT);
    if (s)
        puts(s);
    free(s);
    json_decref(rows);
    return 0;
}
