/* metrics — GET /metrics, the API's request counts, and the flush thread of certmill-fcgi. */
#include "metrics.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "db_metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FCGI_METRICS_FLUSH_S 10             /* the most a count waits before other fronts show it */
#define FCGI_METRICS_TEXT_MAX (8u << 20)    /* bytes of one exposition (thousands of series fit) */

/* The states the SQL CHECKs allow, shown with 0 when none is in them (so an alert sees 0, not nothing). */
static const char *const fcgi_metrics_order_statuses[] = { "queued", "pending_validation", "action_required",
                                                           "issuing", "issued", "failed", "cancelled" };
static const char *const fcgi_metrics_cert_statuses[] = { "active", "expiring", "expired", "revoked", "superseded" };
static const char *const fcgi_metrics_queue_kinds[] = { "order", "revoke", "webhook" };

#define FCGI_METRICS_N(a) (sizeof a / sizeof a[0])

/* The method as a label: the methods the API takes, anything else "other". */
static const char *fcgi_metrics_method(const char *m)
{
    static const char *const known[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE" };
    for (size_t i = 0; i < FCGI_METRICS_N(known); i++)
        if (strcmp(m, known[i]) == 0)
            return known[i];
    return "other";
}

/* Counts the request under its route's pattern ("unmatched" for a 404 or 405 of the router). */
void fcgi_metrics_request(const struct fcgi_req *req, const struct fcgi_resp *resp, double seconds)
{
    const char *method = fcgi_metrics_method(req->method);
    const char *route = req->route ? req->route : "unmatched";
    char status[16], labels[METRICS_MAX_LABELS];
    snprintf(status, sizeof status, "%d", resp->status);
    if (metrics_labels(labels, sizeof labels, "method", method, "route", route, "status", status, NULL))
        metrics_count("certmill_api_requests_total", labels, 1);
    if (metrics_labels(labels, sizeof labels, "method", method, "route", route, NULL))
        metrics_observe("certmill_api_request_duration_seconds", labels, seconds);
}

/* Index of s in list, or -1. */
static int fcgi_metrics_index(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(list[i], s) == 0)
            return (int)i;
    return -1;
}

/* One gauge family by status and CA: every status with every configured CA, other CAs as "other". */
static bool fcgi_metrics_by_status(struct buf *b, const struct metrics_family *f, const json_t *rows,
                                   const char *const *statuses, size_t n_st, const char *const *cas, size_t n_cas)
{
    size_t width = n_cas + 1; /* the last column is "other" */
    long long *count = xcalloc(n_st * width, sizeof *count);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        int s = fcgi_metrics_index(statuses, n_st, json_string_value(json_object_get(row, "status")));
        int c = fcgi_metrics_index(cas, n_cas, json_string_value(json_object_get(row, "ca")));
        if (s >= 0)
            count[(size_t)s * width + (c >= 0 ? (size_t)c : n_cas)] += json_integer_value(json_object_get(row, "n"));
    }
    bool ok = metrics_text_family(b, f);
    char labels[METRICS_MAX_LABELS];
    for (size_t s = 0; ok && s < n_st; s++)
        for (size_t c = 0; ok && c < width; c++) {
            long long v = count[s * width + c];
            if (c == n_cas && v == 0)
                continue;
            if (metrics_labels(labels, sizeof labels, "status", statuses[s], "ca", c < n_cas ? cas[c] : "other", NULL))
                ok = metrics_text_sample(b, f->name, labels, (double)v);
        }
    free(count);
    return ok;
}

/* The queue gauges: due work and the age of its oldest, by kind. */
static bool fcgi_metrics_queue(struct buf *b, const struct metrics_family *f, const json_t *rows, bool age)
{
    bool ok = metrics_text_family(b, f);
    char labels[METRICS_MAX_LABELS];
    for (size_t k = 0; ok && k < FCGI_METRICS_N(fcgi_metrics_queue_kinds); k++) {
        const char *kind = fcgi_metrics_queue_kinds[k];
        double v = 0;
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
            const char *rk = json_string_value(json_object_get(row, "kind"));
            if (rk && strcmp(rk, kind) == 0)
                v = age ? (double)json_integer_value(json_object_get(row, "age_ms")) / 1000.0
                        : (double)json_integer_value(json_object_get(row, "n"));
        }
        if (v < 0)
            v = 0;
        if (metrics_labels(labels, sizeof labels, "kind", kind, NULL))
            ok = metrics_text_sample(b, f->name, labels, v);
    }
    return ok;
}

