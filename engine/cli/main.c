/* certmill — the admin CLI: migrate, tenant create/list, key create/revoke, order list, account rollover. */
#include "account_cmd.h"
#include "apikey.h"
#include "audit_cmd.h"
#include "dns_cmd.h"
#include "doctor.h"
#include "keys_cmd.h"
#include "tenant_cmd.h"

#include "base/config.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "db.h"
#include "db_admin.h"
#include "db_migrate.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints usage to stderr. */
static int cli_usage(void)
{
    fputs("usage: certmill [--config FILE] COMMAND\n"
          "  doctor                   check the configuration, master key, database and CAs\n"
          "  migrate                  apply pending database migrations\n"
          "  tenant create NAME       create a tenant and print its first API key (shown once)\n"
          "  tenant list              list tenants\n"
          "  tenant set-ca TENANT DEFAULT|- [FALLBACK...]  the tenant's default CA and failover list\n"
          "  tenant set-limits TENANT [--rate R] [--burst N] [--max-active-orders N] [--max-certificates N]\n"
          "                           the tenant's own request rate and quotas (certmill tenant for more)\n"
          "  tenant remove TENANT [--force]  deactivate its ACME accounts, then delete it\n"
          "  key create TENANT        add an API key to a tenant (id or name); printed once\n"
          "  key revoke KEY_ID        revoke an API key\n"
          "  order list [TENANT]      show the newest orders\n"
          "  audit list [TENANT] [--limit N]  the newest audit log rows (changes via API and CLI)\n"
          "  account rollover TENANT [CA]  replace the tenant's ACME account key (RFC 8555 key change)\n"
          "  account deactivate TENANT CA  deactivate the tenant's ACME account at CA\n"
          "  keys rotate | keys status  re-seal every secret under the current master key; count by key\n"
          "  dns check NAME | dns update add|delete NAME VALUE --keyfile FILE   (certmill dns for more)\n",
          stderr);
    return CLI_USAGE;
}

/* Prints one JSON value on stdout, one line. */
static void cli_print(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s) {
        puts(s);
        free(s);
    }
}

/* Reports a database outcome other than DB_OK. */
static int cli_db_fail(enum db_rc rc, const char *what)
{
    switch (rc) {
    case DB_NOTFOUND:
        fprintf(stderr, "certmill: %s: not found\n", what);
        break;
    case DB_CONFLICT:
        fprintf(stderr, "certmill: %s: already exists\n", what);
        break;
    default:
        fprintf(stderr, "certmill: %s: database error (see the log above)\n", what);
        break;
    }
    return CLI_FAIL;
}

/* certmill migrate */
static int cli_migrate(struct db *db)
{
    int applied = 0;
    char err[512];
    if (!db_migrate(db, &applied, err, sizeof err)) {
        fprintf(stderr, "certmill: migrate failed: %s\n", err);
        return CLI_FAIL;
    }
    printf("schema at version %d (%d migration%s applied)\n", db_schema_latest(), applied,
           applied == 1 ? "" : "s");
    return CLI_OK;
}

/* certmill tenant create NAME: the key is printed here and nowhere else. */
static int cli_tenant_create(struct db *db, const char *name)
{
    char *key = NULL;
    unsigned char hash[32];
    if (!apikey_generate(&key, hash)) {
        fprintf(stderr, "certmill: cannot generate a key\n");
        return CLI_FAIL;
    }
    json_t *t = NULL;
    enum db_rc rc = db_tenant_create(db, name, hash, &t);
    int ret = CLI_OK;
    if (rc == DB_OK) {
        json_object_set_new(t, "api_key", json_string(key));
        cli_print(t);
    } else {
        ret = cli_db_fail(rc, "tenant");
    }
    json_decref(t);
    xfree_secret(key, strlen(key));
    return ret;
}

/* certmill key create TENANT */
static int cli_key_create(struct db *db, const char *tenant)
{
    json_t *t = NULL;
    enum db_rc rc = db_tenant_find(db, tenant, &t);
    if (rc != DB_OK)
        return cli_db_fail(rc, "tenant");
    char *key = NULL;
    unsigned char hash[32];
    int ret = CLI_OK;
    json_t *k = NULL;
    if (!apikey_generate(&key, hash)) {
        fprintf(stderr, "certmill: cannot generate a key\n");
        ret = CLI_FAIL;
    } else if ((rc = db_apikey_create(db, json_string_value(json_object_get(t, "id")), hash, &k)) != DB_OK) {
        ret = cli_db_fail(rc, "key");
    } else {
        json_object_set_new(k, "api_key", json_string(key));
        cli_print(k);
    }
    if (key)
        xfree_secret(key, strlen(key));
    json_decref(k);
    json_decref(t);
    return ret;
}

