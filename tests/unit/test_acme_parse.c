/* test_acme_parse — the CA's JSON read defensively: real objects pass, hostile ones fail whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "acme/acme.h"
#include "acme/internal.h"
#include "base/buf.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads fixtures/acme/<name> (tests run from tests/unit). */
static char *fixture(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "fixtures/acme/%s", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct buf b;
    buf_init(&b, 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_true(buf_append(&b, chunk, n));
    fclose(f);
    *len = b.len;
    return buf_steal(&b);
}

/* acme_parse_order on a C string. */
static bool order_of(const char *json, struct acme_order *o)
{
    return acme_parse_order(json, strlen(json), o);
}

/* acme_parse_authz on a C string. */
static bool authz_of(const char *json, struct acme_authz *a)
{
    return acme_parse_authz(json, strlen(json), a);
}

/* True when every pointer member of the order is NULL (what a failed parse must leave). */
static void assert_order_empty(const struct acme_order *o)
{
    assert_null(o->url);
    assert_null(o->status);
    assert_null(o->authz_urls);
    assert_int_equal(o->n_authz, 0);
    assert_null(o->finalize_url);
    assert_null(o->certificate_url);
    assert_null(o->error.type);
}

/* Pebble-shaped orders: pending, valid (with certificate), invalid (with error). */
static void test_order_fixtures(void **state)
{
    (void)state;
    size_t len;
    struct acme_order o;
    char *j = fixture("order-pending.json", &len);
    assert_true(acme_parse_order(j, len, &o));
    assert_string_equal(o.status, "pending");
    assert_int_equal(o.n_authz, 2);
    assert_string_equal(o.authz_urls[0], "https://127.0.0.1:38000/authZ/d-L2_Dz_3ul4kHM_lr4-kU7NVPjf0Yq3pmDs3kwbZxU");
    assert_string_equal(o.authz_urls[1], "https://127.0.0.1:38000/authZ/Yri90MsB1KEi7YR7Cpa9P0p-aFBQJ5KcMZg8JKZcPw8");
    assert_string_equal(o.finalize_url, "https://127.0.0.1:38000/finalize-order/FgZKxOnx8JQcVrsSWfIHRhxfWkpWef7DtgdJ_pRLf-0");
    assert_null(o.certificate_url);
    assert_null(o.url); /* from Location, not the body */
    assert_null(o.error.type);
    acme_order_free(&o);
    assert_order_empty(&o);
    free(j);

    j = fixture("order-valid.json", &len);
    assert_true(acme_parse_order(j, len, &o));
    assert_string_equal(o.status, "valid");
    assert_string_equal(o.certificate_url, "https://127.0.0.1:38000/certZ/523900f079cf3a09");
    acme_order_free(&o);
    free(j);

    j = fixture("order-invalid.json", &len);
    assert_true(acme_parse_order(j, len, &o));
    assert_string_equal(o.status, "invalid");
    assert_string_equal(o.error.type, "urn:ietf:params:acme:error:unauthorized");
    assert_true(acme_problem_is(&o.error, "unauthorized"));
    assert_int_equal(o.error.status, 403);
    assert_non_null(strstr(o.error.detail, "404"));
    acme_order_free(&o);
    free(j);
}

/* Hostile orders: each one is refused as a whole and leaves nothing behind. */
static void test_order_hostile(void **state)
{
    (void)state;
    const char *F = "\"finalize\":\"https://ca.test/fin/1\"";
    const char *A = "\"authorizations\":[\"https://ca.test/authz/1\"]";
    char *bad[] = {
        xasprintf("{\"status\":1,%s,%s}", F, A),
        xasprintf("{\"status\":\"bogus\",%s,%s}", F, A),
        xasprintf("{\"status\":\"Pending\",%s,%s}", F, A),
        xasprintf("{%s,%s}", F, A),                                                     /* no status */
        xasprintf("{\"status\":\"pending\",%s}", A),                                    /* no finalize */
        xasprintf("{\"status\":\"pending\",\"finalize\":\"file:///etc/passwd\",%s}", A),
        xasprintf("{\"status\":\"pending\",\"finalize\":\"/relative\",%s}", A),
        xasprintf("{\"status\":\"pending\",\"finalize\":\"https://ca.test/a b\",%s}", A),
        xasprintf("{\"status\":\"pending\",\"finalize\":\"https://ca.test/a\\u0000b\",%s}", A),
        xasprintf("{\"status\":\"pending\",\"finalize\":[],%s}", A),
        xasprintf("{\"status\":\"pending\",%s}", F),                                    /* no authorizations */
        xasprintf("{\"status\":\"pending\",%s,\"authorizations\":\"https://ca.test/a\"}", F),
        xasprintf("{\"status\":\"pending\",%s,\"authorizations\":[1]}", F),
        xasprintf("{\"status\":\"pending\",%s,\"authorizations\":[\"https://ca.test/a\",null]}", F),
        xasprintf("{\"status\":\"pending\",%s,\"authorizations\":[\"gopher://ca.test/a\"]}", F),
        xasprintf("{\"status\":\"valid\",%s,%s}", F, A),                                /* valid, no certificate */
        xasprintf("{\"status\":\"valid\",%s,%s,\"certificate\":42}", F, A),
        xasprintf("{\"status\":\"invalid\",%s,%s,\"error\":\"it broke\"}", F, A),
        xasprintf("{\"status\":\"invalid\",%s,%s,\"error\":{\"status\":\"403\"}}", F, A),
        xasprintf("{\"status\":\"pending\",\"status\":\"valid\",%s,%s}", F, A),        /* duplicate member */
        xasprintf("[{\"status\":\"pending\",%s,%s}]", F, A),
        xasprintf("{\"status\":\"pending\",%s,%s", F, A),                               /* truncated */
        xasprintf("%s", ""),
        xasprintf("%s", "null"),
        xasprintf("%s", "\"pending\""),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct acme_order o;
        memset(&o, 0x5a, sizeof o); /* garbage in: the parser must not trust or free it */
        if (order_of(bad[i], &o))
            fail_msg("accepted hostile order %zu: %s", i, bad[i]);
        assert_order_empty(&o);
        free(bad[i]);
    }
    /* The same skeleton is accepted, so the refusals above are about the changes. */
    char *good = xasprintf("{\"status\":\"pending\",%s,%s}", F, A);
    struct acme_order o;
    assert_true(order_of(good, &o));
    assert_int_equal(o.n_authz, 1);
    acme_order_free(&o);
    free(good);
    assert_false(acme_parse_order(NULL, 10, &o));
    assert_false(acme_parse_order("{}", 2, NULL));
}

/* A huge authorizations array (past the limit) fails; one at the limit passes. */
static void test_order_huge(void **state)
{
    (void)state;
    for (int count = 1000; count <= 1001; count++) {
        struct buf b;
        buf_init(&b, 0);
        buf_puts(&b, "{\"status\":\"pending\",\"finalize\":\"https://ca.test/fin\",\"authorizations\":[");
        for (int i = 0; i < count; i++)
            buf_printf(&b, "%s\"https://ca.test/authz/%d\"", i ? "," : "", i);
        buf_puts(&b, "]}");
        struct acme_order o;
        bool ok = acme_parse_order(b.data, b.len, &o);
        assert_int_equal(ok, count == 1000);
        if (ok)
            assert_int_equal(o.n_authz, 1000);
        acme_order_free(&o);
        buf_free(&b);
    }
    /* Deep nesting and an oversized document fail without crashing. */
    struct buf deep;
    buf_init(&deep, 0);
    buf_puts(&deep, "{\"status\":\"pending\",\"x\":");
    for (int i = 0; i < 100000; i++)
        buf_puts(&deep, "[");
    struct acme_order o;
    assert_false(acme_parse_order(deep.data, deep.len, &o));
    buf_free(&deep);
    char *big = xmalloc(ACME_MAX_RESPONSE + 2);
    memset(big, ' ', ACME_MAX_RESPONSE + 1);
    big[0] = '{';
    big[ACME_MAX_RESPONSE] = '}';
    assert_false(acme_parse_order(big, ACME_MAX_RESPONSE + 1, &o));
    free(big);
}

/* Pebble-shaped authorizations: pending with three challenges, wildcard valid, invalid with error. */
static void test_authz_fixtures(void **state)
{
    (void)state;
    size_t len;
    struct acme_authz a;
    char *j = fixture("authz-pending.json", &len);
    assert_true(acme_parse_authz(j, len, &a));
    assert_string_equal(a.identifier, "a.example.test");
    assert_false(a.wildcard);
    assert_string_equal(a.status, "pending");
    assert_int_equal(a.n_challenges, 3);
    assert_string_equal(a.challenges[1].type, "http-01");
    assert_string_equal(a.challenges[1].token, "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA");
    assert_string_equal(a.challenges[1].url, "https://127.0.0.1:38000/chalZ/ZoPp6LR7y8UOdZdllXn0dkKpihmPnDlRbs2cE2l1pu8");
    assert_string_equal(a.challenges[1].status, "pending");
    assert_string_equal(a.challenges[0].type, "tls-alpn-01");
    assert_string_equal(a.challenges[2].type, "dns-01");
    acme_authz_free(&a);
    assert_null(a.challenges);
    free(j);

    j = fixture("authz-wildcard-valid.json", &len);
    assert_true(acme_parse_authz(j, len, &a));
    assert_string_equal(a.identifier, "example.test");
    assert_true(a.wildcard);
    assert_string_equal(a.status, "valid");
    assert_int_equal(a.n_challenges, 1);
    assert_string_equal(a.challenges[0].status, "valid");
    acme_authz_free(&a);
    free(j);

    j = fixture("authz-invalid.json", &len);
    assert_true(acme_parse_authz(j, len, &a));
    assert_string_equal(a.status, "invalid");
    assert_true(acme_problem_is(&a.challenges[0].error, "connection"));
    assert_string_equal(a.challenges[0].error.detail, "Connection refused");
    assert_int_equal(a.challenges[0].error.status, 400);
    acme_authz_free(&a);
    free(j);
}

/* Hostile authorizations, mostly through the challenge tokens. */
static void test_authz_hostile(void **state)
{
    (void)state;
    const char *I = "\"identifier\":{\"type\":\"dns\",\"value\":\"a.test\"}";
    const char *U = "\"url\":\"https://ca.test/ch/1\"";
    char *bad[] = {
        xasprintf("{\"status\":\"pending\",\"challenges\":[]}"),                        /* no identifier */
        xasprintf("{\"status\":\"pending\",\"identifier\":\"a.test\",\"challenges\":[]}"),
        xasprintf("{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":7},\"challenges\":[]}"),
        xasprintf("{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"a\\nb\"},\"challenges\":[]}"),
        xasprintf("{\"status\":\"pending\",\"identifier\":{\"value\":\"a.test\"},\"challenges\":[]}"),
        xasprintf("{\"status\":\"pending\",%s,\"wildcard\":\"yes\",\"challenges\":[]}", I),
        xasprintf("{\"status\":\"gone\",%s,\"challenges\":[]}", I),
        xasprintf("{%s,\"challenges\":[]}", I),
        xasprintf("{\"status\":\"pending\",%s}", I),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":{}}", I),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[\"http-01\"]}", I),
        /* tokens */
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",%s,\"status\":\"pending\",\"token\":\"../../etc/passwd\"}]}", I, U),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",%s,\"status\":\"pending\",\"token\":\"abc/def\"}]}", I, U),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"dns-01\",%s,\"status\":\"pending\",\"token\":\"abc def\"}]}", I, U),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",%s,\"status\":\"pending\",\"token\":\"abc=\"}]}", I, U),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",%s,\"status\":\"pending\",\"token\":\"\"}]}", I, U),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",%s,\"status\":\"pending\",\"token\":\"ab\\u0000cd\"}]}", I, U),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",%s,\"status\":\"pending\",\"token\":123}]}", I, U),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",%s,\"status\":\"pending\"}]}", I, U),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"tls-alpn-01\",%s,\"status\":\"pending\"}]}", I, U),
        /* other challenge members */
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",\"status\":\"pending\",\"token\":\"abc\"}]}", I),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",%s,\"token\":\"abc\"}]}", I, U),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",%s,\"status\":\"ready\",\"token\":\"abc\"}]}", I, U),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":5,%s,\"status\":\"pending\",\"token\":\"abc\"}]}", I, U),
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",%s,\"status\":\"invalid\",\"token\":\"abc\",\"error\":[]}]}", I, U),
        /* one good challenge, then a bad one: the whole authorization fails */
        xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"dns-01\",%s,\"status\":\"pending\",\"token\":\"abc\"},{\"type\":\"http-01\",%s,\"status\":\"pending\",\"token\":\"a/b\"}]}", I, U, U),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct acme_authz a;
        memset(&a, 0x5a, sizeof a);
        if (authz_of(bad[i], &a))
            fail_msg("accepted hostile authz %zu: %s", i, bad[i]);
        assert_null(a.identifier);
        assert_null(a.status);
        assert_null(a.challenges);
        assert_int_equal(a.n_challenges, 0);
        free(bad[i]);
    }

    /* Token length: 256 characters pass, 257 do not. */
    char tok[258];
    memset(tok, 'A', 257);
    tok[257] = '\0';
    for (int n = 256; n <= 257; n++) {
        tok[n] = '\0';
        char *j = xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"http-01\",%s,\"status\":\"pending\",\"token\":\"%s\"}]}", I, U, tok);
        struct acme_authz a;
        assert_int_equal(authz_of(j, &a), n == 256);
        acme_authz_free(&a);
        free(j);
        tok[n] = 'A';
    }

    /* An unknown challenge type needs no token, and an empty challenge list is not an error. */
    char *j = xasprintf("{\"status\":\"pending\",%s,\"challenges\":[{\"type\":\"new-02\",%s,\"status\":\"pending\"}]}", I, U);
    struct acme_authz a;
    assert_true(authz_of(j, &a));
    assert_null(a.challenges[0].token);
    acme_authz_free(&a);
    free(j);
    j = xasprintf("{\"status\":\"valid\",%s,\"challenges\":[]}", I);
    assert_true(authz_of(j, &a));
    assert_int_equal(a.n_challenges, 0);
    acme_authz_free(&a);
    free(j);
}

