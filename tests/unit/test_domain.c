/* test_domain — the domain validator's table: valid names, each refusal reason, IDN, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ident/domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct domain_case {
    const char *in;        /* NULL: built by the test (lengths) */
    enum domain_rc rc;
    const char *out;       /* expected normalised name when DOMAIN_OK */
    bool wildcard;
};

static const struct domain_case domain_cases[] = {
    /* valid, and normalisation */
    { "example.com", DOMAIN_OK, "example.com", false },
    { "a.b", DOMAIN_OK, "a.b", false },
    { "WWW.Example.COM", DOMAIN_OK, "www.example.com", false },
    { "example.com.", DOMAIN_OK, "example.com", false },
    { "xn--bcher-kva.de", DOMAIN_OK, "xn--bcher-kva.de", false },
    { "XN--BCHER-KVA.DE", DOMAIN_OK, "xn--bcher-kva.de", false },
    { "b\xc3\xbc" "cher.de", DOMAIN_OK, "xn--bcher-kva.de", false },           /* bücher.de */
    { "B\xc3\x9c" "CHER.de", DOMAIN_OK, "xn--bcher-kva.de", false },           /* BÜCHER.de: mapped to lowercase */
    { "\xe4\xbe\x8b\xe3\x81\x88.jp", DOMAIN_OK, "xn--r8jz45g.jp", false },     /* 例え.jp */
    { "fa\xc3\x9f.de", DOMAIN_OK, "xn--fa-hia.de", false },                    /* faß.de: non-transitional keeps ß */
    { "\xef\xbd\x85\xef\xbd\x98.com", DOMAIN_OK, "ex.com", false },             /* fullwidth "ex" mapped */
    { "*.example.com", DOMAIN_OK, "*.example.com", true },
    { "*.Sub.Example.com.", DOMAIN_OK, "*.sub.example.com", true },
    { "*.b\xc3\xbc" "cher.de", DOMAIN_OK, "*.xn--bcher-kva.de", true },
    { "1.2.3.example", DOMAIN_OK, "1.2.3.example", false },
    { "123.example.com", DOMAIN_OK, "123.example.com", false },
    { "a-b.c-d.example", DOMAIN_OK, "a-b.c-d.example", false },
    { "example.c0m", DOMAIN_OK, "example.c0m", false },
    /* refused */
    { "", DOMAIN_ERR_EMPTY, NULL, false },
    { ".", DOMAIN_ERR_EMPTY, NULL, false },
    { "example..com", DOMAIN_ERR_LABEL_EMPTY, NULL, false },
    { ".example.com", DOMAIN_ERR_LABEL_EMPTY, NULL, false },
    { "example.com..", DOMAIN_ERR_LABEL_EMPTY, NULL, false },
    { "foo_bar.example.com", DOMAIN_ERR_CHAR, NULL, false },
    { "foo bar.example.com", DOMAIN_ERR_CHAR, NULL, false },
    { "foo/bar.example.com", DOMAIN_ERR_CHAR, NULL, false },
    { "-foo.example.com", DOMAIN_ERR_HYPHEN, NULL, false },
    { "foo-.example.com", DOMAIN_ERR_HYPHEN, NULL, false },
    { "ab--cd.example.com", DOMAIN_ERR_RESERVED_LABEL, NULL, false },
    { "xn--zzzzzzzzzzz-9999.example.com", DOMAIN_ERR_BAD_ALABEL, NULL, false },
    { "xn--abc.example.com", DOMAIN_ERR_BAD_ALABEL, NULL, false },
    { "localhost", DOMAIN_ERR_SINGLE_LABEL, NULL, false },
    { "com", DOMAIN_ERR_SINGLE_LABEL, NULL, false },
    { "example.123", DOMAIN_ERR_NUMERIC_TLD, NULL, false },
    { "1.2.3.4", DOMAIN_ERR_IP_ADDRESS, NULL, false },
    { "192.0.2.1.", DOMAIN_ERR_IP_ADDRESS, NULL, false },
    { "2001:db8::1", DOMAIN_ERR_IP_ADDRESS, NULL, false },
    { "[::1]", DOMAIN_ERR_IP_ADDRESS, NULL, false },
    { "\xef\xbc\x91.\xef\xbc\x92.\xef\xbc\x93.\xef\xbc\x94", DOMAIN_ERR_IP_ADDRESS, NULL, false }, /* fullwidth 1.2.3.4 */
    { "*", DOMAIN_ERR_WILDCARD_BARE, NULL, false },
    { "*.", DOMAIN_ERR_WILDCARD_BARE, NULL, false },
    { "*.com", DOMAIN_ERR_WILDCARD_TLD, NULL, false },
    { "foo.*.example.com", DOMAIN_ERR_WILDCARD_POSITION, NULL, false },
    { "*.*.example.com", DOMAIN_ERR_WILDCARD_POSITION, NULL, false },
    { "*foo.example.com", DOMAIN_ERR_WILDCARD_POSITION, NULL, false },
    { "f*o.example.com", DOMAIN_ERR_WILDCARD_POSITION, NULL, false },
    { "example.com*", DOMAIN_ERR_WILDCARD_POSITION, NULL, false },
    { "\xf0\x9f\x98\x80.example.com", DOMAIN_ERR_IDN, NULL, false },           /* an emoji label */
};

