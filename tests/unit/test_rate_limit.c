/* test_rate_limit — the API's per-tenant token bucket: the rate syntax, the refill arithmetic, the [api] keys, and the RateLimit fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/config.h"
#include "base/rate_limit.h"
#include "limiter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_rate_parse(void **state)
{
    (void)state;
    static const struct { const char *in; double per_s; } ok[] = {
        { "20/s", 20 }, { "1/s", 1 }, { "600/m", 10 }, { "30/m", 0.5 }, { "3600/h", 1 }, { "none", 0 },
        { "1000000/s", 1000000 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double r = -1;
        assert_true(rate_parse(ok[i].in, &r));
        assert_true(r > ok[i].per_s - 1e-9 && r < ok[i].per_s + 1e-9);
    }
    static const char *const bad[] = { "", "20", "20/", "20/d", "0/s", "-1/s", "20/ss", "x/s", "1000001/s",
                                       "20 /s", "None" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double r = 7;
        assert_false(rate_parse(bad[i], &r));
        assert_true(r > 6.9 && r < 7.1); /* untouched */
    }
    char out[32];
    rate_format(20, out, sizeof out);
    assert_string_equal(out, "20/s");
    rate_format(0.5, out, sizeof out);
    assert_string_equal(out, "30/m");
    rate_format(1.0 / 3600, out, sizeof out);
    assert_string_equal(out, "1/h");
    rate_format(0, out, sizeof out);
    assert_string_equal(out, "none");
}

/* A full bucket gives its burst at once, then one request per 1/rate seconds. */
static void test_rate_burst_then_refill(void **state)
{
    (void)state;
    struct rate_rule r = { .per_s = 2, .burst = 5 };
    struct rate_bucket b = { 0 };
    struct rate_status st;
    for (int i = 0; i < 5; i++) {
        assert_true(rate_take(&b, &r, 100.0, &st));
        assert_int_equal(st.remaining, 4 - i);
        assert_int_equal(st.retry_after_s, 0);
    }
    /* empty: refused, one token is back in 0.5 s (rounded up to 1), full again in 2.5 s (3) */
    assert_false(rate_take(&b, &r, 100.0, &st));
    assert_int_equal(st.remaining, 0);
    assert_int_equal(st.retry_after_s, 1);
    assert_int_equal(st.reset_s, 3);
    /* a refused request costs nothing: 0.5 s later exactly one token is there */
    assert_true(rate_take(&b, &r, 100.5, &st));
    assert_int_equal(st.remaining, 0);
    assert_false(rate_take(&b, &r, 100.5, &st));
    /* the bucket never holds more than its burst, however long it rested */
    assert_true(rate_take(&b, &r, 1000.0, &st));
    assert_int_equal(st.remaining, 4);
    assert_int_equal(st.reset_s, 1); /* one token missing at 2/s: 0.5 s, rounded up */
}

/* Slow rates: Retry-After counts the whole wait; a clock going backwards gives nothing back. */
static void test_rate_slow_and_clock(void **state)
{
    (void)state;
    struct rate_rule r = { .per_s = 1.0 / 60, .burst = 1 }; /* 1/m */
    struct rate_bucket b = { 0 };
    struct rate_status st;
    assert_true(rate_take(&b, &r, 10.0, &st));
    assert_false(rate_take(&b, &r, 40.0, &st));
    assert_int_equal(st.retry_after_s, 30);
    assert_false(rate_take(&b, &r, 5.0, &st)); /* backwards: no refill, and the bucket's time stays sane */
    assert_true(rate_take(&b, &r, 70.1, &st));
    assert_int_equal(rate_window_s(&r), 60);
    struct rate_rule fast = { .per_s = 20, .burst = 100 };
    assert_int_equal(rate_window_s(&fast), 5);
    /* "none" never refuses */
    struct rate_rule none = { .per_s = 0, .burst = 100 };
    for (int i = 0; i < 1000; i++)
        assert_true(rate_take(&b, &none, 0, &st));
}

/* A lowered burst (set-limits while the bucket is full) applies at the next request. */
static void test_rate_lowered_burst(void **state)
{
    (void)state;
    struct rate_rule big = { .per_s = 1, .burst = 100 }, small = { .per_s = 1, .burst = 3 };
    struct rate_bucket b = { 0 };
    struct rate_status st;
    assert_true(rate_take(&b, &big, 0, &st));
    assert_int_equal(st.remaining, 99);
    assert_true(rate_take(&b, &small, 0, &st));
    assert_int_equal(st.remaining, 2);
}