/* More challenges than any CA offers: refused; 32 pass. */
static void test_authz_huge(void **state)
{
    (void)state;
    for (int count = 32; count <= 33; count++) {
        struct buf b;
        buf_init(&b, 0);
        buf_puts(&b, "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.test\"},\"challenges\":[");
        for (int i = 0; i < count; i++)
            buf_printf(&b, "%s{\"type\":\"http-01\",\"url\":\"https://ca.test/ch/%d\",\"status\":\"pending\",\"token\":\"t%d\"}",
                       i ? "," : "", i, i);
        buf_puts(&b, "]}");
        struct acme_authz a;
        assert_int_equal(acme_parse_authz(b.data, b.len, &a), count == 32);
        acme_authz_free(&a);
        buf_free(&b);
    }
}

/* A challenge alone, as challenge_respond gets it back. */
static void test_challenge(void **state)
{
    (void)state;
    size_t len;
    struct acme_challenge ch;
    char *j = fixture("challenge-processing.json", &len);
    assert_true(acme_parse_challenge(j, len, &ch));
    assert_string_equal(ch.type, "http-01");
    assert_string_equal(ch.status, "processing");
    assert_string_equal(ch.token, "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA");
    acme_challenge_free(&ch);
    free(j);
    const char *bad[] = {
        "{\"type\":\"http-01\",\"status\":\"pending\",\"token\":\"abc\"}",
        "{\"type\":\"http-01\",\"url\":\"https://ca.test/c\",\"status\":\"pending\",\"token\":\"a b\"}",
        "{\"type\":\"http-01\",\"url\":\"https://ca.test/c\",\"status\":\"pending\",\"token\":\"a+b\"}",
        "{\"type\":\"http-01\",\"url\":\"https://ca.test/c\",\"status\":\"pending\"}",
        "{\"type\":\"http-01\",\"url\":\"https://ca.test/c\",\"status\":\"deactivated\",\"token\":\"ab\"}",
        "[]",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&ch, 0x5a, sizeof ch);
        assert_false(acme_parse_challenge(bad[i], strlen(bad[i]), &ch));
        assert_null(ch.type);
        assert_null(ch.token);
    }
}

