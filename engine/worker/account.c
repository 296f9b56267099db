/* account — the tenant's ACME account at the order's CA: made once, kept sealed, reused. */
#include "step.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/key.h"
#include "crypto/seal.h"

#include <stdlib.h>
#include <string.h>

/* Generates an account key and stores it sealed, unless another worker stored one first. */
static enum step_rc step_account_create_key(struct step *s, const char *aad)
{
    EVP_PKEY *key = key_generate(KEY_EC_P256);
    size_t pemlen = 0;
    char *pem = key ? key_to_pem(key, &pemlen) : NULL;
    EVP_PKEY_free(key);
    unsigned char *sealed = NULL;
    size_t slen = 0;
    bool ok = pem && seal_encrypt(&s->w->keys, pem, pemlen, aad, &sealed, &slen);
    if (pem)
        xfree_secret(pem, pemlen);
    if (!ok) {
        s->problem = step_problem("internal", "cannot make an account key", true, NULL);
        return STEP_RC_RETRY;
    }
    enum db_rc rc = db_account_insert(s->w->db, s->tenant_id, s->ca->conf->name, sealed, slen);
    free(sealed);
    if (rc != DB_OK) {
        s->problem = step_problem("database_unavailable", "cannot store the account key", true, NULL);
        return STEP_RC_RETRY;
    }
    return STEP_RC_OK;
}

/* A tenant's own EAB credential, unsealed for one newAccount. */
struct step_eab {
    char *kid;
    char *alg;
    unsigned char *key;
    size_t keylen;
};

/* Wipes and frees an unsealed credential. */
static void step_eab_clear(struct step_eab *e)
{
    if (e->key)
        xfree_secret(e->key, e->keylen);
    free(e->kid);
    free(e->alg);
    memset(e, 0, sizeof *e);
}

/* Loads the tenant's own EAB credential for the order's CA, when it brought one. */
static enum step_rc step_account_tenant_eab(struct step *s, struct step_eab *e)
{
    unsigned char *sealed = NULL;
    size_t len = 0;
    enum db_rc rc = db_tenant_eab_get(s->w->db, s->tenant_id, s->ca->conf->name, &e->kid, &e->alg, &sealed, &len);
    if (rc == DB_NOTFOUND)
        return STEP_RC_OK;
    if (rc != DB_OK) {
        s->problem = step_problem("database_unavailable", "cannot read the tenant's EAB credential", true, NULL);
        return STEP_RC_RETRY;
    }
    char *aad = seal_aad(SEAL_PURPOSE_TENANT_EAB, s->tenant_id, s->ca->conf->name);
    char *legacy = xasprintf("tenant-eab:%s:%s", s->tenant_id, s->ca->conf->name);
    bool ok = seal_decrypt_legacy(&s->w->keys, sealed, len, aad, legacy, &e->key, &e->keylen) && e->keylen > 0;
    free(aad);
    free(legacy);
    free(sealed);
    if (!ok) {
        log_error("tenant %s: its EAB credential for %s cannot be decrypted: is the master key right?", s->tenant_id,
                  s->ca->conf->name);
        step_eab_clear(e);
        s->problem = step_problem("internal", "the tenant's EAB credential cannot be decrypted", true, NULL);
        return STEP_RC_RETRY;
    }
    return STEP_RC_OK;
}

