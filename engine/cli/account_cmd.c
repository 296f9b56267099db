/* account_cmd — `certmill account rollover TENANT [CA]`: account key rollover (RFC 8555 §7.3.5). */
#include "account_cmd.h"

#include "acme/acme.h"
#include "base/xalloc.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "db_admin.h"
#include "db_work.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ACCOUNT_CMD_OK = 0, ACCOUNT_CMD_FAIL = 1, ACCOUNT_CMD_USAGE = 2 };

/* What one rollover works with; everything is freed by account_rollover's one exit. */
struct account_roll {
    const struct config *cfg;
    const struct config_ca *ca;
    struct db *db;
    struct seal_keyring keys;
    char *tenant_id;
    char *aad, *legacy_aad;
    unsigned char *old_sealed, *new_sealed;
    size_t old_len, new_len;
    char *url;
    EVP_PKEY *old_key, *new_key;
    struct acme_client *client;
    struct acme_result res;
};

/* Prints usage to stderr. */
static int account_cmd_usage(void)
{
    fputs("usage: certmill account rollover TENANT [CA]\n"
          "  replace the tenant's ACME account key at CA (default: the configured default CA) with a new\n"
          "  one through the CA's keyChange (RFC 8555 §7.3.5); the account URL stays the same\n"
          "       certmill account deactivate TENANT CA\n"
          "  deactivate the tenant's account at CA (RFC 8555 §7.3.6); the CA refuses it from then on\n",
          stderr);
    return ACCOUNT_CMD_USAGE;
}

/* Reports a failure on stderr; returns ACCOUNT_CMD_FAIL. */
static int account_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int account_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("certmill: account rollover: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return ACCOUNT_CMD_FAIL;
}

/* Reads the tenant's account row and unseals its key. */
static int account_load(struct account_roll *r, const char *tenant)
{
    json_t *t = NULL;
    if (db_tenant_find(r->db, tenant, &t) != DB_OK)
        return account_fail("no tenant %s", tenant);
    r->tenant_id = xstrdup(json_string_value(json_object_get(t, "id")));
    json_decref(t);
    r->aad = seal_aad(SEAL_PURPOSE_ACCOUNT_KEY, r->tenant_id, r->ca->name);
    r->legacy_aad = xasprintf("account-key:%s:%s", r->tenant_id, r->ca->name);
    if (db_admin_account_get(r->db, r->tenant_id, r->ca->name, &r->old_sealed, &r->old_len, &r->url) != DB_OK)
        return account_fail("the tenant has no account at %s (it is made with the first order)", r->ca->name);
    if (!r->url)
        return account_fail("the account at %s is not registered with the CA yet", r->ca->name);
    unsigned char *pem = NULL;
    size_t pemlen = 0;
    if (seal_decrypt_legacy(&r->keys, r->old_sealed, r->old_len, r->aad, r->legacy_aad, &pem, &pemlen))
        r->old_key = key_from_pem((const char *)pem, pemlen);
    if (pem)
        xfree_secret(pem, pemlen);
    if (!r->old_key)
        return account_fail("the account key cannot be decrypted: is [keys] master_key_file right?");
    return ACCOUNT_CMD_OK;
}

/* Makes the new ES256 key and seals it under the same associated data as the old one. */
static int account_new_key(struct account_roll *r)
{
    r->new_key = key_generate(KEY_EC_P256);
    size_t pemlen = 0;
    char *pem = r->new_key ? key_to_pem(r->new_key, &pemlen) : NULL;
    bool ok = pem && seal_encrypt(&r->keys, pem, pemlen, r->aad, &r->new_sealed, &r->new_len);
    if (pem)
        xfree_secret(pem, pemlen);
    return ok ? ACCOUNT_CMD_OK : account_fail("cannot make a new account key");
}

/* Sends the key change; the CA gate keeps it clear of an exclusive newOrder, as the workers' requests are. */
static int account_key_change(struct account_roll *r, EVP_PKEY *from, EVP_PKEY *to)
{
    int slot = db_ca_gate_enter(r->db, r->ca->name, r->ca->max_inflight, false);
    enum acme_rc arc = acme_key_change(r->client, from, r->url, to, &r->res);
    db_ca_gate_leave(r->db, slot);
    if (arc == ACME_OK)
        return ACCOUNT_CMD_OK;
    fprintf(stderr, "certmill: account rollover: the CA refused the key change: %s%s%s\n", r->res.error,
            r->res.problem.detail ? " — " : "", r->res.problem.detail ? r->res.problem.detail : "");
    return ACCOUNT_CMD_FAIL;
}

