/* metrics — the catalogue, the per-process delta registry and the text exposition format. */
#include "base/metrics.h"

#include "base/xalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* API requests: most take milliseconds; a few (PFX download, key sealing) take longer. */
static const double metrics_api_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
/* One step is a few HTTP calls and a commit; DNS propagation checks and slow CAs take seconds. */
static const double metrics_step_buckets[] = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
/* One HTTP exchange with a CA (the client's timeout is 30 s by default). */
static const double metrics_acme_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };

#define METRICS_BUCKETS(a) a, sizeof a / sizeof a[0]

/* Every family certmill exposes; docs/operations.md ("Reading the metrics") explains each. */
static const struct metrics_family metrics_catalogue[] = {
    { "certmill_orders", METRICS_GAUGE, "Orders by status and CA.", NULL, 0 },
    { "certmill_certificates", METRICS_GAUGE, "Certificates by status and CA.", NULL, 0 },
    { "certmill_certificate_soonest_expiry_timestamp_seconds", METRICS_GAUGE,
      "Earliest not_after (Unix time) of the certificates in service (status active or expiring).", NULL, 0 },
    { "certmill_queue_due", METRICS_GAUGE,
      "Work due now and not claimed by any worker: order steps, revocations, webhook deliveries.", NULL, 0 },
    { "certmill_queue_oldest_due_age_seconds", METRICS_GAUGE,
      "How long the longest-waiting unclaimed due work has been due (0 when none).", NULL, 0 },
    { "certmill_acme_requests_total", METRICS_COUNTER,
      "HTTP requests to the CAs by CA, ACME endpoint and result (status class or transport failure).", NULL, 0 },
    { "certmill_acme_request_duration_seconds", METRICS_HISTOGRAM,
      "Duration of the HTTP requests to the CAs.", METRICS_BUCKETS(metrics_acme_buckets) },
    { "certmill_steps_total", METRICS_COUNTER, "Worker steps run, by step and outcome.", NULL, 0 },
    { "certmill_step_duration_seconds", METRICS_HISTOGRAM, "Duration of one worker step, by step.",
      METRICS_BUCKETS(metrics_step_buckets) },
    { "certmill_webhook_deliveries_total", METRICS_COUNTER, "Webhook delivery attempts by result.", NULL, 0 },
    { "certmill_api_requests_total", METRICS_COUNTER,
      "API requests by method, route pattern and HTTP status.", NULL, 0 },
    { "certmill_api_request_duration_seconds", METRICS_HISTOGRAM,
      "Duration of API requests by method and route pattern.", METRICS_BUCKETS(metrics_api_buckets) },
};

/* Hands out the catalogue. */
const struct metrics_family *metrics_families(size_t *n)
{
    *n = sizeof metrics_catalogue / sizeof metrics_catalogue[0];
    return metrics_catalogue;
}

/* True when name is fam followed by exactly suffix. */
static bool metrics_name_is(const char *name, const char *fam, const char *suffix)
{
    size_t fl = strlen(fam);
    return strncmp(name, fam, fl) == 0 && strcmp(name + fl, suffix) == 0;
}

/* Finds the family of a sample name. */
const struct metrics_family *metrics_family_of(const char *sample_name)
{
    for (size_t i = 0; i < sizeof metrics_catalogue / sizeof metrics_catalogue[0]; i++) {
        const struct metrics_family *f = &metrics_catalogue[i];
        if (strcmp(sample_name, f->name) == 0)
            return f;
        if (f->type == METRICS_HISTOGRAM &&
            (metrics_name_is(sample_name, f->name, "_bucket") || metrics_name_is(sample_name, f->name, "_sum") ||
             metrics_name_is(sample_name, f->name, "_count")))
            return f;
    }
    return NULL;
}

/* Appends s escaped: backslash always, double quote only for label values, newline as \n. */
static bool metrics_escape(struct buf *b, const char *s, bool quote)
{
    for (; s && *s; s++) {
        bool ok;
        if (*s == '\\')
            ok = buf_puts(b, "\\\\");
        else if (*s == '\n')
            ok = buf_puts(b, "\\n");
        else if (*s == '"' && quote)
            ok = buf_puts(b, "\\\"");
        else
            ok = buf_append(b, s, 1);
        if (!ok)
            return false;
    }
    return true;
}

/* Escapes a label value. */
bool metrics_escape_label(struct buf *b, const char *value)
{
    return metrics_escape(b, value, true);
}

/* Escapes HELP text. */
bool metrics_escape_help(struct buf *b, const char *text)
{
    return metrics_escape(b, text, false);
}

/* Formats key="value" pairs, comma-separated. */
bool metrics_labels(char *out, size_t outlen, ...)
{
    struct buf b;
    buf_init(&b, outlen > 0 ? outlen - 1 : 0);
    bool ok = outlen > 0;
    va_list ap;
    va_start(ap, outlen);
    for (const char *k; ok && (k = va_arg(ap, const char *)) != NULL;) {
        const char *v = va_arg(ap, const char *);
        ok = (b.len == 0 || buf_puts(&b, ",")) && buf_puts(&b, k) && buf_puts(&b, "=\"") &&
             metrics_escape_label(&b, v ? v : "") && buf_puts(&b, "\"");
    }
    va_end(ap);
    if (ok)
        memcpy(out, b.data ? b.data : "", b.len + 1);
    else if (outlen > 0)
        out[0] = '\0';
    buf_free(&b);
    return ok;
}

/* Appends a value as the format writes floats: integers plainly, +Inf, -Inf, NaN. */
static bool metrics_text_value(struct buf *b, double v)
{
    if (isnan(v))
        return buf_puts(b, "NaN");
    if (isinf(v))
        return buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    return buf_printf(b, "%.15g", v);
}

