/*
 * webhooks — the worker's webhook sender: between order steps a worker claims one due
 * delivery (FOR UPDATE SKIP LOCKED, so any number of workers share them), signs it the
 * Standard Webhooks way with the webhook's secret (and the previous one during its
 * grace period), POSTs it, and records the attempt: 2xx succeeded; otherwise due again
 * after a backoff with jitter, and failed once three days of retries are over.
 */
#include "worker.h"
#include "base/clock.h"
#include "wmetrics.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "db_webhook.h"
#include "webhook/send.h"
#include "webhook/sign.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WORKER_WH_AAD "webhook-secret:"          /* the AAD of secrets sealed before they named their tenant */
#define WORKER_WH_MAX_DELAY_MS (6L * 3600 * 1000) /* retries are at most six hours apart */

/* The delay before retry n (1, 2, ...): base * 4^(n-1), capped, plus up to 20% jitter. */
long worker_webhook_backoff_ms(long base_ms, int attempts)
{
    long ms = base_ms;
    for (int i = 1; i < attempts && ms < WORKER_WH_MAX_DELAY_MS; i++)
        ms *= 4;
    if (ms > WORKER_WH_MAX_DELAY_MS)
        ms = WORKER_WH_MAX_DELAY_MS;
    unsigned char r = 0;
    RAND_bytes(&r, 1); /* jitter only: a failure leaves r at 0 */
    return ms + (long)((double)ms * 0.2 * (r / 255.0));
}

/* Unseals one secret of the webhook; NULL (logged) when it cannot be read. */
static char *worker_webhook_secret(struct worker *w, const char *tenant_id, const char *webhook_id,
                                   const unsigned char *blob, size_t len)
{
    unsigned char *plain = NULL;
    size_t n = 0;
    char *aad = seal_aad(SEAL_PURPOSE_WEBHOOK_SECRET, tenant_id, webhook_id);
    char *legacy = xasprintf(WORKER_WH_AAD "%s", webhook_id);
    bool ok = seal_decrypt_legacy(&w->keys, blob, len, aad, legacy, &plain, &n);
    free(aad);
    free(legacy);
    if (!ok) {
        log_error("webhook %s: cannot unseal its secret (wrong master key or damaged data)", webhook_id);
        return NULL;
    }
    return (char *)plain;
}

/* The signature header: the current secret's, then the previous one's while it still signs. */
static char *worker_webhook_signature(struct worker *w, const struct db_delivery *d, long long ts, const char *body)
{
    char *cur = worker_webhook_secret(w, d->tenant_id, d->webhook_id, d->secret, d->secret_len);
    if (!cur)
        return NULL;
    char *sig = wh_sign(cur, d->id, ts, body, strlen(body));
    xfree_secret(cur, strlen(cur));
    if (sig && d->previous) {
        char *prev = worker_webhook_secret(w, d->tenant_id, d->webhook_id, d->previous, d->previous_len);
        char *old = prev ? wh_sign(prev, d->id, ts, body, strlen(body)) : NULL;
        if (old) {
            char *both = xasprintf("%s %s", sig, old);
            free(sig);
            sig = both;
        }
        free(old);
        if (prev)
            xfree_secret(prev, strlen(prev));
    }
    return sig;
}

/* Sends a claimed delivery and records the outcome. */
static void worker_webhook_send(struct worker *w, struct db_delivery *d)
{
    const json_t *row = d->row;
    json_t *msg = json_pack("{s:O, s:O, s:O}", "type", json_object_get(row, "type"), "timestamp",
                            json_object_get(row, "created_at"), "data", json_object_get(row, "data"));
    char *body = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    long long ts = (long long)time(NULL);
    char *sig = body ? worker_webhook_signature(w, d, ts, body) : NULL;
    struct wh_send_result res = { 0 };
    bool ok = false;
    if (!sig) {
        snprintf(res.error, sizeof res.error, "cannot sign: the webhook's secret is unreadable");
    } else {
        struct wh_send_req req = {
            .url = json_string_value(json_object_get(row, "url")),
            .msg_id = d->id,
            .timestamp = ts,
            .signature = sig,
            .body = body,
            .body_len = strlen(body),
            .timeout_ms = w->cfg->webhook_timeout_ms,
            .allow = &w->cfg->webhook_allow,
        };
        ok = wh_send(&req, &res);
    }
    wmetrics_webhook(ok, res.code, res.refused);
    const char *status = ok ? "succeeded" : d->expired ? "failed" : "pending";
    long delay = ok || d->expired ? 0 : worker_webhook_backoff_ms(w->cfg->webhook_retry_base_ms, d->attempts);
    if (ok)
        log_info("webhook %s: delivery %s (%s) acknowledged with %ld", d->webhook_id, d->id,
                 json_string_value(json_object_get(row, "type")), res.code);
    else
        log_info("webhook %s: delivery %s attempt %d: %s; %s", d->webhook_id, d->id, d->attempts, res.error,
                 d->expired ? "retries are over: failed" : "retried later");
    if (db_delivery_finish(w->db, d, status, res.code, ok ? NULL : res.error, delay) != DB_OK)
        log_warn("webhook %s: delivery %s: cannot record the attempt (it runs again when its claim expires)",
                 d->webhook_id, d->id);
    free(sig);
    free(body);
}

/* Claims and sends one due delivery; false when none was due. */
bool worker_webhook_run_one(struct worker *w)
{
    /* Between looks only a notification (a new delivery, a retry asked for) brings one forward. */
    long long now = clock_now_ms();
    if (now < w->webhook_check_ms)
        return false;
    struct db_delivery d;
    int lease_s = (int)(w->cfg->webhook_timeout_ms / 1000) + 30;
    enum db_rc rc = db_delivery_claim(w->db, lease_s, &d);
    if (rc == DB_UNAVAILABLE)
        log_warn("webhooks: cannot claim a due delivery (database error; it is due again after its claim expires)");
    if (rc != DB_OK) {
        /* None due: the next look after a poll interval (retries come due on their own). */
        w->webhook_check_ms = now + w->cfg->poll_interval_ms;
        return false;
    }
    log_ctx_set_tenant(d.tenant_id);
    worker_webhook_send(w, &d);
    log_ctx_clear();
    db_delivery_free(&d);
    return true;
}