/* The rollover itself: load, new key, key change at the CA, store; prints the JSON result. */
static int account_rollover(const struct config *cfg, struct db *db, const char *tenant, const char *ca_name)
{
    struct account_roll r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.db = db;
    acme_result_init(&r.res);
    int ret = ACCOUNT_CMD_OK;
    char err[256];
    r.ca = config_ca_find(cfg, ca_name ? ca_name : cfg->default_ca);
    if (!r.ca) {
        ret = account_fail("no CA %s in the configuration", ca_name ? ca_name : cfg->default_ca);
        goto done;
    }
    if (!seal_keyring_load(&r.keys, cfg->master_key_file, cfg->previous_master_key_files, err, sizeof err)) {
        ret = account_fail("%s", err);
        goto done;
    }
    if ((ret = account_load(&r, tenant)) != ACCOUNT_CMD_OK || (ret = account_new_key(&r)) != ACCOUNT_CMD_OK)
        goto done;
    struct acme_opts o = { .directory_url = r.ca->directory, .trust_file = r.ca->trust, .timeout_ms = r.ca->timeout_ms };
    if (!(r.client = acme_client_new(&o))) {
        ret = account_fail("cannot set up the ACME client for %s", r.ca->name);
        goto done;
    }
    if ((ret = account_key_change(&r, r.old_key, r.new_key)) != ACCOUNT_CMD_OK)
        goto done;
    if (db_admin_account_set_key(db, r.tenant_id, r.ca->name, r.old_sealed, r.old_len, r.new_sealed, r.new_len) !=
        DB_OK) {
        /* The CA knows only the new key now: without it stored the account is lost, so change it back. */
        fprintf(stderr, "certmill: account rollover: cannot store the new key; changing the CA back to the old one\n");
        if (account_key_change(&r, r.new_key, r.old_key) != ACCOUNT_CMD_OK)
            fprintf(stderr, "certmill: account rollover: the CA kept the new key, which is lost: the account is "
                            "unusable and a new one will be registered with the next order\n");
        ret = ACCOUNT_CMD_FAIL;
        goto done;
    }
    json_t *out = json_pack("{s:s, s:s, s:s, s:b}", "tenant_id", r.tenant_id, "ca", r.ca->name, "account_url", r.url,
                            "rolled_over", 1);
    char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
    if (text)
        puts(text);
    free(text);
    json_decref(out);
done:
    acme_result_clear(&r.res);
    acme_client_free(r.client);
    EVP_PKEY_free(r.old_key);
    EVP_PKEY_free(r.new_key);
    free(r.old_sealed);
    free(r.new_sealed);
    free(r.url);
    free(r.aad);
    free(r.legacy_aad);
    free(r.tenant_id);
    seal_keyring_clear(&r.keys);
    return ret;
}

/* Frees what a deactivation loaded. */
static void account_roll_free(struct account_roll *r)
{
    acme_result_clear(&r->res);
    acme_client_free(r->client);
    EVP_PKEY_free(r->old_key);
    free(r->old_sealed);
    free(r->url);
    free(r->aad);
    free(r->legacy_aad);
    free(r->tenant_id);
    seal_keyring_clear(&r->keys);
}

/* Deactivates the tenant's account at one CA (RFC 8555 §7.3.6); 0 done or nothing to do, 1 failed. */
int account_cmd_deactivate(const struct config *cfg, struct db *db, const char *tenant, const char *ca_name)
{
    struct account_roll r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.db = db;
    acme_result_init(&r.res);
    int ret = ACCOUNT_CMD_OK;
    char err[256];
    r.ca = config_ca_find(cfg, ca_name);
    if (!r.ca) {
        ret = account_fail("no CA %s in the configuration", ca_name);
        goto done;
    }
    if (!seal_keyring_load(&r.keys, cfg->master_key_file, cfg->previous_master_key_files, err, sizeof err)) {
        ret = account_fail("%s", err);
        goto done;
    }
    if ((ret = account_load(&r, tenant)) != ACCOUNT_CMD_OK)
        goto done;
    struct acme_opts o = { .directory_url = r.ca->directory, .trust_file = r.ca->trust, .timeout_ms = r.ca->timeout_ms };
    if (!(r.client = acme_client_new(&o))) {
        ret = account_fail("cannot set up the ACME client for %s", r.ca->name);
        goto done;
    }
    int slot = db_ca_gate_enter(db, r.ca->name, r.ca->max_inflight, false);
    enum acme_rc arc = acme_account_deactivate(r.client, r.old_key, r.url, &r.res);
    db_ca_gate_leave(db, slot);
    if (arc != ACME_OK) {
        fprintf(stderr, "certmill: account deactivate: %s refused: %s%s%s\n", r.ca->name, r.res.error,
                r.res.problem.detail ? " — " : "", r.res.problem.detail ? r.res.problem.detail : "");
        ret = ACCOUNT_CMD_FAIL;
        goto done;
    }
    json_t *out = json_pack("{s:s, s:s, s:s, s:b}", "tenant_id", r.tenant_id, "ca", r.ca->name, "account_url", r.url,
                            "deactivated", 1);
    char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
    if (text)
        puts(text);
    free(text);
    json_decref(out);
done:
    account_roll_free(&r);
    return ret;
}

/* Runs `account rollover TENANT [CA]` or `account deactivate TENANT CA`. */
int account_cmd_run(const struct config *cfg, struct db *db, int argc, char **argv)
{
    if (argc >= 3 && argc <= 4 && strcmp(argv[1], "rollover") == 0)
        return account_rollover(cfg, db, argv[2], argc == 4 ? argv[3] : NULL);
    if (argc == 4 && strcmp(argv[1], "deactivate") == 0)
        return account_cmd_deactivate(cfg, db, argv[2], argv[3]);
    return account_cmd_usage();
}
