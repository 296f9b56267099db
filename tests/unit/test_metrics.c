/* test_metrics — the metric registry (deltas, histograms, take and give back) and the Prometheus text format (escaping, ordering, the /metrics rendering). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/metrics.h"
#include "metrics.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The value of the sample name{labels} in s, or -1 when absent. */
static double sample_value(const struct metrics_sample *s, size_t n, const char *name, const char *labels)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0 && strcmp(s[i].labels, labels) == 0)
            return s[i].value;
    return -1;
}

/* Label values are escaped as the format says: \ as \\, " as \", newline as \n; nothing else. */
static void test_label_escaping(void **state)
{
    (void)state;
    char out[METRICS_MAX_LABELS];
    assert_true(metrics_labels(out, sizeof out, "route", "/v1/orders/{id}", "status", "202", NULL));
    assert_string_equal(out, "route=\"/v1/orders/{id}\",status=\"202\"");
    assert_true(metrics_labels(out, sizeof out, "ca", "a\\b\"c\nd", NULL));
    assert_string_equal(out, "ca=\"a\\\\b\\\"c\\nd\"");
    assert_true(metrics_labels(out, sizeof out, "x", "tab\there, é", NULL));
    assert_string_equal(out, "x=\"tab\there, é\"");
    assert_true(metrics_labels(out, sizeof out, NULL));
    assert_string_equal(out, "");
    /* Too long for the buffer: false and an empty string, never a cut label set. */
    char small[16];
    assert_false(metrics_labels(small, sizeof small, "endpoint", "newOrderXXXXXXXX", NULL));
    assert_string_equal(small, "");
    /* HELP text: backslash and newline only (a quote stays). */
    struct buf b;
    buf_init(&b, 0);
    assert_true(metrics_escape_help(&b, "a \"q\" \\ x\ny"));
    assert_string_equal(b.data, "a \"q\" \\\\ x\\ny");
    buf_free(&b);
}

/* Sample lines and the HELP/TYPE header. */
static void test_text_lines(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    size_t n;
    const struct metrics_family *f = metrics_families(&n);
    assert_true(n > 5);
    const struct metrics_family *api = metrics_family_of("certmill_api_requests_total");
    assert_non_null(api);
    assert_true(metrics_text_family(&b, api));
    assert_true(metrics_text_sample(&b, "certmill_api_requests_total", "route=\"/healthz\"", 3));
    assert_true(metrics_text_sample(&b, "x_sum", NULL, 0.25));
    assert_true(metrics_text_sample(&b, "x_bucket", "", INFINITY));
    assert_string_equal(b.data, "# HELP certmill_api_requests_total API requests by method, route pattern and HTTP status.\n"
                                "# TYPE certmill_api_requests_total counter\n"
                                "certmill_api_requests_total{route=\"/healthz\"} 3\n"
                                "x_sum 0.25\n"
                                "x_bucket +Inf\n");
    buf_free(&b);
    /* Histogram sample names find their family; unknown names none. */
    assert_ptr_equal(metrics_family_of("certmill_step_duration_seconds_bucket"),
                     metrics_family_of("certmill_step_duration_seconds"));
    assert_null(metrics_family_of("certmill_steps_total_bucket"));
    assert_null(metrics_family_of("nothing"));
    (void)f;
}

/* Counting, observing (cumulative buckets), taking and giving back. */
static void test_registry(void **state)
{
    (void)state;
    metrics_reset();
    assert_false(metrics_pending());
    metrics_count("certmill_webhook_deliveries_total", "result=\"2xx\"", 1);
    metrics_count("certmill_webhook_deliveries_total", "result=\"2xx\"", 2);
    metrics_observe("certmill_step_duration_seconds", "step=\"finalize\"", 0.3);
    metrics_observe("certmill_step_duration_seconds", "step=\"finalize\"", 100);
    /* Not a histogram: ignored. */
    metrics_observe("certmill_webhook_deliveries_total", "", 1);
    assert_true(metrics_pending());
    size_t n;
    struct metrics_sample *s = metrics_take(&n);
    assert_false(metrics_pending());
    assert_true(sample_value(s, n, "certmill_webhook_deliveries_total", "result=\"2xx\"") == 3);
    const char *b = "certmill_step_duration_seconds_bucket";
    assert_true(sample_value(s, n, b, "step=\"finalize\",le=\"0.25\"") == -1);
    assert_true(sample_value(s, n, b, "step=\"finalize\",le=\"0.5\"") == 1);
    assert_true(sample_value(s, n, b, "step=\"finalize\",le=\"60\"") == 1);
    assert_true(sample_value(s, n, b, "step=\"finalize\",le=\"+Inf\"") == 2);
    assert_true(sample_value(s, n, "certmill_step_duration_seconds_count", "step=\"finalize\"") == 2);
    assert_true(fabs(sample_value(s, n, "certmill_step_duration_seconds_sum", "step=\"finalize\"") - 100.3) < 1e-9);
    /* A failed flush gives them back; new counts add to them. */
    metrics_give_back(s, n);
    metrics_count("certmill_webhook_deliveries_total", "result=\"2xx\"", 1);
    s = metrics_take(&n);
    assert_true(sample_value(s, n, "certmill_webhook_deliveries_total", "result=\"2xx\"") == 4);
    metrics_samples_free(s, n);
    /* Taken once: nothing left. */
    s = metrics_take(&n);
    assert_int_equal(n, 0);
    metrics_samples_free(s, n);
    metrics_reset();
}

