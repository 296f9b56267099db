/* test_budget — the CA budgets' syntax, defaults, window arithmetic, config keys, and registered domains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/budget_conf.h"
#include "base/config.h"
#include "ident/regdom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_budget_parse(void **state)
{
    (void)state;
    static const struct { const char *in; int limit; long window; } ok[] = {
        { "300/3h", 300, 3 * 3600 }, { "50/7d", 50, 7 * 86400 }, { "5/1h", 5, 3600 },
        { "1/20s", 1, 20 },          { "2/90m", 2, 5400 },       { "5/1w", 5, 7 * 86400 },
        { "none", 0, 0 },            { "1000000/52w", 1000000, 52L * 7 * 86400 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct budget_rule r = { -1, -1 };
        assert_true(budget_rule_parse(ok[i].in, &r));
        assert_int_equal(r.limit, ok[i].limit);
        assert_int_equal(r.window_s, ok[i].window);
    }
    static const char *const bad[] = { "", "300", "300/", "/3h", "0/3h", "-1/3h", "3/0h", "3/h", "3/3",
                                       "3/3x", "3/3hh", " 3/3h", "3/3h ", "3 /3h", "+3/3h", "3/-3h",
                                       "None", "1/53w", "1000001/1h", "99999999999999999999/1h", "1/2.5h" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct budget_rule r = { 7, 7 };
        assert_false(budget_rule_parse(bad[i], &r));
        assert_int_equal(r.limit, 7); /* untouched */
    }
    assert_false(budget_rule_parse(NULL, &(struct budget_rule){ 0, 0 }));
}

static void test_budget_format(void **state)
{
    (void)state;
    static const char *const round[] = { "300/3h", "50/1w", "5/1h", "1/20s", "2/90m", "none", "5/8d" };
    for (size_t i = 0; i < sizeof round / sizeof round[0]; i++) {
        struct budget_rule r;
        char out[32];
        assert_true(budget_rule_parse(round[i], &r));
        budget_rule_format(&r, out, sizeof out);
        assert_string_equal(out, round[i]);
    }
    struct budget_rule r;
    char out[32];
    assert_true(budget_rule_parse("50/7d", &r));
    budget_rule_format(&r, out, sizeof out);
    assert_string_equal(out, "50/1w");
}

/* Let's Encrypt's published figures are the defaults. */
static void test_budget_defaults(void **state)
{
    (void)state;
    struct budget_rule r = budget_default(BUDGET_NEW_ORDERS);
    assert_int_equal(r.limit, 300);
    assert_int_equal(r.window_s, 3 * 3600);
    r = budget_default(BUDGET_CERTS_PER_DOMAIN);
    assert_int_equal(r.limit, 50);
    assert_int_equal(r.window_s, 7 * 86400);
    r = budget_default(BUDGET_CERTS_PER_NAME_SET);
    assert_int_equal(r.limit, 5);
    assert_int_equal(r.window_s, 7 * 86400);
    r = budget_default(BUDGET_FAILED_VALIDATIONS);
    assert_int_equal(r.limit, 5);
    assert_int_equal(r.window_s, 3600);
    assert_string_equal(budget_name(BUDGET_CERTS_PER_DOMAIN), "certs_per_domain");
    assert_string_equal(budget_conf_key(BUDGET_FAILED_VALIDATIONS), "budget_failed_validations");
    assert_string_equal(budget_name(BUDGET_COUNT), "?");
}

/* The sliding window: the next slot frees when the oldest of the newest `limit` events leaves. */
static void test_budget_window(void **state)
{
    (void)state;
    struct budget_rule r = { 5, 3600 };
    double until = -1;
    assert_true(budget_allows(&r, 0, 0, &until));
    assert_true(budget_allows(&r, 4, 1000, &until));
    assert_true(until < 0); /* untouched when allowed */
    assert_false(budget_allows(&r, 5, 1000, &until));
    assert_true(until == 4600.0);
    assert_false(budget_allows(&r, 5, 1000.25, &until));
    assert_true(until == 4600.25);
    struct budget_rule none = { 0, 0 };
    assert_true(budget_allows(&none, 1000000, 0, &until));
    struct budget_rule one = { 1, 20 };
    assert_false(budget_allows(&one, 1, 50, &until));
    assert_true(until == 70.0);
}

/* Writes a configuration with a [ca.x] section plus extra lines; returns the config or NULL (err set). */
static struct config *budget_conf_load(const char *extra, char *err, size_t errlen)
{
    char path[] = "/tmp/cm-test-budget-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "[ca.x]\ndirectory = https://ca.example/dir\n%s", extra);
    fclose(f);
    struct config *c = config_load(path, err, errlen);
    unlink(path);
    return c;
}

static void test_budget_config(void **state)
{
    (void)state;
    char err[512] = "";
    struct config *c = budget_conf_load("", err, sizeof err);
    assert_non_null(c);
    const struct config_ca *ca = config_ca_find(c, "x");
    assert_int_equal(ca->budget[BUDGET_NEW_ORDERS].limit, 300);
    assert_int_equal(ca->budget[BUDGET_CERTS_PER_DOMAIN].window_s, 7 * 86400);
    config_free(c);
    c = budget_conf_load("budget_new_orders = none\nbudget_certs_per_domain = 1/20s\n"
                         "budget_certs_per_name_set = 2/30s\nbudget_failed_validations = 3/2h\n",
                         err, sizeof err);
    assert_non_null(c);
    ca = config_ca_find(c, "x");
    assert_int_equal(ca->budget[BUDGET_NEW_ORDERS].limit, 0);
    assert_int_equal(ca->budget[BUDGET_CERTS_PER_DOMAIN].limit, 1);
    assert_int_equal(ca->budget[BUDGET_CERTS_PER_DOMAIN].window_s, 20);
    assert_int_equal(ca->budget[BUDGET_CERTS_PER_NAME_SET].limit, 2);
    assert_int_equal(ca->budget[BUDGET_FAILED_VALIDATIONS].window_s, 7200);
    config_free(c);
    c = budget_conf_load("budget_certs_per_domain = 50 per week\n", err, sizeof err);
    assert_null(c);
    assert_non_null(strstr(err, ":3: budget_certs_per_domain must be"));
}

static void test_regdom(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        { "www.example.com", "example.com" },
        { "example.com", "example.com" },
        { "new.blog.example.co.uk", "example.co.uk" },
        { "*.shop.example.com", "example.com" },
        { "a.b.c.example.test", "example.test" },     /* .test is no listed suffix: the default rule "*" */
        { "example.test", "example.test" },
        { "user.github.io", "user.github.io" },       /* the private section counts too */
        { "co.uk", "co.uk" },                         /* a public suffix is its own */
        { "xn--bcher-kva.de", "xn--bcher-kva.de" },
        { "www.xn--bcher-kva.de", "xn--bcher-kva.de" },
        { "192.0.2.7", "192.0.2.7" },
        { "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
        { "2001:db8::1", "2001:db8::/64" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[300];
        assert_true(regdom_of(cases[i].in, out, sizeof out));
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("%s: got %s, want %s", cases[i].in, out, cases[i].out);
    }
    char tiny[8];
    assert_false(regdom_of("www.example.com", tiny, sizeof tiny));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget_parse),   cmocka_unit_test(test_budget_format),
        cmocka_unit_test(test_budget_defaults), cmocka_unit_test(test_budget_window),
        cmocka_unit_test(test_budget_config),  cmocka_unit_test(test_regdom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