/* The limiter keeps one bucket per tenant and writes the draft's fields. */
static void test_limiter_tenants(void **state)
{
    (void)state;
    struct fcgi_limiter *l = fcgi_limiter_new();
    struct rate_rule r = { .per_s = 0.001, .burst = 2 };
    struct fcgi_limit lim;
    struct fcgi_resp resp;
    fcgi_resp_init(&resp);
    assert_true(fcgi_limiter_admit(l, "tnt_a", &r, &resp, &lim));
    assert_true(lim.limited);
    assert_true(fcgi_limiter_admit(l, "tnt_a", &r, &resp, &lim));
    assert_false(fcgi_limiter_admit(l, "tnt_a", &r, &resp, &lim));
    assert_int_equal(resp.status, 429);
    char *out = fcgi_resp_render(&resp, true);
    assert_non_null(strstr(out, "Retry-After: 1000\r\n"));
    assert_non_null(strstr(out, "RateLimit-Policy: \"tenant\";q=2;w=2000\r\n"));
    assert_non_null(strstr(out, "RateLimit: \"tenant\";r=0;t=2000\r\n"));
    free(out);
    fcgi_resp_free(&resp);
    /* another tenant has its own full bucket */
    fcgi_resp_init(&resp);
    assert_true(fcgi_limiter_admit(l, "tnt_b", &r, &resp, &lim));
    assert_int_equal(lim.st.remaining, 1);
    fcgi_limiter_headers(&resp, &lim);
    out = fcgi_resp_render(&resp, true);
    assert_non_null(strstr(out, "RateLimit: \"tenant\";r=1;t=1000\r\n"));
    free(out);
    fcgi_resp_free(&resp);
    /* no limiter, or "none": always admitted, no fields */
    struct rate_rule none = { .per_s = 0, .burst = 2 };
    assert_true(fcgi_limiter_admit(l, "tnt_a", &none, &resp, &lim));
    assert_false(lim.limited);
    assert_true(fcgi_limiter_admit(NULL, "tnt_a", &r, &resp, &lim));
    assert_false(lim.limited);
    fcgi_limiter_free(l);
}

/* Loads an [api] section from text. */
static struct config *rate_conf_load(const char *api, char *err, size_t errlen)
{
    char path[] = "/tmp/cm-test-rate-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "[ca.x]\ndirectory = https://ca.example/dir\n[api]\n%s", api);
    fclose(f);
    struct config *c = config_load(path, err, errlen);
    unlink(path);
    return c;
}

static void test_rate_config(void **state)
{
    (void)state;
    char err[512] = "";
    struct config *c = rate_conf_load("", err, sizeof err);
    assert_non_null(c);
    assert_true(c->api_rate.per_s > 19.99 && c->api_rate.per_s < 20.01);
    assert_int_equal(c->api_rate.burst, 100);
    assert_int_equal(c->max_active_orders, 1000);
    assert_int_equal(c->max_certificates, 10000);
    config_free(c);
    c = rate_conf_load("rate_limit = none\nrate_burst = 7\nmax_active_orders = none\nmax_certificates = 0\n", err,
                       sizeof err);
    assert_non_null(c);
    assert_true(c->api_rate.per_s < 1e-12);
    assert_int_equal(c->api_rate.burst, 7);
    assert_int_equal(c->max_active_orders, -1);
    assert_int_equal(c->max_certificates, 0);
    config_free(c);
    assert_null(rate_conf_load("rate_limit = 20 per second\n", err, sizeof err));
    assert_non_null(strstr(err, ":4: rate_limit must be"));
    assert_null(rate_conf_load("rate_burst = 0\n", err, sizeof err));
    assert_non_null(strstr(err, "rate_burst must be"));
    assert_null(rate_conf_load("max_certificates = -5\n", err, sizeof err));
    assert_non_null(strstr(err, "max_certificates must be"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_parse),          cmocka_unit_test(test_rate_burst_then_refill),
        cmocka_unit_test(test_rate_slow_and_clock), cmocka_unit_test(test_rate_lowered_burst),
        cmocka_unit_test(test_limiter_tenants),     cmocka_unit_test(test_rate_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
