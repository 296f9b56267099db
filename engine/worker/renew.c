/* renew — the scheduler pass over due certificates and the renewal side of an order's end. */
#include "renew.h"
#include "renew_time.h"

#include "base/log.h"
#include "db_event.h"
#include "db_renew.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A jitter fraction in [0, 1) from 16 random bits; 0 when the generator fails (jitter only). */
static double renew_jitter(void)
{
    unsigned char r[2] = { 0, 0 };
    if (RAND_bytes(r, sizeof r) != 1)
        return 0;
    return (double)((r[0] << 8) | r[1]) / 65536.0;
}

/* An integer column of a row (0 when null). */
static long long renew_int(const json_t *row, const char *key)
{
    return (long long)json_integer_value(json_object_get(row, key));
}

/* RFC 3339 UTC text of t. */
static const char *renew_rfc3339(long long t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        buf[0] = '\0';
    return buf;
}

/* True for the order statuses after which an order does nothing more. */
static bool renew_order_final(const char *status)
{
    return strcmp(status, "issued") == 0 || strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0;
}

/* (tx) certificate.expiring: the certificate, its expiry and the renewal under way or backing off. */
static enum db_rc renew_expiring_event(struct db *db, const json_t *row, long long not_after)
{
    char na[32];
    const char *id = json_string_value(json_object_get(row, "id"));
    const char *ro = json_string_value(json_object_get(row, "renewal_order_id"));
    json_t *d = json_pack("{s:s, s:O, s:s, s:o, s:I}", "certificate_id", id, "domains",
                          json_object_get(row, "domains"), "not_after", renew_rfc3339(not_after, na, sizeof na),
                          "renewal_order_id", ro ? json_string(ro) : json_null(), "renewal_failures",
                          (json_int_t)renew_int(row, "renew_failures"));
    enum db_rc rc = db_event_add(db, json_string_value(json_object_get(row, "tenant_id")), "certificate.expiring", ro,
                                 id, d);
    json_decref(d);
    return rc;
}

/* (tx) Decides and writes what a claimed due certificate needs. */
static enum db_rc renew_handle(struct worker *w, const json_t *row)
{
    struct db *db = w->db;
    const char *id = json_string_value(json_object_get(row, "id"));
    const char *status = json_string_value(json_object_get(row, "status"));
    const char *rstatus = json_string_value(json_object_get(row, "renewal_status"));
    long long now = renew_int(row, "now_s"), nb = renew_int(row, "not_before_s"), na = renew_int(row, "not_after_s");
    if (!id || !status)
        return DB_UNAVAILABLE;
    log_ctx_set_tenant(json_string_value(json_object_get(row, "tenant_id")));
    /* Nothing more to do for it: renewal off, replaced, revoked. */
    if (!json_is_true(json_object_get(row, "auto_renew")) || strcmp(status, "superseded") == 0 ||
        strcmp(status, "revoked") == 0 || (rstatus && strcmp(rstatus, "issued") == 0))
        return db_renew_mark(db, id, 0, NULL, false);
    const char *new_status = NULL;
    if (now >= na && (strcmp(status, "active") == 0 || strcmp(status, "expiring") == 0))
        new_status = "expired";
    enum db_rc rc = DB_OK;
    long long exp = renew_time_expiring(nb, na, renew_int(row, "expiring_event_s"));
    bool event = exp > 0 && now >= exp;
    if (event) {
        rc = renew_expiring_event(db, row, na);
        if (strcmp(status, "active") == 0)
            new_status = "expiring";
        exp = renew_time_expiring(nb, na, now);
        log_warn("certificate %s: expires soon without a replacement", id);
    }
    long long next;
    long long retry = renew_int(row, "renew_retry_s");
    if (rstatus && !renew_order_final(rstatus)) {
        next = now + RENEW_TIME_LOOK; /* under way: look again for the expiring events */
    } else if (retry > now) {
        next = retry; /* backing off after a failed renewal */
    } else {
        char *order_id = NULL;
        if (rc == DB_OK)
            rc = db_renew_order_create(db, id, &order_id);
        if (rc == DB_OK) {
            log_ctx_set_order(order_id);
            log_info("certificate %s: renewal order %s queued", id, order_id);
        }
        free(order_id);
        next = now + RENEW_TIME_LOOK;
    }
    if (rc == DB_OK)
        rc = db_renew_mark(db, id, renew_time_next_look(now, next, exp), new_status, event);
    return rc;
}

