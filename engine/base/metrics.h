/*
 * metrics — the in-memory metric registry a process (certmill-fcgi, certmill-worker)
 * keeps between flushes, the catalogue of every metric certmill exposes, and the
 * Prometheus text exposition format 0.0.4 (escaping, sample lines).
 *
 * Counters and histograms are counted here as deltas (thread-safe: one mutex) and
 * taken out every few seconds by db_metrics_flush, which adds them to a table shared
 * by the cluster; GET /metrics reads that table, so any front shows cluster-wide,
 * monotonic counters. A histogram observation is kept as the counters Prometheus
 * shows for it: NAME_bucket{...,le="B"} for every bucket B >= the value (cumulative),
 * NAME_sum and NAME_count. Label sets are given ready-formatted (metrics_labels), and
 * only ever carry bounded values: never ids, domain names or other caller text.
 */
#ifndef CM_BASE_METRICS_H
#define CM_BASE_METRICS_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>

#define METRICS_MAX_NAME 128    /* bytes of a sample name */
#define METRICS_MAX_LABELS 512  /* bytes of a formatted label set, le included */

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

/* One metric family of the catalogue. */
struct metrics_family {
    const char *name;        /* the family's name (a counter's ends in _total) */
    enum metrics_type type;
    const char *help;
    const double *buckets;   /* histograms: upper bounds, ascending, +Inf implied */
    size_t n_buckets;
};

/* One sample: a name with its formatted labels and its value (a delta when taken from the registry). */
struct metrics_sample {
    char *name;
    char *labels;            /* `a="x",b="y"`, or "" */
    double value;
};

/* The catalogue: every family certmill exposes, in the order /metrics shows them. */
const struct metrics_family *metrics_families(size_t *n);
/* The family a sample name belongs to (NAME, or NAME_bucket/_sum/_count of a histogram); NULL if none. */
const struct metrics_family *metrics_family_of(const char *sample_name);

/*
 * Formats a label set from NULL-terminated key, value pairs: `k1="v1",k2="v2"`, each value
 * escaped as the format requires (\\, \", \n). False when it does not fit in outlen.
 */
bool metrics_labels(char *out, size_t outlen, ...) __attribute__((sentinel));
/* Appends value to b escaped for a label value: backslash, double quote and newline. */
bool metrics_escape_label(struct buf *b, const char *value);
/* Appends text to b escaped for a HELP line: backslash and newline. */
bool metrics_escape_help(struct buf *b, const char *text);

/* Adds v to the counter family (a _total name) with the labels. */
void metrics_count(const char *family, const char *labels, double v);
/* Records one observation of a histogram family (seconds, usually) with the labels. */
void metrics_observe(const char *family, const char *labels, double v);

/* Takes every non-zero delta out of the registry (it keeps the series at zero); *n of them, caller frees. */
struct metrics_sample *metrics_take(size_t *n);
/* Puts deltas taken by metrics_take back (their flush failed), and frees them. */
void metrics_give_back(struct metrics_sample *s, size_t n);
/* Frees samples. */
void metrics_samples_free(struct metrics_sample *s, size_t n);
/* True when the registry holds a delta not yet taken. */
bool metrics_pending(void);
/* Forgets everything (tests). */
void metrics_reset(void);

/* Appends the "# HELP" and "# TYPE" lines of a family. */
bool metrics_text_family(struct buf *b, const struct metrics_family *f);
/* Appends one sample line: name{labels} value (labels may be "" or NULL). */
bool metrics_text_sample(struct buf *b, const char *name, const char *labels, double value);

#endif
