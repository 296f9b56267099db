/* tenant_cmd — a tenant's default and fallback CAs; removing a tenant, its ACME accounts deactivated first. */
#include "tenant_cmd.h"

#include "account_cmd.h"
#include "db_admin.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TENANT_CMD_OK = 0, TENANT_CMD_FAIL = 1, TENANT_CMD_USAGE = 2, TENANT_CMD_NOT_MINE = -1 };

/* Prints usage to stderr. */
static int tenant_cmd_usage(void)
{
    fputs("usage: certmill tenant set-ca TENANT DEFAULT|- [FALLBACK...]\n"
          "  orders that name no CA go to DEFAULT ('-': the server's [api] default_ca) and, when it cannot\n"
          "  issue them, to each FALLBACK in turn; every name must be a [ca.NAME] of the configuration\n"
          "       certmill tenant remove TENANT [--force]\n"
          "  deactivate the tenant's ACME accounts at their CAs (RFC 8555 §7.3.6), then delete the tenant\n"
          "  with its keys, orders and certificates; --force deletes it even when a CA cannot be reached\n",
          stderr);
    return TENANT_CMD_USAGE;
}

/* The tenant's id, or NULL (reported) when there is no such tenant. */
static char *tenant_cmd_find(struct db *db, const char *tenant)
{
    json_t *t = NULL;
    enum db_rc rc = db_tenant_find(db, tenant, &t);
    char *id = rc == DB_OK ? strdup(json_string_value(json_object_get(t, "id"))) : NULL;
    json_decref(t);
    if (!id)
        fprintf(stderr, "certmill: tenant %s: %s\n", tenant, rc == DB_NOTFOUND ? "not found" : "database error");
    return id;
}

/* certmill tenant set-ca TENANT DEFAULT|- [FALLBACK...] */
static int tenant_set_ca(const struct config *cfg, struct db *db, int argc, char **argv)
{
    const char *def = strcmp(argv[3], "-") == 0 ? NULL : argv[3];
    json_t *fallbacks = json_array();
    int ret = TENANT_CMD_OK;
    char *id = NULL;
    for (int i = 3; i < argc; i++) {
        if (i == 3 && !def)
            continue;
        if (!config_ca_find(cfg, argv[i])) {
            fprintf(stderr, "certmill: tenant set-ca: no [ca.%s] in %s\n", argv[i], cfg->path);
            ret = TENANT_CMD_FAIL;
            goto done;
        }
        if (i > 3)
            json_array_append_new(fallbacks, json_string(argv[i]));
    }
    if (json_array_size(fallbacks) > 8) {
        fputs("certmill: tenant set-ca: at most 8 fallback CAs\n", stderr);
        ret = TENANT_CMD_FAIL;
        goto done;
    }
    if (!(id = tenant_cmd_find(db, argv[2]))) {
        ret = TENANT_CMD_FAIL;
        goto done;
    }
    json_t *row = NULL;
    if (db_admin_tenant_set_cas(db, id, def, fallbacks, &row) != DB_OK) {
        fputs("certmill: tenant set-ca: database error\n", stderr);
        ret = TENANT_CMD_FAIL;
        goto done;
    }
    char *text = json_dumps(row, JSON_COMPACT);
    if (text)
        puts(text);
    free(text);
    json_decref(row);
done:
    free(id);
    json_decref(fallbacks);
    return ret;
}

/* certmill tenant remove TENANT [--force]: accounts deactivated first, so no CA keeps a live account of a gone tenant. */
static int tenant_remove(const struct config *cfg, struct db *db, const char *tenant, bool force)
{
    char *id = tenant_cmd_find(db, tenant);
    if (!id)
        return TENANT_CMD_FAIL;
    json_t *accounts = NULL;
    int failed = 0;
    if (db_admin_tenant_accounts(db, id, &accounts) != DB_OK) {
        fputs("certmill: tenant remove: database error\n", stderr);
        free(id);
        return TENANT_CMD_FAIL;
    }
    size_t i;
    json_t *a;
    json_array_foreach(accounts, i, a) {
        const char *ca = json_string_value(json_object_get(a, "ca"));
        if (!json_is_string(json_object_get(a, "url")))
            continue; /* never registered: nothing at the CA */
        if (!config_ca_find(cfg, ca)) {
            fprintf(stderr, "certmill: tenant remove: the account at %s cannot be deactivated: that CA is no longer "
                            "configured\n", ca);
            failed++;
        } else if (account_cmd_deactivate(cfg, db, id, ca) != 0) {
            failed++;
        }
    }
    json_decref(accounts);
    int ret = TENANT_CMD_OK;
    if (failed && !force) {
        fprintf(stderr, "certmill: tenant remove: %d account%s not deactivated; the tenant is kept (run again, or "
                        "add --force to delete it anyway)\n", failed, failed == 1 ? "" : "s");
        ret = TENANT_CMD_FAIL;
    } else if (db_admin_tenant_delete(db, id) != DB_OK) {
        fputs("certmill: tenant remove: database error; the tenant is kept\n", stderr);
        ret = TENANT_CMD_FAIL;
    } else {
        json_t *out = json_pack("{s:s, s:b}", "tenant_id", id, "removed", 1);
        char *text = json_dumps(out, JSON_COMPACT);
        if (text)
            puts(text);
        free(text);
        json_decref(out);
    }
    free(id);
    return ret;
}

/* Runs the tenant subcommands of this file. */
int tenant_cmd_run(const struct config *cfg, struct db *db, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "set-ca") == 0)
        return argc >= 4 ? tenant_set_ca(cfg, db, argc, argv) : tenant_cmd_usage();
    if (strcmp(sub, "remove") == 0) {
        if (argc == 3)
            return tenant_remove(cfg, db, argv[2], false);
        if (argc == 4 && strcmp(argv[3], "--force") == 0)
            return tenant_remove(cfg, db, argv[2], true);
        return tenant_cmd_usage();
    }
    return TENANT_CMD_NOT_MINE;
}