/* Problem documents: fields, absent members, wrong types, the type helper. */
static void test_problem(void **state)
{
    (void)state;
    size_t len;
    struct acme_problem p;
    char *j = fixture("problem-badnonce.json", &len);
    assert_true(acme_parse_problem(j, len, &p));
    assert_string_equal(p.type, "urn:ietf:params:acme:error:badNonce");
    assert_int_equal(p.status, 400);
    assert_non_null(strstr(p.detail, "anti-replay"));
    assert_true(acme_problem_is(&p, "badNonce"));
    assert_false(acme_problem_is(&p, "badNonc"));
    assert_false(acme_problem_is(&p, "rateLimited"));
    acme_problem_free(&p);
    assert_null(p.type);
    free(j);

    j = fixture("problem-subproblems.json", &len);
    assert_true(acme_parse_problem(j, len, &p));
    assert_true(acme_problem_is(&p, "rejectedIdentifier"));
    acme_problem_free(&p);
    free(j);

    assert_true(acme_parse_problem("{}", 2, &p));
    assert_null(p.type);
    assert_null(p.detail);
    assert_int_equal(p.status, 0);
    assert_false(acme_problem_is(&p, "badNonce"));
    acme_problem_free(&p);

    /* Control characters in the detail are kept here; log_safe cleans them where they are logged. */
    const char *ok2 = "{\"type\":\"about:blank\",\"detail\":\"line1\\nline2\",\"status\":503}";
    assert_true(acme_parse_problem(ok2, strlen(ok2), &p));
    assert_int_equal(p.status, 503);
    assert_false(acme_problem_is(&p, "blank"));
    acme_problem_free(&p);

    const char *bad[] = {
        "{\"type\":7}",
        "{\"type\":\"urn:ietf:params:acme:error:x\",\"detail\":[\"a\"]}",
        "{\"status\":\"400\"}",
        "{\"status\":4000}",
        "{\"status\":400.5}",
        "{\"type\":\"a b\"}",
        "\"badNonce\"",
        "not json",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&p, 0x5a, sizeof p);
        if (acme_parse_problem(bad[i], strlen(bad[i]), &p))
            fail_msg("accepted hostile problem %zu: %s", i, bad[i]);
        assert_null(p.type);
        assert_null(p.detail);
    }
    struct acme_problem other = { .type = (char *)"urn:ietf:params:acme:error:badNonce" };
    assert_true(acme_problem_is(&other, "badNonce"));
    other.type = (char *)"urn:example:error:badNonce";
    assert_false(acme_problem_is(&other, "badNonce"));
    assert_false(acme_problem_is(NULL, "badNonce"));
}

