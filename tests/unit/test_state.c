/* test_state — the order state machine: names match the SQL constraints, transitions, backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "worker/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads every migration, in order, as one text (tests run from tests/unit). */
static char *read_schema(void)
{
    static const char *const files[] = { "../../sql/001_init.sql", "../../sql/002_challenges.sql",
                                         "../../sql/003_preflight.sql", "../../sql/004_order_log.sql" };
    static char buf[131072];
    size_t n = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        FILE *f = fopen(files[i], "r");
        assert_non_null(f);
        n += fread(buf + n, 1, sizeof buf - 1 - n, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

/* Finds the last occurrence of needle in hay. */
static const char *strstr_last(const char *hay, const char *needle)
{
    const char *last = NULL;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        last = p;
    return last;
}

/*
 * Extracts the quoted names of the column's CHECK (col IN (...)) list: the latest
 * migration's "ADD CONSTRAINT table_col_check" when there is one, else CREATE TABLE's.
 */
static int check_names(const char *schema, const char *table, const char *col, char names[][32], int max)
{
    char alter[96];
    snprintf(alter, sizeof alter, "ADD CONSTRAINT %s_%s_check CHECK (%s IN", table, col, col);
    const char *c = strstr_last(schema, alter);
    if (!c) {
        char head[96];
        snprintf(head, sizeof head, "CREATE TABLE %s (", table);
        const char *t = strstr(schema, head);
        assert_non_null(t);
        char colhead[64];
        snprintf(colhead, sizeof colhead, "\n    %s ", col);
        c = strstr(t, colhead);
        assert_non_null(c);
    }
    const char *in = strstr(c, " IN");
    assert_non_null(in);
    const char *end = strstr(in, "))");
    int n = 0;
    for (const char *p = strchr(in, '\''); p && p < end && n < max; p = strchr(p + 1, '\'')) {
        const char *q = strchr(p + 1, '\'');
        snprintf(names[n++], 32, "%.*s", (int)(q - p - 1), p + 1);
        p = q;
    }
    return n;
}

static void test_order_status_names_match_sql(void **state)
{
    (void)state;
    char names[16][32];
    int n = check_names(read_schema(), "orders", "status", names, 16);
    assert_int_equal(n, ORDER_STATUS_COUNT);
    for (int i = 0; i < n; i++) {
        assert_string_equal(state_order_status_name((enum order_status)i), names[i]);
        assert_int_equal(state_order_status_parse(names[i]), i);
    }
}

static void test_step_names_match_sql(void **state)
{
    (void)state;
    char names[16][32];
    int n = check_names(read_schema(), "orders", "step", names, 16);
    assert_int_equal(n, STEP_COUNT);
    for (int i = 0; i < n; i++)
        assert_string_equal(state_step_name((enum order_step)i), names[i]);
}

static void test_authz_and_cert_names_match_sql(void **state)
{
    (void)state;
    char names[16][32];
    const char *schema = read_schema();
    int n = check_names(schema, "authorizations", "status", names, 16);
    assert_int_equal(n, AUTHZ_STATUS_COUNT);
    for (int i = 0; i < n; i++)
        assert_string_equal(state_authz_status_name((enum authz_status)i), names[i]);
    n = check_names(schema, "certificates", "status", names, 16);
    assert_int_equal(n, CERT_STATUS_COUNT);
    for (int i = 0; i < n; i++)
        assert_string_equal(state_cert_status_name((enum cert_status)i), names[i]);
}

static void test_status_of_step(void **state)
{
    (void)state;
    assert_int_equal(state_status_of_step(STEP_PREFLIGHT), ORDER_QUEUED);
    assert_int_equal(state_status_of_step(STEP_NEW_ORDER), ORDER_QUEUED);
    assert_int_equal(state_status_of_step(STEP_AUTHORIZE), ORDER_PENDING_VALIDATION);
    assert_int_equal(state_status_of_step(STEP_PUBLISH), ORDER_PENDING_VALIDATION);
    assert_int_equal(state_status_of_step(STEP_PROPAGATE), ORDER_PENDING_VALIDATION);
    assert_int_equal(state_status_of_step(STEP_VALIDATE), ORDER_PENDING_VALIDATION);
    assert_int_equal(state_status_of_step(STEP_FINALIZE), ORDER_ISSUING);
    assert_int_equal(state_status_of_step(STEP_DOWNLOAD), ORDER_ISSUING);
    assert_int_equal(state_status_of_step(STEP_DONE), ORDER_ISSUED);
    assert_int_equal(state_order_status_parse("bogus"), -1);
    assert_int_equal(state_step_parse(NULL), -1);
}

static void test_transitions(void **state)
{
    (void)state;
    /* forward one step, stay to poll */
    for (int s = STEP_PREFLIGHT; s < STEP_DONE; s++) {
        assert_true(state_step_allowed((enum order_step)s, (enum order_step)(s + 1)));
        assert_true(state_step_allowed((enum order_step)s, (enum order_step)s));
        assert_true(state_step_allowed((enum order_step)s, STEP_NEW_ORDER));
    }
    /* no skipping ahead, nothing after done */
    assert_false(state_step_allowed(STEP_NEW_ORDER, STEP_FINALIZE));
    assert_false(state_step_allowed(STEP_PREFLIGHT, STEP_AUTHORIZE));
    assert_false(state_step_allowed(STEP_AUTHORIZE, STEP_DONE));
    assert_true(state_step_allowed(STEP_AUTHORIZE, STEP_VALIDATE));
    assert_false(state_step_allowed(STEP_NEW_ORDER, STEP_PUBLISH));
    assert_false(state_step_allowed(STEP_PUBLISH, STEP_VALIDATE));
    assert_false(state_step_allowed(STEP_DONE, STEP_NEW_ORDER));
    assert_false(state_step_allowed(STEP_DOWNLOAD, STEP_VALIDATE));
    assert_true(state_step_allowed(STEP_FINALIZE, STEP_VALIDATE));
    assert_true(state_order_final(ORDER_ISSUED));
    assert_true(state_order_final(ORDER_FAILED));
    assert_true(state_order_final(ORDER_CANCELLED));
    assert_false(state_order_final(ORDER_ISSUING));
}

static void test_backoff(void **state)
{
    (void)state;
    /* 1 min, 10 min, 100 min, then daily */
    assert_int_equal(state_backoff_ms(1, -1, 0.0), 60000);
    assert_int_equal(state_backoff_ms(2, -1, 0.0), 600000);
    assert_int_equal(state_backoff_ms(3, -1, 0.0), 6000000);
    assert_int_equal(state_backoff_ms(4, -1, 0.0), 86400000);
    assert_int_equal(state_backoff_ms(30, -1, 0.0), 86400000);
    /* jitter adds at most 20% */
    long j = state_backoff_ms(2, -1, 0.99);
    assert_true(j > 600000 && j < 720000);
    /* Retry-After (429, 503) replaces the schedule: due when the CA said, never sooner */
    assert_int_equal(state_backoff_ms(1, 3600, 0.0), 3600000);
    assert_int_equal(state_backoff_ms(2, 3, 0.0), 3000);
    assert_int_equal(state_backoff_ms(1, 30L * 86400, 0.0), 7L * 86400000);
    /* its jitter only ever adds: up to 10%, at most a minute */
    long r = state_backoff_ms(1, 3, 0.99);
    assert_true(r >= 3000 && r <= 3300);
    assert_int_equal(state_backoff_ms(1, 86400, 0.99), 86400000 + 60000);
    /* polls: 50 ms doubling to 10 s; Retry-After respected */
    assert_int_equal(state_poll_ms(0, -1), 50);
    assert_int_equal(state_poll_ms(1, -1), 100);
    assert_int_equal(state_poll_ms(5, -1), 1600);
    assert_int_equal(state_poll_ms(10, -1), 10000);
    assert_int_equal(state_poll_ms(0, 3), 3000);
    assert_int_equal(state_poll_ms(0, 99999), 3600000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_status_names_match_sql),
        cmocka_unit_test(test_step_names_match_sql),
        cmocka_unit_test(test_authz_and_cert_names_match_sql),
        cmocka_unit_test(test_status_of_step),
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