/* Writes the HELP and TYPE lines. */
bool metrics_text_family(struct buf *b, const struct metrics_family *f)
{
    static const char *const types[] = { "counter", "gauge", "histogram" };
    return buf_printf(b, "# HELP %s ", f->name) && metrics_escape_help(b, f->help) &&
           buf_printf(b, "\n# TYPE %s %s\n", f->name, types[f->type]);
}

/* Writes one sample line. */
bool metrics_text_sample(struct buf *b, const char *name, const char *labels, double value)
{
    bool ok = buf_puts(b, name);
    if (ok && labels && *labels)
        ok = buf_printf(b, "{%s}", labels);
    return ok && buf_puts(b, " ") && metrics_text_value(b, value) && buf_puts(b, "\n");
}

/* ---- the registry: a chained hash table of (name, labels) -> delta, under one mutex ---- */

#define METRICS_TABLE 256

struct metrics_entry {
    struct metrics_entry *next;
    char *name;
    char *labels;
    double delta;
};

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_entry *metrics_table[METRICS_TABLE];
static size_t metrics_dirty; /* entries with a non-zero delta */

/* FNV-1a over name, a separator, and labels. */
static size_t metrics_hash(const char *name, const char *labels)
{
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ 0x1f) * 16777619u;
    for (const char *p = labels; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % METRICS_TABLE;
}

/* (locked) Adds v to the series, making it on first use. */
static void metrics_add_locked(const char *name, const char *labels, double v)
{
    size_t h = metrics_hash(name, labels);
    struct metrics_entry *e = metrics_table[h];
    while (e && (strcmp(e->name, name) != 0 || strcmp(e->labels, labels) != 0))
        e = e->next;
    if (!e) {
        e = xcalloc(1, sizeof *e);
        e->name = xstrdup(name);
        e->labels = xstrdup(labels);
        e->next = metrics_table[h];
        metrics_table[h] = e;
    }
    if (e->delta == 0 && v != 0)
        metrics_dirty++;
    e->delta += v;
}

/* Counts v. */
void metrics_count(const char *family, const char *labels, double v)
{
    pthread_mutex_lock(&metrics_lock);
    metrics_add_locked(family, labels ? labels : "", v);
    pthread_mutex_unlock(&metrics_lock);
}

/* Adds the observation to every bucket it falls in, +Inf, the sum and the count. */
void metrics_observe(const char *family, const char *labels, double v)
{
    const struct metrics_family *f = metrics_family_of(family);
    if (!f || f->type != METRICS_HISTOGRAM || strcmp(f->name, family) != 0)
        return;
    if (!labels)
        labels = "";
    char name[METRICS_MAX_NAME], lab[METRICS_MAX_LABELS];
    const char *sep = *labels ? "," : "";
    pthread_mutex_lock(&metrics_lock);
    snprintf(name, sizeof name, "%s_bucket", family);
    for (size_t i = 0; i <= f->n_buckets; i++) {
        if (i < f->n_buckets && v > f->buckets[i])
            continue;
        int n = i < f->n_buckets ? snprintf(lab, sizeof lab, "%s%sle=\"%g\"", labels, sep, f->buckets[i])
                                 : snprintf(lab, sizeof lab, "%s%sle=\"+Inf\"", labels, sep);
        if (n > 0 && (size_t)n < sizeof lab)
            metrics_add_locked(name, lab, 1);
    }
    snprintf(name, sizeof name, "%s_sum", family);
    metrics_add_locked(name, labels, v);
    snprintf(name, sizeof name, "%s_count", family);
    metrics_add_locked(name, labels, 1);
    pthread_mutex_unlock(&metrics_lock);
}

/* Moves every non-zero delta into a fresh array. */
struct metrics_sample *metrics_take(size_t *n)
{
    pthread_mutex_lock(&metrics_lock);
    struct metrics_sample *out = xcalloc(metrics_dirty ? metrics_dirty : 1, sizeof *out);
    size_t k = 0;
    for (size_t h = 0; h < METRICS_TABLE; h++)
        for (struct metrics_entry *e = metrics_table[h]; e; e = e->next) {
            if (e->delta == 0 || k == metrics_dirty)
                continue;
            out[k].name = xstrdup(e->name);
            out[k].labels = xstrdup(e->labels);
            out[k].value = e->delta;
            e->delta = 0;
            k++;
        }
    metrics_dirty = 0;
    pthread_mutex_unlock(&metrics_lock);
    *n = k;
    return out;
}

/* Adds the deltas back, so the next flush carries them. */
void metrics_give_back(struct metrics_sample *s, size_t n)
{
    pthread_mutex_lock(&metrics_lock);
    for (size_t i = 0; i < n; i++)
        metrics_add_locked(s[i].name, s[i].labels, s[i].value);
    pthread_mutex_unlock(&metrics_lock);
    metrics_samples_free(s, n);
}

/* Frees an array of samples. */
void metrics_samples_free(struct metrics_sample *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].name);
        free(s[i].labels);
    }
    free(s);
}

/* Says whether a flush has something to write. */
bool metrics_pending(void)
{
    pthread_mutex_lock(&metrics_lock);
    bool p = metrics_dirty > 0;
    pthread_mutex_unlock(&metrics_lock);
    return p;
}

/* Empties the registry. */
void metrics_reset(void)
{
    pthread_mutex_lock(&metrics_lock);
    for (size_t h = 0; h < METRICS_TABLE; h++) {
        struct metrics_entry *e = metrics_table[h];
        while (e) {
            struct metrics_entry *next = e->next;
            free(e->name);
            free(e->labels);
            free(e);
            e = next;
        }
        metrics_table[h] = NULL;
    }
    metrics_dirty = 0;
    pthread_mutex_unlock(&metrics_lock);
}