/* A shared counter row with what sorts it: family, labels without le, bucket/sum/count, le. */
struct fcgi_metrics_row {
    const struct metrics_sample *s;
    size_t fam;
    char base[METRICS_MAX_LABELS];
    int rank;  /* 0 plain or _bucket, 1 _sum, 2 _count */
    double le; /* _bucket only */
};

/* Orders rows as the format wants them: by family, label set, then buckets ascending, _sum, _count. */
static int fcgi_metrics_row_cmp(const void *a, const void *b)
{
    const struct fcgi_metrics_row *x = a, *y = b;
    if (x->fam != y->fam)
        return x->fam < y->fam ? -1 : 1;
    int c = strcmp(x->base, y->base);
    if (c)
        return c;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    if (x->le != y->le)
        return x->le < y->le ? -1 : 1;
    return strcmp(x->s->name, y->s->name);
}

/* Fills r for sample s; false when the sample is none of the catalogue's (written by a newer version). */
static bool fcgi_metrics_row_make(struct fcgi_metrics_row *r, const struct metrics_sample *s,
                                  const struct metrics_family *fams, size_t n_fams)
{
    const struct metrics_family *f = metrics_family_of(s->name);
    if (!f || f->type == METRICS_GAUGE || strlen(s->labels) >= sizeof r->base)
        return false;
    r->s = s;
    r->fam = (size_t)(f - fams);
    r->rank = 0;
    r->le = 0;
    snprintf(r->base, sizeof r->base, "%s", s->labels);
    size_t fl = strlen(f->name);
    const char *suffix = s->name + fl;
    if (strcmp(suffix, "_sum") == 0) {
        r->rank = 1;
    } else if (strcmp(suffix, "_count") == 0) {
        r->rank = 2;
    } else if (strcmp(suffix, "_bucket") == 0) {
        /* le is always the last label (metrics_observe puts it there). */
        char *le = strncmp(r->base, "le=\"", 4) == 0 ? r->base : NULL;
        for (char *p = strstr(r->base, ",le=\""); p; p = strstr(p + 1, ",le=\""))
            le = p + 1;
        if (!le)
            return false;
        const char *v = le + 4;
        r->le = strncmp(v, "+Inf\"", 5) == 0 ? INFINITY : strtod(v, NULL);
        if (le == r->base)
            le[0] = '\0';
        else
            le[-1] = '\0';
    }
    return r->fam < n_fams;
}

/* Writes the exposition. */
char *fcgi_metrics_render(const json_t *state, struct metrics_sample *counters, size_t n, const char *const *cas,
                          size_t n_cas)
{
    size_t n_fams;
    const struct metrics_family *fams = metrics_families(&n_fams);
    struct fcgi_metrics_row *rows = xcalloc(n ? n : 1, sizeof *rows);
    size_t n_rows = 0;
    for (size_t i = 0; i < n; i++)
        if (fcgi_metrics_row_make(&rows[n_rows], &counters[i], fams, n_fams))
            n_rows++;
    qsort(rows, n_rows, sizeof *rows, fcgi_metrics_row_cmp);
    struct buf b;
    buf_init(&b, FCGI_METRICS_TEXT_MAX);
    bool ok = true;
    size_t r = 0;
    for (size_t i = 0; ok && i < n_fams; i++) {
        const struct metrics_family *f = &fams[i];
        if (strcmp(f->name, "certmill_orders") == 0) {
            ok = fcgi_metrics_by_status(&b, f, json_object_get(state, "orders"), fcgi_metrics_order_statuses,
                                        FCGI_METRICS_N(fcgi_metrics_order_statuses), cas, n_cas);
        } else if (strcmp(f->name, "certmill_certificates") == 0) {
            ok = fcgi_metrics_by_status(&b, f, json_object_get(state, "certificates"), fcgi_metrics_cert_statuses,
                                        FCGI_METRICS_N(fcgi_metrics_cert_statuses), cas, n_cas);
        } else if (strcmp(f->name, "certmill_certificate_soonest_expiry_timestamp_seconds") == 0) {
            /* No certificate in service: no sample (an alert on absent() sees that). */
            const json_t *t = json_object_get(state, "soonest_expiry");
            ok = metrics_text_family(&b, f) &&
                 (!json_is_integer(t) || metrics_text_sample(&b, f->name, NULL, (double)json_integer_value(t)));
        } else if (strcmp(f->name, "certmill_queue_due") == 0) {
            ok = fcgi_metrics_queue(&b, f, json_object_get(state, "queue"), false);
        } else if (strcmp(f->name, "certmill_queue_oldest_due_age_seconds") == 0) {
            ok = fcgi_metrics_queue(&b, f, json_object_get(state, "queue"), true);
        } else if (f->type != METRICS_GAUGE) {
            ok = metrics_text_family(&b, f);
            for (; ok && r < n_rows && rows[r].fam == i; r++)
                ok = metrics_text_sample(&b, rows[r].s->name, rows[r].s->labels, rows[r].s->value);
        }
        /* Rows of a family the loop passed (none: they are sorted by family) are never left behind. */
        while (r < n_rows && rows[r].fam <= i)
            r++;
    }
    free(rows);
    if (!ok) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

/* Answers a scrape: this process's counts first, then the cluster's state and counters. */
void fcgi_metrics_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    (void)req;
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    /* Best effort: a failed flush keeps the counts for the flush thread. */
    db_metrics_flush(db);
    json_t *state = NULL;
    struct metrics_sample *counters = NULL;
    size_t n = 0;
    enum db_rc rc = db_metrics_state(db, &state);
    if (rc == DB_OK)
        rc = db_metrics_counters(db, &counters, &n);
    if (rc != DB_OK) {
        json_decref(state);
        fcgi_resp_db_failure(resp, rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc);
        return;
    }
    const struct config *cfg = ctx->app->cfg;
    const char **cas = xcalloc(cfg->n_cas ? cfg->n_cas : 1, sizeof *cas);
    for (size_t i = 0; i < cfg->n_cas; i++)
        cas[i] = cfg->cas[i].name;
    char *text = fcgi_metrics_render(state, counters, n, cas, cfg->n_cas);
    free(cas);
    json_decref(state);
    metrics_samples_free(counters, n);
    if (!text) {
        fcgi_resp_problem(resp, FCGI_PROB_SERVICE_UNAVAILABLE, NULL, "the metrics are too large to answer");
        return;
    }
    fcgi_resp_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    free(text);
}

