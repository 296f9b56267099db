/* step_issue — the certificate: key and CSR (ours, or the customer's as sent), finalize, download, store. */
#include "step.h"
#include "budget.h"
#include "renew.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "db_ca.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The AAD binding a sealed certificate key to its tenant and order (the API decrypts with the same). */
static char *step_key_aad(const struct step *s)
{
    return seal_aad(SEAL_PURPOSE_ORDER_KEY, s->tenant_id, s->order_id);
}

/* Loads the order's certificate key, making and storing it first when there is none yet. */
static enum step_rc step_cert_key(struct step *s, EVP_PKEY **key)
{
    char *aad = step_key_aad(s);
    enum step_rc ret = STEP_RC_OK;
    *key = NULL;
    if (s->blobs.key_sealed) {
        unsigned char *pem = NULL;
        size_t pemlen = 0;
        /* Keys sealed before the AAD named the tenant: "order-key:<order id>". */
        char *legacy = xasprintf("order-key:%s", s->order_id);
        /* Made or read by this worker at finalize: download checks the certificate against it. */
        *key = keycache_get(&s->w->decoded_keys, aad, s->blobs.key_sealed, s->blobs.key_len);
        if (!*key &&
            seal_decrypt_legacy(&s->w->keys, s->blobs.key_sealed, s->blobs.key_len, aad, legacy, &pem, &pemlen)) {
            *key = key_from_pem((const char *)pem, pemlen);
            keycache_put(&s->w->decoded_keys, aad, s->blobs.key_sealed, s->blobs.key_len, *key);
        }
        free(legacy);
        if (pem)
            xfree_secret(pem, pemlen);
        if (!*key) {
            s->problem = step_problem("internal", "the certificate key cannot be decrypted", true, NULL);
            ret = STEP_RC_RETRY;
        }
        free(aad);
        return ret;
    }
    int type = key_type_parse(step_order_str(s, "key_type"));
    *key = type >= 0 ? key_generate((enum key_type)type) : NULL;
    size_t pemlen = 0;
    char *pem = *key ? key_to_pem(*key, &pemlen) : NULL;
    unsigned char *sealed = NULL;
    size_t slen = 0;
    bool ok = pem && seal_encrypt(&s->w->keys, pem, pemlen, aad, &sealed, &slen);
    if (pem)
        xfree_secret(pem, pemlen);
    if (ok)
        keycache_put(&s->w->decoded_keys, aad, sealed, slen, *key);
    free(aad);
    if (!ok) {
        s->problem = step_problem("internal", "cannot make the certificate key", true, NULL);
        EVP_PKEY_free(*key);
        *key = NULL;
        return STEP_RC_RETRY;
    }
    /* Committed before finalize: a finalize repeated after a crash must use this same key. */
    if ((ret = step_tx_begin(s)) == STEP_RC_OK) {
        enum db_rc rc = db_work_order_key(s->w->db, s->order_id, sealed, slen);
        if (rc == DB_OK)
            rc = step_tx_commit(s);
        if (rc != DB_OK)
            ret = step_tx_abort(s, rc);
    }
    if (ret == STEP_RC_OK) {
        s->blobs.key_sealed = sealed;
        s->blobs.key_len = slen;
    } else {
        free(sealed);
        EVP_PKEY_free(*key);
        *key = NULL;
    }
    return ret;
}

/* Fails the order with the CA's reason for an invalid order. */
static enum step_rc step_order_invalid(struct step *s, const struct acme_order *ao)
{
    char detail[600];
    snprintf(detail, sizeof detail, "the CA marked the order invalid%s%s", ao->error.detail ? ": " : "",
             ao->error.detail ? ao->error.detail : "");
    s->problem = step_problem("ca_rejected", detail, false, &ao->error);
    return STEP_RC_FAIL;
}

/* The DER CSR to finalize with: the customer's as it came, or one made with our key for the order's names. */
static bool step_csr(struct step *s, EVP_PKEY *key, unsigned char **der, size_t *derlen)
{
    if (s->blobs.csr_der) {
        *der = xmalloc(s->blobs.csr_len);
        memcpy(*der, s->blobs.csr_der, s->blobs.csr_len);
        *derlen = s->blobs.csr_len;
        return true;
    }
    json_t *domains = json_object_get(s->order, "domains");
    size_t n = json_array_size(domains);
    const char **names = xcalloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = json_string_value(json_array_get(domains, i));
    bool ok = csr_make(key, names, n, der, derlen);
    free(names);
    return ok;
}