/* The /metrics body: gauges zero-filled per status and configured CA, unknown CAs as "other",
 * histogram series ordered (buckets by le, then _sum, _count), unknown names left out. */
static void test_render(void **state)
{
    (void)state;
    json_t *st = json_pack("{s:[{s:s, s:s, s:i}, {s:s, s:s, s:i}], s:[], s:I, s:[{s:s, s:i, s:i}]}",
                           "orders", "status", "issued", "ca", "le", "n", 3,
                           "status", "issued", "ca", "gone", "n", 2,
                           "certificates", "soonest_expiry", (json_int_t)1800000000,
                           "queue", "kind", "order", "n", 4, "age_ms", 2500);
    struct metrics_sample rows[] = {
        { "certmill_api_request_duration_seconds_count", "route=\"/healthz\"", 2 },
        { "certmill_api_request_duration_seconds_bucket", "route=\"/healthz\",le=\"+Inf\"", 2 },
        { "certmill_api_request_duration_seconds_bucket", "route=\"/healthz\",le=\"10\"", 2 },
        { "certmill_api_request_duration_seconds_bucket", "route=\"/healthz\",le=\"0.005\"", 1 },
        { "certmill_api_request_duration_seconds_sum", "route=\"/healthz\"", 0.007 },
        { "certmill_unknown_total", "", 9 },
        { "certmill_webhook_deliveries_total", "result=\"2xx\"", 5 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        rows[i].name = strdup(rows[i].name);
        rows[i].labels = strdup(rows[i].labels);
    }
    const char *cas[] = { "le", "zerossl" };
    char *t = fcgi_metrics_render(st, rows, sizeof rows / sizeof rows[0], cas, 2);
    assert_non_null(t);
    assert_non_null(strstr(t, "certmill_orders{status=\"issued\",ca=\"le\"} 3\n"));
    assert_non_null(strstr(t, "certmill_orders{status=\"issued\",ca=\"zerossl\"} 0\n"));
    assert_non_null(strstr(t, "certmill_orders{status=\"issued\",ca=\"other\"} 2\n"));
    assert_null(strstr(t, "certmill_orders{status=\"queued\",ca=\"other\"}"));
    assert_non_null(strstr(t, "certmill_orders{status=\"queued\",ca=\"le\"} 0\n"));
    assert_non_null(strstr(t, "certmill_certificates{status=\"active\",ca=\"le\"} 0\n"));
    assert_non_null(strstr(t, "certmill_certificate_soonest_expiry_timestamp_seconds 1800000000\n"));
    assert_non_null(strstr(t, "certmill_queue_due{kind=\"order\"} 4\n"));
    assert_non_null(strstr(t, "certmill_queue_due{kind=\"webhook\"} 0\n"));
    assert_non_null(strstr(t, "certmill_queue_oldest_due_age_seconds{kind=\"order\"} 2.5\n"));
    assert_non_null(strstr(t, "# TYPE certmill_webhook_deliveries_total counter\n"
                              "certmill_webhook_deliveries_total{result=\"2xx\"} 5\n"));
    assert_non_null(strstr(t, "# TYPE certmill_api_request_duration_seconds histogram\n"
                              "certmill_api_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1\n"
                              "certmill_api_request_duration_seconds_bucket{route=\"/healthz\",le=\"10\"} 2\n"
                              "certmill_api_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2\n"
                              "certmill_api_request_duration_seconds_sum{route=\"/healthz\"} 0.007\n"
                              "certmill_api_request_duration_seconds_count{route=\"/healthz\"} 2\n"));
    assert_null(strstr(t, "certmill_unknown_total"));
    /* Every family is announced once, in the catalogue's order. */
    assert_true(strstr(t, "# TYPE certmill_orders gauge") < strstr(t, "# TYPE certmill_api_requests_total counter"));
    free(t);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        free(rows[i].name);
        free(rows[i].labels);
    }
    json_decref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_escaping),
        cmocka_unit_test(test_text_lines),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