/* certmill key revoke KEY_ID: returns once no front accepts the key any more. */
static int cli_key_revoke(const struct config *cfg, struct db *db, const char *key_id)
{
    json_t *k = NULL;
    enum db_rc rc = db_apikey_revoke(db, key_id, &k);
    if (rc != DB_OK)
        return cli_db_fail(rc, "key");
    apikey_cache_wait(cfg);
    cli_print(k);
    json_decref(k);
    return CLI_OK;
}

/* certmill tenant list: prints a JSON array. */
static int cli_tenant_list(struct db *db)
{
    json_t *rows = NULL;
    enum db_rc rc = db_tenant_list(db, &rows);
    if (rc != DB_OK)
        return cli_db_fail(rc, "tenants");
    cli_print(rows);
    json_decref(rows);
    return CLI_OK;
}

/* certmill order list [TENANT]: the newest orders as a JSON array. */
static int cli_order_list(struct db *db, const char *tenant)
{
    json_t *rows = NULL;
    enum db_rc rc = db_order_list_admin(db, tenant, 50, &rows);
    if (rc != DB_OK)
        return cli_db_fail(rc, "orders");
    cli_print(rows);
    json_decref(rows);
    return CLI_OK;
}

/* Runs the subcommand named by argv. */
static int cli_dispatch(const struct config *cfg, struct db *db, int argc, char **argv)
{
    const char *cmd = argv[0], *sub = argc > 1 ? argv[1] : "";
    if (!strcmp(cmd, "migrate") && argc == 1)
        return cli_migrate(db);
    if (!strcmp(cmd, "tenant") && !strcmp(sub, "create") && argc == 3)
        return cli_tenant_create(db, argv[2]);
    if (!strcmp(cmd, "tenant") && !strcmp(sub, "list") && argc == 2)
        return cli_tenant_list(db);
    if (!strcmp(cmd, "key") && !strcmp(sub, "create") && argc == 3)
        return cli_key_create(db, argv[2]);
    if (!strcmp(cmd, "key") && !strcmp(sub, "revoke") && argc == 3)
        return cli_key_revoke(cfg, db, argv[2]);
    if (!strcmp(cmd, "order") && !strcmp(sub, "list") && argc <= 3)
        return cli_order_list(db, argc == 3 ? argv[2] : NULL);
    return cli_usage();
}

int main(int argc, char **argv)
{
    static const struct option opts[] = { { "config", required_argument, NULL, 'c' },
                                          { "help", no_argument, NULL, 'h' },
                                          { NULL, 0, NULL, 0 } };
    const char *cfgpath = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        if (c == 'c')
            cfgpath = optarg;
        else
            return cli_usage();
    }
    argc -= optind;
    argv += optind;
    if (argc < 1)
        return cli_usage();
    log_init("certmill", LOG_LVL_WARN);
    char err[512];
    struct config *cfg = config_load(cfgpath, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "certmill: %s\n", err);
        return CLI_USAGE;
    }
    db_set_transaction_pooling(cfg->db_pooled);
    if (!strcmp(argv[0], "doctor") && argc == 1) { /* it opens the database itself, to say why it cannot */
        int dret = doctor_run(cfg);
        config_free(cfg);
        return dret;
    }
    if (!strcmp(argv[0], "dns")) { /* DNS diagnostics need no database */
        int dret = dns_cmd_run(cfg, argc, argv);
        config_free(cfg);
        return dret;
    }
    struct db *db = db_open(cfg->db_conninfo, err, sizeof err);
    if (!db) {
        fprintf(stderr, "certmill: %s\n", err);
        config_free(cfg);
        return CLI_FAIL;
    }
    /* Every changing command leaves an audit row (engine/cli/audit_cmd.c). */
    struct audit_cmd audit;
    audit_cmd_before(&audit, db, argc, argv);
    int ret = audit_cmd_run(db, argc, argv);
    if (ret < 0 && !strcmp(argv[0], "account"))
        ret = account_cmd_run(cfg, db, argc, argv);
    else if (ret < 0 && !strcmp(argv[0], "keys"))
        ret = keys_cmd_run(cfg, db, argc, argv);
    else if (ret < 0 && !strcmp(argv[0], "tenant"))
        ret = tenant_cmd_run(cfg, db, argc, argv);
    if (ret < 0)
        ret = cli_dispatch(cfg, db, argc, argv);
    audit_cmd_after(&audit, db, argc, argv, ret);
    db_close(db);
    config_free(cfg);
    return ret;
}