/* Claims one due certificate and handles it in one transaction; false when none was due (or on failure). */
static bool renew_one(struct worker *w)
{
    if (db_begin(w->db) != DB_OK)
        return false;
    json_t *row = NULL;
    enum db_rc rc = db_renew_claim(w->db, &row);
    if (rc == DB_OK)
        rc = renew_handle(w, row);
    if (rc == DB_OK)
        rc = db_commit(w->db);
    else
        db_rollback(w->db);
    const char *id = row ? json_string_value(json_object_get(row, "id")) : NULL;
    if (rc != DB_OK && rc != DB_NOTFOUND && id) {
        /* Not the most overdue for ever: the others go first, this one is tried again later. */
        log_warn("renewal scheduler: cannot handle certificate %s; trying again in 10 minutes", id);
        db_renew_mark(w->db, id, renew_int(row, "now_s") + 600, NULL, false);
    }
    json_decref(row);
    log_ctx_clear();
    return rc == DB_OK;
}

/* Handles due certificates until none is due or max were handled. */
int renew_pass(struct worker *w, int max)
{
    int n = 0;
    while (n < max && renew_one(w))
        n++;
    return n;
}

/* Sets the backoff of the certificate a failed renewal order was made for. */
enum db_rc renew_order_failed(struct step *s)
{
    json_t *row = NULL;
    enum db_rc rc = db_renew_failed_load(s->w->db, s->order_id, &row);
    if (rc != DB_OK)
        return rc == DB_NOTFOUND ? DB_OK : rc;
    const char *id = json_string_value(json_object_get(row, "id"));
    long long now = renew_int(row, "now_s");
    int failures = (int)renew_int(row, "renew_failures") + 1;
    long long retry = renew_time_retry(now, failures, renew_jitter());
    long long look = 0;
    if (json_is_true(json_object_get(row, "auto_renew")))
        look = renew_time_next_look(
            now, retry,
            renew_time_expiring(renew_int(row, "not_before_s"), renew_int(row, "not_after_s"),
                                renew_int(row, "expiring_event_s")));
    rc = db_renew_failed_mark(s->w->db, id, failures, retry, look);
    if (rc == DB_OK) {
        char t[32];
        step_log(s, "the renewal of certificate %s failed (%d in a row); next attempt not before %s", id, failures,
                 renew_rfc3339(retry, t, sizeof t));
    }
    json_decref(row);
    return rc;
}

/* When a certificate valid from not_before to not_after is due for renewal (unix seconds, jittered). */
long long renew_cert_at(long long not_before, long long not_after)
{
    return renew_time_due(not_before, not_after, renew_jitter());
}

/* Supersedes the certificate the order renews, with certificate.renewed; nothing for a first order. */
enum db_rc renew_cert_issued(struct step *s, const char *cert_id, long long not_before, long long not_after)
{
    if (!step_order_str(s, "replaces_certificate_id"))
        return DB_OK;
    json_t *old = NULL;
    enum db_rc rc = db_renew_superseded(s->w->db, s->order_id, cert_id, &old);
    if (rc != DB_OK || !old)
        return rc;
    char na[32], nb[32];
    json_t *facts = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O}", "not_before", renew_rfc3339(not_before, nb, sizeof nb),
                              "not_after", renew_rfc3339(not_after, na, sizeof na), "ca", s->ca->conf->name,
                              "previous_certificate_id", json_object_get(old, "id"), "previous_domains",
                              json_object_get(old, "domains"), "previous_not_after", json_object_get(old, "not_after"));
    if (facts)
        rc = step_event_cert(s, "certificate.renewed", cert_id, facts);
    else
        rc = DB_UNAVAILABLE;
    if (rc == DB_OK)
        step_log(s, "certificate %s replaces %s, now superseded", cert_id,
                 json_string_value(json_object_get(old, "id")));
    json_decref(facts);
    json_decref(old);
    return rc;
}