/* Retry-After: delta-seconds, HTTP-date (all three forms), junk, bounds. */
/* Account objects: the CA's answer, deactivated ones, and hostile members that fail the whole object. */
static void test_account(void **state)
{
    (void)state;
    size_t len;
    char *json = fixture("account-valid.json", &len);
    struct acme_account a;
    assert_true(acme_parse_account(json, len, &a));
    assert_string_equal(a.status, "valid");
    assert_int_equal(a.n_contacts, 1);
    assert_string_equal(a.contacts[0], "mailto:hostmaster@example.test");
    assert_string_equal(a.orders_url, "https://127.0.0.1:14000/list-orderz/5");
    assert_false(a.tos_agreed);
    acme_account_free(&a);
    free(json);

    const char *deact = "{\"status\":\"deactivated\",\"termsOfServiceAgreed\":true}";
    assert_true(acme_parse_account(deact, strlen(deact), &a));
    assert_string_equal(a.status, "deactivated");
    assert_true(a.tos_agreed);
    assert_null(a.orders_url);
    acme_account_free(&a);

    static const char *const bad[] = {
        "{\"status\":\"sleeping\"}",                       /* not an account state */
        "{\"status\":1}",                                     /* wrong type */
        "{\"status\":\"valid\",\"contact\":\"mailto:a@b\"}", /* contact must be an array */
        "{\"status\":\"valid\",\"contact\":[\"mailto:a b\"]}",
        "{\"status\":\"valid\",\"contact\":[7]}",
        "{\"status\":\"valid\",\"orders\":\"ftp://x/\"}",
        "{\"status\":\"valid\",\"termsOfServiceAgreed\":\"yes\"}",
        "{\"status\":\"valid\",\"status\":\"revoked\"}",   /* duplicate member */
        "[\"valid\"]",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_false(acme_parse_account(bad[i], strlen(bad[i]), &a));
        assert_null(a.status);
        assert_null(a.contacts);
        assert_int_equal(a.n_contacts, 0);
    }
    /* one contact too many fails the object, the limit itself passes */
    char many[2048] = "{\"contact\":[";
    for (int i = 0; i <= ACME_MAX_CONTACTS; i++) {
        char one[48];
        snprintf(one, sizeof one, "%s\"mailto:c%d@example.test\"", i ? "," : "", i);
        strcat(many, one);
        if (i == ACME_MAX_CONTACTS - 1) {
            char ok[sizeof many + 4];
            snprintf(ok, sizeof ok, "%s]}", many);
            assert_true(acme_parse_account(ok, strlen(ok), &a));
            assert_int_equal(a.n_contacts, ACME_MAX_CONTACTS);
            assert_null(a.status);
            acme_account_free(&a);
        }
    }
    strcat(many, "]}");
    assert_false(acme_parse_account(many, strlen(many), &a));
}

