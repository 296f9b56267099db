/* step_dns — DNS-01: publish through the order's provider, wait until every server has it, remove. */
#include "step.h"
#include "wdns.h"
#include "webroot.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/seal.h"
#include "db_provider.h"
#include "providers/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEP_DNS_TTL 60            /* TTL of the records certmill publishes */
#define STEP_DNS_POLL_MS 1000      /* between propagation checks */
#define STEP_DNS_MANUAL_POLL_MS 15000 /* between looks for a record the panel publishes */

/* The order's DNS provider, loaded once per step. */
struct step_dns {
    bool ready;        /* loaded successfully */
    bool manual;       /* no provider, or one of type manual: the panel publishes */
    json_t *row;       /* {id, type, config} */
    json_t *secret;    /* decrypted secret settings, or NULL */
    struct provider p;
};

/* Field helpers for an authorization row. */
static const char *dns_str(json_t *a, const char *k)
{
    return json_string_value(json_object_get(a, k));
}

/* Loads the provider named by the order (decrypting its secret); manual when the order names none. */
static enum step_rc step_dns_load(struct step *s)
{
    if (s->dns)
        return s->dns->ready ? STEP_RC_OK : STEP_RC_RETRY;
    s->dns = xcalloc(1, sizeof *s->dns);
    const char *id = step_order_str(s, "dns_provider_id");
    if (!id) {
        s->dns->manual = s->dns->ready = true;
        return STEP_RC_OK;
    }
    unsigned char *sealed = NULL;
    size_t slen = 0;
    enum db_rc rc = db_dns_provider_load(s->w->db, s->tenant_id, id, &s->dns->row, &sealed, &slen);
    if (rc != DB_OK) {
        free(sealed);
        s->problem = rc == DB_NOTFOUND
                         ? step_problem("dns_provider_missing", "the order's DNS provider no longer exists", false, NULL)
                         : step_problem("database_unavailable", "cannot read the DNS provider", true, NULL);
        return rc == DB_NOTFOUND ? STEP_RC_FAIL : STEP_RC_RETRY;
    }
    int type = provider_type_parse(dns_str(s->dns->row, "type"));
    if (sealed) {
        /* The provider is the tenant's (db_dns_provider_load looked it up under s->tenant_id). */
        char *aad = seal_aad(SEAL_PURPOSE_DNS_PROVIDER, s->tenant_id, id);
        char *legacy = xasprintf("dns-provider:%s", id);
        unsigned char *pt = NULL;
        size_t ptlen = 0;
        if (seal_decrypt_legacy(&s->w->keys, sealed, slen, aad, legacy, &pt, &ptlen))
            s->dns->secret = json_loadb((const char *)pt, ptlen, 0, NULL);
        if (pt)
            xfree_secret(pt, ptlen);
        free(aad);
        free(legacy);
        free(sealed);
        if (!s->dns->secret) {
            s->problem = step_problem("internal", "the DNS provider's secret cannot be decrypted", true, NULL);
            return STEP_RC_RETRY;
        }
    }
    s->dns->manual = type == PROVIDER_MANUAL || type < 0;
    s->dns->p = (struct provider){
        .type = type < 0 ? PROVIDER_MANUAL : (enum provider_type)type,
        .config = json_object_get(s->dns->row, "config"),
        .secret = s->dns->secret,
        .cfg = s->w->cfg,
    };
    if (s->dns->p.type == PROVIDER_EXEC) {
        s->dns->p.output = xmalloc(sizeof *s->dns->p.output);
        buf_init(s->dns->p.output, 0);
    }
    s->dns->ready = true;
    return STEP_RC_OK;
}

/* Frees the loaded provider (the secret is wiped by jansson's free of its strings only: keep it short-lived). */
void step_dns_free(struct step *s)
{
    if (!s->dns)
        return;
    json_decref(s->dns->row);
    json_decref(s->dns->secret);
    if (s->dns->p.output) {
        buf_free(s->dns->p.output);
        free(s->dns->p.output);
    }
    free(s->dns);
    s->dns = NULL;
}