/* Sends the CSR once the CA's order is ready; an order already processing or valid goes on to download. */
enum step_rc step_finalize(struct step *s)
{
    EVP_PKEY *key = NULL;
    /* With the customer's CSR there is no key of ours to make. */
    enum step_rc ret = s->blobs.csr_der ? STEP_RC_OK : step_cert_key(s, &key);
    if (ret != STEP_RC_OK)
        return ret;
    struct acme_order ao = { 0 };
    int slot = db_ca_gate_enter(worker_gate_db(s->w), s->ca->conf->name, s->ca->conf->max_inflight, false);
    enum acme_rc arc = acme_order_get(s->ca->client, s->account_key, s->kid, step_order_str(s, "acme_order_url"),
                                      &ao, &s->res);
    if (arc == ACME_OK && strcmp(ao.status, "ready") == 0) {
        unsigned char *der = NULL;
        size_t derlen = 0;
        if (!step_csr(s, key, &der, &derlen)) {
            s->problem = step_problem("internal", "cannot make the CSR", true, NULL);
            ret = STEP_RC_RETRY;
        } else {
            acme_order_free(&ao);
            arc = acme_order_finalize(s->ca->client, s->account_key, s->kid, step_order_str(s, "finalize_url"), der,
                                      derlen, &ao, &s->res);
        }
        free(der);
    }
    db_ca_gate_leave(s->w->gate_db, slot);
    EVP_PKEY_free(key);
    if (ret != STEP_RC_OK) {
        /* problem already set */
    } else if (arc != ACME_OK) {
        ret = step_acme_failure(s, arc, "finalize");
    } else if (strcmp(ao.status, "invalid") == 0) {
        ret = step_order_invalid(s, &ao);
    } else if (strcmp(ao.status, "pending") == 0) {
        /* The CA still wants an authorization (e.g. one expired): validate again. */
        if ((ret = step_tx_begin(s)) == STEP_RC_OK)
            ret = step_tx_finish(s, STEP_VALIDATE, state_poll_ms(0, -1), 0);
    } else if ((ret = step_tx_begin(s)) == STEP_RC_OK) {
        long delay = strcmp(ao.status, "valid") == 0 ? 0 : state_poll_ms(0, s->res.retry_after);
        ret = step_tx_finish(s, STEP_DOWNLOAD, delay, 0);
    }
    acme_order_free(&ao);
    return ret;
}

/* The public key the leaf must carry: the customer's CSR's, or our key (made on first use). */
static enum step_rc step_cert_expected_key(struct step *s, EVP_PKEY **key)
{
    if (!s->blobs.csr_der)
        return step_cert_key(s, key);
    *key = csr_public_key(s->blobs.csr_der, s->blobs.csr_len);
    if (*key)
        return STEP_RC_OK;
    s->problem = step_problem("internal", "the order's CSR cannot be read", true, NULL);
    return STEP_RC_RETRY;
}