/* ---- the flush thread: its own connection, so no request waits for it ---- */

static pthread_t fcgi_metrics_tid;
static pthread_mutex_t fcgi_metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fcgi_metrics_cond = PTHREAD_COND_INITIALIZER;
static bool fcgi_metrics_stopping, fcgi_metrics_running;

/* Writes the pending counts, connecting on first use; failures are logged once until it works again. */
static void fcgi_metrics_flush_once(const struct fcgi_app *app, struct db **db, bool *failed)
{
    char err[512];
    if (!metrics_pending())
        return;
    if (!*db)
        *db = db_open(app->cfg->db_conninfo_api, err, sizeof err);
    else if (db_is_down(*db))
        db_ensure(*db);
    enum db_rc rc = *db && !db_is_down(*db) ? db_metrics_flush(*db) : DB_UNAVAILABLE;
    if (rc != DB_OK && !*failed)
        log_warn("metrics: cannot write the counts (kept for the next try)");
    *failed = rc != DB_OK;
}

/* Flushes every FCGI_METRICS_FLUSH_S seconds until stopped, then once more. */
static void *fcgi_metrics_loop(void *arg)
{
    const struct fcgi_app *app = arg;
    struct db *db = NULL;
    bool failed = false;
    pthread_mutex_lock(&fcgi_metrics_lock);
    while (!fcgi_metrics_stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += FCGI_METRICS_FLUSH_S;
        pthread_cond_timedwait(&fcgi_metrics_cond, &fcgi_metrics_lock, &until);
        if (fcgi_metrics_stopping)
            break;
        pthread_mutex_unlock(&fcgi_metrics_lock);
        fcgi_metrics_flush_once(app, &db, &failed);
        pthread_mutex_lock(&fcgi_metrics_lock);
    }
    pthread_mutex_unlock(&fcgi_metrics_lock);
    fcgi_metrics_flush_once(app, &db, &failed);
    db_close(db);
    return NULL;
}

/* Starts the flush thread. */
bool fcgi_metrics_start(const struct fcgi_app *app)
{
    fcgi_metrics_stopping = false;
    fcgi_metrics_running = pthread_create(&fcgi_metrics_tid, NULL, fcgi_metrics_loop, (void *)app) == 0;
    if (!fcgi_metrics_running)
        log_error("metrics: cannot start the flush thread");
    return fcgi_metrics_running;
}

/* Wakes the thread for its last flush and waits for it. */
void fcgi_metrics_stop(void)
{
    if (fcgi_metrics_running) {
        pthread_mutex_lock(&fcgi_metrics_lock);
        fcgi_metrics_stopping = true;
        pthread_cond_signal(&fcgi_metrics_cond);
        pthread_mutex_unlock(&fcgi_metrics_lock);
        pthread_join(fcgi_metrics_tid, NULL);
        fcgi_metrics_running = false;
    }
    metrics_reset();
}