/* Loads (making when needed) the account key and registers it with the CA when not yet done. */
enum step_rc step_account(struct step *s)
{
    char *aad = seal_aad(SEAL_PURPOSE_ACCOUNT_KEY, s->tenant_id, s->ca->conf->name);
    char *legacy = xasprintf("account-key:%s:%s", s->tenant_id, s->ca->conf->name);
    long long id = 0;
    unsigned char *sealed = NULL;
    size_t slen = 0;
    char *url = NULL;
    enum step_rc ret = STEP_RC_OK;
    enum db_rc rc = DB_OK;
    const char *order_ca = s->order ? step_order_str(s, "ca") : NULL;
    if (s->blobs.account_sealed && order_ca && strcmp(order_ca, s->ca->conf->name) == 0) {
        /* Read with the order (db_work_order_load): taken over, not read again. */
        id = s->blobs.account_id;
        sealed = s->blobs.account_sealed;
        slen = s->blobs.account_len;
        url = s->blobs.account_url;
        s->blobs.account_sealed = NULL;
        s->blobs.account_url = NULL;
    } else {
        rc = db_account_get(s->w->db, s->tenant_id, s->ca->conf->name, &id, &sealed, &slen, &url);
    }
    if (rc == DB_NOTFOUND) {
        ret = step_account_create_key(s, aad);
        if (ret == STEP_RC_OK)
            rc = db_account_get(s->w->db, s->tenant_id, s->ca->conf->name, &id, &sealed, &slen, &url);
    }
    if (ret == STEP_RC_OK && rc != DB_OK) {
        s->problem = step_problem("database_unavailable", "cannot read the ACME account", true, NULL);
        ret = STEP_RC_RETRY;
    }
    unsigned char *pem = NULL;
    size_t pemlen = 0;
    if (ret == STEP_RC_OK) {
        s->account_key = keycache_get(&s->w->decoded_keys, aad, sealed, slen);
        if (!s->account_key && seal_decrypt_legacy(&s->w->keys, sealed, slen, aad, legacy, &pem, &pemlen)) {
            s->account_key = key_from_pem((const char *)pem, pemlen);
            keycache_put(&s->w->decoded_keys, aad, sealed, slen, s->account_key);
        }
        if (pem)
            xfree_secret(pem, pemlen);
        if (!s->account_key) {
            /* Wrong master key or a damaged row: retrying will not help, but failing orders would hide it. */
            log_error("account key of tenant %s at %s cannot be decrypted: is the master key right?", s->tenant_id,
                      s->ca->conf->name);
            s->problem = step_problem("internal", "the ACME account key cannot be decrypted", true, NULL);
            ret = STEP_RC_RETRY;
        }
    }
    struct step_eab teab = { 0 };
    if (ret == STEP_RC_OK && !url)
        ret = step_account_tenant_eab(s, &teab);
    if (ret == STEP_RC_OK && !url) {
        enum acme_rc arc = acme_directory_load(s->ca->client, &s->res);
        if (arc == ACME_OK) {
            int slot = db_ca_gate_enter(worker_gate_db(s->w), s->ca->conf->name, s->ca->conf->max_inflight, false);
            const struct config_ca *cc = s->ca->conf;
            /* The tenant's own credential for this CA wins over the server's. */
            struct acme_eab eab = { cc->eab_kid, cc->eab_hmac_key, cc->eab_hmac_keylen, cc->eab_alg };
            if (teab.kid)
                eab = (struct acme_eab){ teab.kid, teab.key, teab.keylen, teab.alg };
            s->eab_from = teab.kid ? "tenant" : eab.kid ? "server" : NULL;
            arc = acme_account_new_eab(s->ca->client, s->account_key, cc->contact, eab.kid ? &eab : NULL, &url,
                                       &s->res);
            db_ca_gate_leave(s->w->gate_db, slot);
        }
        if (arc != ACME_OK) {
            ret = step_acme_failure(s, arc, "newAccount");
        } else if (db_account_set_url(s->w->db, id, url) != DB_OK) {
            s->problem = step_problem("database_unavailable", "cannot store the account URL", true, NULL);
            ret = STEP_RC_RETRY;
        } else {
            log_info("tenant %s: ACME account at %s is %s", s->tenant_id, s->ca->conf->name, url);
        }
    }
    if (ret == STEP_RC_OK) {
        s->kid = url;
        url = NULL;
    }
    step_eab_clear(&teab);
    free(url);
    free(sealed);
    free(aad);
    free(legacy);
    return ret;
}