/* Moves an exec hook's output into the order's log, one line per line (bounded by the provider). */
static void step_dns_log_output(struct step *s, const char *action)
{
    struct buf *out = s->dns->p.output;
    if (!out || !out->data || !out->len) {
        if (out)
            buf_reset(out);
        return;
    }
    char *save = NULL;
    for (char *line = strtok_r(out->data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char safe[500];
        step_log(s, "exec %s: %s", action, log_safe(safe, sizeof safe, line));
    }
    buf_reset(out);
}

/* Finds and stores where an authorization's record lives (CNAME target and zone). */
static bool step_dns_locate(struct step *s, json_t *a, char *err, size_t errlen)
{
    if (dns_str(a, "record_target") && dns_str(a, "record_zone"))
        return true;
    const char *hint = s->dns->row ? json_string_value(json_object_get(json_object_get(s->dns->row, "config"), "zone"))
                                   : NULL;
    char *target = NULL, *zone = NULL;
    if (!wdns_locate(s->w, dns_str(a, "record_name"), hint, &target, &zone, err, errlen))
        return false;
    db_work_authz_target(s->w->db, json_integer_value(json_object_get(a, "id")), target, zone);
    json_object_set_new(a, "record_target", json_string(target));
    json_object_set_new(a, "record_zone", json_string(zone));
    free(target);
    free(zone);
    return true;
}

/* True for authorizations that still need their DNS-01 record. */
static bool step_dns_wanted(json_t *a)
{
    return dns_str(a, "record_name") && strcmp(dns_str(a, "status"), "pending") == 0;
}

/* Publishes each pending record through the provider; a manual order waits for the panel instead. */
enum step_rc step_publish(struct step *s)
{
    enum step_rc ret = step_dns_load(s);
    if (ret != STEP_RC_OK)
        return ret;
    if (s->dns->manual) {
        json_t *p = step_problem("dns_record_required",
                                 "publish each authorization's record, then POST /v1/orders/{id}/continue", true,
                                 NULL);
        if ((ret = step_tx_begin(s)) == STEP_RC_OK)
            ret = step_tx_finish_as(s, STEP_PROPAGATE, ORDER_ACTION_REQUIRED, p, STEP_DNS_MANUAL_POLL_MS, 0);
        json_decref(p);
        return ret;
    }
    size_t i;
    json_t *a;
    json_array_foreach(s->authzs, i, a)
    {
        if (!step_dns_wanted(a) || json_is_true(json_object_get(a, "published")))
            continue;
        char err[512] = "";
        if (!step_dns_locate(s, a, err, sizeof err)) {
            s->problem = step_problem("dns_zone_not_found", err, true, NULL);
            return STEP_RC_RETRY;
        }
        struct provider_record r = { dns_str(a, "record_target"), dns_str(a, "record_zone"),
                                     dns_str(a, "record_value"), STEP_DNS_TTL };
        bool ok = provider_present(&s->dns->p, &r, err, sizeof err);
        step_dns_log_output(s, "present");
        if (!ok) {
            char detail[700];
            snprintf(detail, sizeof detail, "publishing %s: %s", r.name, err);
            step_log(s, "%s", detail);
            s->problem = step_problem("dns_publish_failed", detail, true, NULL);
            return STEP_RC_RETRY;
        }
        /* A fact at the DNS now, whatever happens to this step: cleanup must know. */
        db_work_authz_dns_mark(s->w->db, json_integer_value(json_object_get(a, "id")), DB_DNS_PUBLISHED);
        log_info("order %s: published TXT %s", s->order_id, r.name);
        step_log(s, "published TXT %s (zone %s) through the %s provider", r.name, r.zone ? r.zone : "?",
                 provider_type_name(s->dns->p.type));
    }
    if ((ret = step_tx_begin(s)) == STEP_RC_OK)
        ret = step_tx_finish(s, STEP_PROPAGATE, 0, 0);
    return ret;
}

/* Waits until every authoritative server serves every record; bounded for providers, open-ended for the panel. */
enum step_rc step_propagate(struct step *s)
{
    enum step_rc ret = step_dns_load(s);
    if (ret != STEP_RC_OK)
        return ret;
    char report[700] = "";
    bool all = true;
    size_t i;
    json_t *a;
    json_array_foreach(s->authzs, i, a)
    {
        if (!step_dns_wanted(a) || json_is_true(json_object_get(a, "propagated")))
            continue;
        char err[512] = "";
        bool seen = step_dns_locate(s, a, err, sizeof err) &&
                    wdns_propagated(s->w, dns_str(a, "record_zone"), dns_str(a, "record_target"),
                                    dns_str(a, "record_value"), err, sizeof err);
        if (seen) {
            db_work_authz_dns_mark(s->w->db, json_integer_value(json_object_get(a, "id")), DB_DNS_PROPAGATED);
        } else if (all) {
            all = false;
            snprintf(report, sizeof report, "%s: %s", dns_str(a, "record_name"), err);
        }
    }
    if ((ret = step_tx_begin(s)) != STEP_RC_OK)
        return ret;
    if (all)
        return step_tx_finish(s, STEP_VALIDATE, 0, 0);
    long age_s = (long)json_integer_value(json_object_get(s->order, "step_age_s"));
    if (s->dns->manual) {
        /* The panel's record is not there yet: keep asking, and say what the servers answer. */
        json_t *p = step_problem("dns_record_missing", report, true, NULL);
        ret = step_tx_finish_as(s, STEP_PROPAGATE, ORDER_ACTION_REQUIRED, p, STEP_DNS_MANUAL_POLL_MS, 0);
        json_decref(p);
        return ret;
    }
    if (age_s > s->w->cfg->dns_propagation_timeout_s) {
        db_rollback(s->w->db);
        char detail[800];
        snprintf(detail, sizeof detail, "the record did not reach every authoritative server within %d s: %s",
                 s->w->cfg->dns_propagation_timeout_s, report);
        s->problem = step_problem("dns_propagation_timeout", detail, false, NULL);
        return STEP_RC_FAIL;
    }
    return step_tx_finish(s, STEP_PROPAGATE, STEP_DNS_POLL_MS, s->job.polls + 1);
}

/* Removes the webroot token files of the order's HTTP-01 authorizations. */
static void step_webroot_cleanup(struct step *s)
{
    const char *root = s->w->cfg->http01_webroot;
    size_t i;
    json_t *a;
    json_array_foreach(s->authzs, i, a)
    {
        const char *type = dns_str(a, "challenge_type"), *token = dns_str(a, "token");
        char err[300] = "";
        if (!type || strcmp(type, "http-01") != 0 || !token)
            continue;
        if (webroot_remove(root, token, err, sizeof err))
            log_debug("order %s: removed webroot file for %s", s->order_id, dns_str(a, "domain"));
        else
            log_warn("order %s: %s", s->order_id, err);
    }
}

/* Removes what this order published for its challenges (DNS records, webroot files); best effort, logged. */
void step_challenge_cleanup(struct step *s)
{
    if (!s->authzs)
        return;
    if (s->w->cfg->http01_webroot)
        step_webroot_cleanup(s);
    if (step_dns_load(s) != STEP_RC_OK || s->dns->manual)
        return;
    size_t i;
    json_t *a;
    json_array_foreach(s->authzs, i, a)
    {
        if (!json_is_true(json_object_get(a, "published")) || json_is_true(json_object_get(a, "cleaned")))
            continue;
        struct provider_record r = { dns_str(a, "record_target"), dns_str(a, "record_zone"),
                                     dns_str(a, "record_value"), STEP_DNS_TTL };
        char err[512] = "";
        bool ok = r.name && provider_cleanup(&s->dns->p, &r, err, sizeof err);
        step_dns_log_output(s, "cleanup");
        if (ok) {
            db_work_authz_dns_mark(s->w->db, json_integer_value(json_object_get(a, "id")), DB_DNS_CLEANED);
            json_object_set_new(a, "cleaned", json_true());
            log_info("order %s: removed TXT %s", s->order_id, r.name);
            step_log(s, "removed TXT %s", r.name);
        } else {
            step_log(s, "cannot remove TXT %s: %s", r.name ? r.name : "?", err);
            char safe[300];
            log_warn("order %s: cannot remove TXT %s: %s", s->order_id, r.name ? r.name : "?",
                     log_safe(safe, sizeof safe, err));
        }
    }
}