static void test_retry_after(void **state)
{
    (void)state;
    const time_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
    assert_int_equal(acme_retry_after_parse("120", now), 120);
    assert_int_equal(acme_retry_after_parse(" 0 ", now), 0);
    assert_int_equal(acme_retry_after_parse("Wed, 21 Oct 2015 07:30:00 GMT", now), 120);
    assert_int_equal(acme_retry_after_parse("Wednesday, 21-Oct-15 07:29:00 GMT", now), 60);
    assert_int_equal(acme_retry_after_parse("Wed Oct 21 07:28:30 2015", now), 30);
    assert_int_equal(acme_retry_after_parse("Wed, 21 Oct 2015 07:00:00 GMT", now), 0); /* in the past */
    assert_int_equal(acme_retry_after_parse("99999999999999999999999999", now), ACME_RETRY_AFTER_MAX);
    assert_int_equal(acme_retry_after_parse("Fri, 01 Jan 2100 00:00:00 GMT", now), ACME_RETRY_AFTER_MAX);
    assert_int_equal(acme_retry_after_parse("soon", now), -1);
    assert_int_equal(acme_retry_after_parse("12abc", now), -1);
    assert_int_equal(acme_retry_after_parse("-5", now), -1);
    assert_int_equal(acme_retry_after_parse("", now), -1);
    assert_int_equal(acme_retry_after_parse(NULL, now), -1);
}