/* Runs the whole table. */
static void test_domain_table(void **state)
{
    (void)state;
    size_t failures = 0;
    for (size_t i = 0; i < sizeof domain_cases / sizeof domain_cases[0]; i++) {
        const struct domain_case *c = &domain_cases[i];
        struct domain_name dn;
        enum domain_rc rc = domain_normalize(c->in, strlen(c->in), &dn);
        if (rc != c->rc) {
            fprintf(stderr, "case %zu \"%s\": got %s, want %s\n", i, c->in, domain_rc_name(rc),
                    domain_rc_name(c->rc));
            failures++;
            continue;
        }
        if (rc == DOMAIN_OK && (strcmp(dn.name, c->out) != 0 || dn.wildcard != c->wildcard)) {
            fprintf(stderr, "case %zu \"%s\": got \"%s\" (wildcard %d), want \"%s\" (%d)\n", i, c->in, dn.name,
                    dn.wildcard, c->out, c->wildcard);
            failures++;
        }
        if (rc != DOMAIN_OK)
            assert_string_equal(dn.name, "");
    }
    assert_int_equal(failures, 0);
}

/* Builds a name of labels of the given lengths, joined by dots. */
static char *make_name(const char *prefix, int label_len, int n_labels, const char *suffix)
{
    size_t cap = strlen(prefix) + (size_t)(label_len + 1) * (size_t)n_labels + strlen(suffix) + 1;
    char *s = calloc(1, cap);
    strcat(s, prefix);
    for (int i = 0; i < n_labels; i++) {
        size_t n = strlen(s);
        memset(s + n, 'a' + (i % 26), (size_t)label_len);
        s[n + (size_t)label_len] = '.';
        s[n + (size_t)label_len + 1] = '\0';
    }
    strcat(s, suffix);
    return s;
}

/* Labels of exactly 63 pass, 64 fail. */
static void test_domain_label_length(void **state)
{
    (void)state;
    struct domain_name dn;
    char *ok = make_name("", 63, 1, "com");
    char *bad = make_name("", 64, 1, "com");
    assert_int_equal(domain_normalize(ok, strlen(ok), &dn), DOMAIN_OK);
    assert_int_equal(domain_normalize(bad, strlen(bad), &dn), DOMAIN_ERR_LABEL_TOO_LONG);
    free(ok);
    free(bad);
}

/* A valid name of exactly total characters (197..259): a label of total - 196, three of 63, "com". */
static void name_of_len(char *s, size_t total)
{
    size_t a = total - 196;
    memset(s, 'x', a);
    s[a] = '\0';
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(s);
        s[n] = '.';
        memset(s + n + 1, 'b' + i, 63);
        s[n + 64] = '\0';
    }
    strcat(s, ".com");
}

