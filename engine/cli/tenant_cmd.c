/* tenant_cmd — a tenant's default and fallback CAs; its own abuse limits; removing a tenant, its ACME accounts deactivated first. */
#include "tenant_cmd.h"

#include "account_cmd.h"
#include "apikey.h"
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
          "       certmill tenant set-limits TENANT [--rate N/s|N/m|N/h|none|default] [--burst N|default]\n"
          "                          [--max-active-orders N|none|default] [--max-certificates N|none|default]\n"
          "  the tenant's own API request rate, burst and quotas; 'default' puts back the server's [api] value\n"
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

/* Reads one value of set-limits into text for the database: NULL for "default", "-1" for "none" (when allowed). */
static bool tenant_limit_value(int i, const char *v, char *out, size_t n, const char **value)
{
    if (strcmp(v, "default") == 0) {
        *value = NULL;
        return true;
    }
    if (strcmp(v, "none") == 0 && i != 1) {
        snprintf(out, n, "-1");
        *value = out;
        return true;
    }
    if (i == 0) {
        double per_s;
        if (!rate_parse(v, &per_s))
            return false;
        snprintf(out, n, "%.9g", per_s);
    } else {
        char *end;
        long x = strtol(v, &end, 10);
        if (end == v || *end || x < (i == 1 ? 1 : 0) || x > (i == 1 ? RATE_MAX_BURST : CONFIG_MAX_QUOTA))
            return false;
        snprintf(out, n, "%ld", x);
    }
    *value = out;
    return true;
}

/* certmill tenant set-limits TENANT [--rate R] [--burst N] [--max-active-orders N] [--max-certificates N] */
static int tenant_set_limits(const struct config *cfg, struct db *db, int argc, char **argv)
{
    static const char *const opts[4] = { "--rate", "--burst", "--max-active-orders", "--max-certificates" };
    bool set[4] = { false, false, false, false };
    const char *values[4] = { NULL, NULL, NULL, NULL };
    char text[4][32];
    for (int a = 3; a < argc; a += 2) {
        int i = 0;
        while (i < 4 && strcmp(argv[a], opts[i]) != 0)
            i++;
        if (i == 4 || a + 1 >= argc)
            return tenant_cmd_usage();
        if (!tenant_limit_value(i, argv[a + 1], text[i], sizeof text[i], &values[i])) {
            fprintf(stderr, "certmill: tenant set-limits: %s %s: not a valid value\n", argv[a], argv[a + 1]);
            return TENANT_CMD_FAIL;
        }
        set[i] = true;
    }
    char *id = tenant_cmd_find(db, argv[2]);
    if (!id)
        return TENANT_CMD_FAIL;
    json_t *row = NULL;
    enum db_rc rc = db_admin_tenant_set_limits(db, id, set, values, &row);
    free(id);
    if (rc != DB_OK) {
        fputs("certmill: tenant set-limits: database error\n", stderr);
        return TENANT_CMD_FAIL;
    }
    apikey_cache_wait(cfg); /* the fronts apply the new rate from now on */
    /* The rate as an operator writes it ("5/s", "none"); null: the server's default. */
    const char *per_s = json_string_value(json_object_get(row, "rate_per_s"));
    char rate[32];
    if (per_s) {
        double r = strtod(per_s, NULL);
        rate_format(r < 0 ? 0 : r, rate, sizeof rate);
    }
    json_object_set_new(row, "rate", per_s ? json_string(rate) : json_null());
    json_object_del(row, "rate_per_s");
    char *out = json_dumps(row, JSON_COMPACT);
    if (out)
        puts(out);
    free(out);
    json_decref(row);
    return TENANT_CMD_OK;
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
        apikey_cache_wait(cfg); /* no front takes the tenant's keys any more */
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
    if (strcmp(sub, "set-limits") == 0)
        return argc >= 5 && argc % 2 == 1 ? tenant_set_limits(cfg, db, argc, argv) : tenant_cmd_usage();
    if (strcmp(sub, "remove") == 0) {
        if (argc == 3)
            return tenant_remove(cfg, db, argv[2], false);
        if (argc == 4 && strcmp(argv[3], "--force") == 0)
            return tenant_remove(cfg, db, argv[2], true);
        return tenant_cmd_usage();
    }
    return TENANT_CMD_NOT_MINE;
}