/* The URL check used on everything the CA points us at. */
static void test_url_ok(void **state)
{
    (void)state;
    assert_true(acme_url_ok("https://ca.test/acme/order/1"));
    assert_true(acme_url_ok("http://127.0.0.1:38010/dir"));
    assert_false(acme_url_ok("https://"));
    assert_false(acme_url_ok("file:///etc/passwd"));
    assert_false(acme_url_ok("ftp://ca.test/"));
    assert_false(acme_url_ok("/acme/order/1"));
    assert_false(acme_url_ok("https://ca.test/a b"));
    assert_false(acme_url_ok("https://ca.test/a\r\nX-Injected: 1"));
    assert_false(acme_url_ok(NULL));
    char *longurl = xmalloc(2100);
    memcpy(longurl, "https://ca.test/", 16);
    memset(longurl + 16, 'a', 2083);
    longurl[2099] = '\0';
    assert_false(acme_url_ok(longurl));
    longurl[2048] = '\0';
    assert_true(acme_url_ok(longurl));
    free(longurl);
    assert_true(acme_http_type_is("application/problem+json; charset=utf-8", "application/problem+json"));
    assert_true(acme_http_type_is("Application/PEM-Certificate-Chain", "application/pem-certificate-chain"));
    assert_false(acme_http_type_is("application/problem+jsonx", "application/problem+json"));
    assert_false(acme_http_type_is(NULL, "application/json"));
}

/* acme_result: init, clear, and a client with unusable options. */
static void test_result_and_client(void **state)
{
    (void)state;
    struct acme_result r;
    acme_result_init(&r);
    assert_int_equal(r.retry_after, -1);
    assert_int_equal(r.http_status, 0);
    r.location = xstrdup("https://ca.test/x");
    r.problem.type = xstrdup("urn:ietf:params:acme:error:badNonce");
    r.http_status = 400;
    acme_result_clear(&r);
    assert_null(r.location);
    assert_null(r.problem.type);
    assert_int_equal(r.retry_after, -1);
    assert_int_equal(r.http_status, 0);

    struct acme_opts bad = { .directory_url = "file:///etc/passwd" };
    assert_null(acme_client_new(&bad));
    assert_null(acme_client_new(NULL));
    struct acme_opts none = { 0 };
    assert_null(acme_client_new(&none));
    acme_client_free(NULL);

    /* A client on a port nobody listens on: transport error, with a message, no crash. */
    struct acme_opts o = { .directory_url = "https://127.0.0.1:9/dir", .timeout_ms = 2000 };
    struct acme_client *c = acme_client_new(&o);
    assert_non_null(c);
    assert_int_equal(acme_directory_load(c, &r), ACME_ERR_TRANSPORT);
    assert_true(strlen(r.error) > 0);
    char *kid = NULL;
    assert_int_equal(acme_account_new(c, NULL, NULL, &kid, &r), ACME_ERR_LOCAL);
    assert_null(kid);
    acme_result_clear(&r);
    acme_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_fixtures), cmocka_unit_test(test_order_hostile), cmocka_unit_test(test_order_huge),
        cmocka_unit_test(test_authz_fixtures), cmocka_unit_test(test_authz_hostile), cmocka_unit_test(test_authz_huge),
        cmocka_unit_test(test_challenge),      cmocka_unit_test(test_problem),       cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_url_ok),         cmocka_unit_test(test_result_and_client),
        cmocka_unit_test(test_account),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