/* Names of exactly 253 pass, 254 fail; the wildcard's "*." counts; a trailing dot does not. */
static void test_domain_name_length(void **state)
{
    (void)state;
    struct domain_name dn;
    char s[300], w[310];
    name_of_len(s, 253);
    assert_int_equal(strlen(s), 253);
    assert_int_equal(domain_normalize(s, strlen(s), &dn), DOMAIN_OK);
    assert_int_equal(strlen(dn.name), 253);
    strcat(s, ".");
    assert_int_equal(domain_normalize(s, strlen(s), &dn), DOMAIN_OK); /* 253 + the trailing dot */
    name_of_len(s, 254);
    assert_int_equal(strlen(s), 254);
    assert_int_equal(domain_normalize(s, strlen(s), &dn), DOMAIN_ERR_TOO_LONG);
    name_of_len(s, 251);
    snprintf(w, sizeof w, "*.%s", s);
    assert_int_equal(strlen(w), 253);
    assert_int_equal(domain_normalize(w, strlen(w), &dn), DOMAIN_OK);
    assert_true(dn.wildcard);
    name_of_len(s, 252);
    snprintf(w, sizeof w, "*.%s", s);
    assert_int_equal(domain_normalize(w, strlen(w), &dn), DOMAIN_ERR_TOO_LONG);
}

/* Oversized input is refused before any conversion; an embedded NUL is a bad character. */
static void test_domain_input_limits(void **state)
{
    (void)state;
    struct domain_name dn;
    char *big = calloc(1, DOMAIN_MAX_INPUT + 2);
    memset(big, 'a', DOMAIN_MAX_INPUT + 1);
    assert_int_equal(domain_normalize(big, strlen(big), &dn), DOMAIN_ERR_TOO_LONG);
    free(big);
    assert_int_equal(domain_normalize("exa\0mple.com", 12, &dn), DOMAIN_ERR_CHAR);
    /* an IDN label of 60 characters whose A-label form passes 63 */
    char idn[400] = "";
    for (int i = 0; i < 60; i++)
        strcat(idn, "\xc3\xbc");
    strcat(idn, ".de");
    assert_int_equal(domain_normalize(idn, strlen(idn), &dn), DOMAIN_ERR_LABEL_TOO_LONG);
}

/* Names that differ only in case, trailing dot or IDN form normalise to the same text. */
static void test_domain_duplicates_normalise_equal(void **state)
{
    (void)state;
    const char *forms[] = { "xn--bcher-kva.de", "B\xc3\xbc" "cher.DE", "b\xc3\xbc" "cher.de.", "XN--BCHER-KVA.de" };
    struct domain_name first, dn;
    assert_int_equal(domain_normalize(forms[0], strlen(forms[0]), &first), DOMAIN_OK);
    for (size_t i = 1; i < sizeof forms / sizeof forms[0]; i++) {
        assert_int_equal(domain_normalize(forms[i], strlen(forms[i]), &dn), DOMAIN_OK);
        assert_string_equal(dn.name, first.name);
    }
}

/* Every result has a name and a reason. */
static void test_domain_reasons(void **state)
{
    (void)state;
    for (int i = 0; i < DOMAIN_ERR_COUNT; i++) {
        assert_non_null(domain_reason((enum domain_rc)i));
        assert_true(strlen(domain_reason((enum domain_rc)i)) > 3);
        assert_string_not_equal(domain_rc_name((enum domain_rc)i), "?");
    }
    assert_string_equal(domain_rc_name(DOMAIN_ERR_IP_ADDRESS), "ip_address");
    assert_non_null(strstr(domain_reason(DOMAIN_ERR_IP_ADDRESS), "IP"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_table),
        cmocka_unit_test(test_domain_label_length),
        cmocka_unit_test(test_domain_name_length),
        cmocka_unit_test(test_domain_input_limits),
        cmocka_unit_test(test_domain_duplicates_normalise_equal),
        cmocka_unit_test(test_domain_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