/* Checks the issued chain against the order: the key is the expected one and the names are the order's. */
static bool step_cert_check(struct step *s, const struct cert_info *ci, EVP_PKEY *key)
{
    json_t *domains = json_object_get(s->order, "domains");
    if (!cert_info_matches_key(ci, key) || ci->n_names != json_array_size(domains))
        return false;
    for (size_t i = 0; i < json_array_size(domains); i++) {
        const char *want = json_string_value(json_array_get(domains, i));
        bool found = false;
        for (size_t j = 0; j < ci->n_names && !found; j++)
            found = strcasecmp(ci->names[j], want) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* (tx) certificate.issued, with what a panel installing it wants to know at once. */
static enum db_rc step_cert_issued_event(struct step *s, const char *cert_id, const struct cert_info *ci)
{
    char nb[32], na[32];
    struct tm tm;
    time_t t = ci->not_before;
    strftime(nb, sizeof nb, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    t = ci->not_after;
    strftime(na, sizeof na, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    json_t *facts = json_pack("{s:s, s:s, s:s, s:s}", "serial", ci->serial, "not_before", nb, "not_after", na, "ca",
                              s->ca->conf->name);
    enum db_rc rc = step_event_cert(s, "certificate.issued", cert_id, facts);
    json_decref(facts);
    return rc;
}

/* Stores the certificate, links it to the order, ends the order as issued. */
static enum step_rc step_cert_store(struct step *s, const struct cert_info *ci)
{
    struct db_cert_new c = {
        .tenant_id = s->tenant_id,
        .order_id = s->order_id,
        .ca = s->ca->conf->name,
        .domains = json_object_get(s->order, "domains"),
        .serial = ci->serial,
        .not_before = (long long)ci->not_before,
        .not_after = (long long)ci->not_after,
        .cert_pem = ci->leaf_pem,
        .chain_pem = ci->chain_pem,
        .key_type = step_order_str(s, "key_type"),
        .key_sealed = s->blobs.key_sealed, /* NULL with the customer's CSR: certmill never had the key */
        .key_len = s->blobs.key_len,
        .renew_at = renew_cert_at((long long)ci->not_before, (long long)ci->not_after),
    };
    char *ari_id = acme_ari_cert_id_x509(ci->leaf); /* NULL without AKI */
    c.ari_cert_id = ari_id;
    enum step_rc ret = step_tx_begin(s);
    if (ret != STEP_RC_OK) {
        free(ari_id);
        return ret;
    }
    char *cert_id = NULL;
    enum db_rc rc = db_work_cert_store(s->w->db, &c, &cert_id);
    if (rc == DB_OK)
        rc = budget_record_issued(s); /* its reserved certificate slots count from now */
    if (rc == DB_OK)
        rc = step_cert_issued_event(s, cert_id, ci);
    /* The certificate it renews becomes superseded (certificate.renewed). */
    if (rc == DB_OK)
        rc = renew_cert_issued(s, cert_id, (long long)ci->not_before, (long long)ci->not_after);
    if (rc != DB_OK) {
        free(cert_id);
        free(ari_id);
        return step_tx_abort(s, rc);
    }
    /* In the transaction: the log line commits with the certificate (one commit, not two). */
    step_log(s, "issued certificate %s (serial %s)", cert_id, ci->serial);
    ret = step_tx_finish(s, STEP_DONE, 0, 0);
    if (ret == STEP_RC_OK) {
        log_info("order %s: issued certificate %s (serial %s)", s->order_id, cert_id, ci->serial);
        step_ari_fetch(s, cert_id, ari_id);
    }
    free(cert_id);
    free(ari_id);
    return ret;
}

/* Polls the CA's order until valid, then downloads and stores the chain. */
enum step_rc step_download(struct step *s)
{
    struct acme_order ao = { 0 };
    char *pem = NULL;
    int slot = db_ca_gate_enter(worker_gate_db(s->w), s->ca->conf->name, s->ca->conf->max_inflight, false);
    enum acme_rc arc = acme_order_get(s->ca->client, s->account_key, s->kid, step_order_str(s, "acme_order_url"),
                                      &ao, &s->res);
    long retry_after = s->res.retry_after;
    if (arc == ACME_OK && strcmp(ao.status, "valid") == 0 && ao.certificate_url)
        arc = acme_cert_download_preferred(s->ca->client, s->account_key, s->kid, ao.certificate_url,
                                           s->ca->conf->preferred_chain, &pem, &s->res);
    db_ca_gate_leave(s->w->gate_db, slot);
    enum step_rc ret;
    if (arc != ACME_OK) {
        ret = step_acme_failure(s, arc, "certificate");
    } else if (strcmp(ao.status, "invalid") == 0) {
        ret = step_order_invalid(s, &ao);
    } else if (!pem) {
        /* Still processing. */
        if ((ret = step_tx_begin(s)) == STEP_RC_OK)
            ret = step_tx_finish(s, STEP_DOWNLOAD, state_poll_ms(s->job.polls, retry_after), s->job.polls + 1);
    } else {
        struct cert_info ci = { 0 };
        EVP_PKEY *key = NULL;
        ret = step_cert_expected_key(s, &key);
        if (ret != STEP_RC_OK) {
            /* problem set */
        } else if (!cert_parse_chain(pem, strlen(pem), &ci) || !step_cert_check(s, &ci, key)) {
            s->problem = step_problem("ca_protocol_error",
                                      "the CA's certificate does not match the order's names or key", true, NULL);
            ret = STEP_RC_RETRY;
        } else {
            ret = step_cert_store(s, &ci);
        }
        EVP_PKEY_free(key);
        cert_info_free(&ci);
    }
    free(pem);
    acme_order_free(&ao);
    return ret;
}
