/*
 * test_ip — IP identifiers (RFC 8738): canonical forms and refusals, the reverse-DNS
 * names of TLS-ALPN-01 both ways, the challenge certificate's iPAddress SAN, an "ip"
 * authorization, and the mapping of a CA's refusal of addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "acme/acme.h"
#include "alpn/cert.h"
#include "alpn/hello.h"
#include "crypto/key.h"
#include "ident/ident.h"
#include "ident/ip.h"
#include "worker/step.h"

#include <jansson.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ip_case {
    const char *in;
    enum ip_rc rc;
    const char *out; /* canonical text when IP_OK */
};

static const struct ip_case ip_cases[] = {
    /* IPv4: the dotted quad as it is */
    { "192.0.2.1", IP_OK, "192.0.2.1" },
    { "127.0.0.1", IP_OK, "127.0.0.1" },
    { "0.0.0.0", IP_OK, "0.0.0.0" },
    { "255.255.255.255", IP_OK, "255.255.255.255" },
    /* IPv6: RFC 5952 (lowercase, leading zeros dropped, longest zero run compressed, first on a tie) */
    { "2001:DB8::1", IP_OK, "2001:db8::1" },
    { "2001:0db8:0000:0000:0000:0000:0000:0001", IP_OK, "2001:db8::1" },
    { "2001:db8:0:0:1:0:0:1", IP_OK, "2001:db8::1:0:0:1" },
    { "2001:db8:0:1:1:1:1:1", IP_OK, "2001:db8:0:1:1:1:1:1" }, /* one zero group is not compressed */
    { "2001:db8::0:0:1", IP_OK, "2001:db8::1" },
    { "0:0:0:0:0:0:0:1", IP_OK, "::1" },
    { "::", IP_OK, "::" },
    { "[2001:db8::a]", IP_OK, "2001:db8::a" },
    { "FE80::ABCD", IP_OK, "fe80::abcd" },
    /* not meant as an address: DNS names */
    { "example.com", IP_NOT_IP, NULL },
    { "1.2.3.example", IP_NOT_IP, NULL },
    { "123", IP_NOT_IP, NULL },
    { "*.example.com", IP_NOT_IP, NULL },
    { "", IP_NOT_IP, NULL },
    { "[]", IP_NOT_IP, NULL },
    /* IPv4 forms that are not the dotted quad */
    { "1.2.3", IP_ERR_V4_FORM, NULL },
    { "1.2.3.4.5", IP_ERR_V4_FORM, NULL },
    { "192.0.2.01", IP_ERR_V4_FORM, NULL },
    { "256.0.0.1", IP_ERR_V4_FORM, NULL },
    { "192.0.2.1.", IP_ERR_V4_FORM, NULL },
    { "1..2.3", IP_ERR_V4_FORM, NULL },
    /* IPv6 forms */
    { "2001:db8::g", IP_ERR_V6_FORM, NULL },
    { "1::2::3", IP_ERR_V6_FORM, NULL },
    { "[2001:db8::1", IP_ERR_V6_FORM, NULL },
    { "2001:db8::1]", IP_ERR_V6_FORM, NULL },
    { "example.com:443", IP_ERR_V6_FORM, NULL },
    { "fe80::1%eth0", IP_ERR_ZONE, NULL },
    { "[fe80::1%25eth0]", IP_ERR_ZONE, NULL },
    { "::ffff:192.0.2.1", IP_ERR_MAPPED, NULL },
    { "::FFFF:c000:0201", IP_ERR_MAPPED, NULL },
    { "::192.0.2.1", IP_ERR_MAPPED, NULL },
    /* wildcards */
    { "*.192.0.2.1", IP_ERR_WILDCARD, NULL },
    { "192.0.2.*", IP_ERR_WILDCARD, NULL },
    { "*.2001:db8::1", IP_ERR_WILDCARD, NULL },
};

/* Every case of the table: result, and the canonical text when valid. */
static void test_ip_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ip_cases / sizeof ip_cases[0]; i++) {
        const struct ip_case *c = &ip_cases[i];
        struct ip_addr ip;
        enum ip_rc rc = ip_normalize(c->in, strlen(c->in), &ip);
        if (rc != c->rc)
            fail_msg("\"%s\": got %s, want %s", c->in, ip_rc_name(rc), ip_rc_name(c->rc));
        if (c->out) {
            assert_string_equal(ip.text, c->out);
            assert_true(ip_is_canonical(c->out));
            /* Canonical is a fixed point. */
            struct ip_addr again;
            assert_int_equal(ip_normalize(ip.text, strlen(ip.text), &again), IP_OK);
            assert_string_equal(again.text, ip.text);
        } else {
            assert_string_equal(ip.text, "");
        }
    }
    assert_false(ip_is_canonical("2001:DB8::1"));
    assert_false(ip_is_canonical("[::1]"));
    assert_false(ip_is_canonical("example.com"));
    assert_false(ip_is_canonical(NULL));
}

/* Input that is not a string of its length, or too long to be an address, never reads past it. */
static void test_ip_limits(void **state)
{
    (void)state;
    struct ip_addr ip;
    assert_int_equal(ip_normalize("1.2.3.4\0.5", 10, &ip), IP_NOT_IP);
    assert_int_equal(ip_normalize("1.2.3.4junk", 7, &ip), IP_OK); /* len bounds the read */
    assert_string_equal(ip.text, "1.2.3.4");
    char big[300];
    memset(big, '1', sizeof big);
    big[1] = ':';
    assert_int_equal(ip_normalize(big, sizeof big, &ip), IP_ERR_V6_FORM);
    memset(big, 'a', sizeof big);
    assert_int_equal(ip_normalize(big, sizeof big, &ip), IP_NOT_IP);
    assert_int_equal(ip_normalize(NULL, 0, &ip), IP_NOT_IP);
    for (int i = 0; i < IP_ERR_COUNT; i++) {
        assert_true(strlen(ip_reason((enum ip_rc)i)) > 3);
        assert_string_not_equal(ip_rc_name((enum ip_rc)i), "?");
    }
}

/* ident_normalize: an address first, a DNS name otherwise; the kind of refusal; the ACME type. */
static void test_ident(void **state)
{
    (void)state;
    struct ident_name n;
    const char *reason = NULL;
    assert_int_equal(ident_normalize("2001:DB8::1", 11, &n, &reason), IDENT_OK);
    assert_string_equal(n.name, "2001:db8::1");
    assert_true(n.ip);
    assert_false(n.wildcard);
    assert_int_equal(ident_normalize("*.Example.COM", 13, &n, &reason), IDENT_OK);
    assert_string_equal(n.name, "*.example.com");
    assert_false(n.ip);
    assert_true(n.wildcard);
    assert_int_equal(ident_normalize("*.192.0.2.1", 11, &n, &reason), IDENT_ERR_IP_WILDCARD);
    assert_string_equal(reason, ip_reason(IP_ERR_WILDCARD));
    assert_string_equal(n.name, "");
    assert_int_equal(ident_normalize("fe80::1%lo", 10, &n, &reason), IDENT_ERR_IP);
    assert_string_equal(reason, ip_reason(IP_ERR_ZONE));
    assert_int_equal(ident_normalize("a_b.example", 11, &n, &reason), IDENT_ERR_DOMAIN);
    assert_string_equal(reason, domain_reason(DOMAIN_ERR_CHAR));
    /* Fullwidth digits map to an address under IDNA: refused as a DNS name, never taken as one. */
    const char *fw = "\xef\xbc\x91.\xef\xbc\x92.\xef\xbc\x93.\xef\xbc\x94";
    assert_int_equal(ident_normalize(fw, strlen(fw), &n, &reason), IDENT_ERR_DOMAIN);
    assert_string_equal(reason, domain_reason(DOMAIN_ERR_IP_ADDRESS));
    assert_string_equal(ident_acme_type("192.0.2.1"), "ip");
    assert_string_equal(ident_acme_type("::1"), "ip");
    assert_string_equal(ident_acme_type("example.com"), "dns");
    assert_string_equal(ident_acme_type("*.example.com"), "dns");
}

/* RFC 8738 §6 and RFC 3596 §2.5: the reverse names, both ways. */
static void test_reverse_names(void **state)
{
    (void)state;
    static const struct {
        const char *ip, *rev;
    } cases[] = {
        { "127.0.0.1", "1.0.0.127.in-addr.arpa" },
        { "192.0.2.10", "10.2.0.192.in-addr.arpa" },
        { "0.0.0.0", "0.0.0.0.in-addr.arpa" },
        { "2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa" },
        { "fe80::abcd", "d.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa" },
        { "::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ip_addr ip, back;
        char rev[IP_REVERSE_MAX];
        assert_int_equal(ip_normalize(cases[i].ip, strlen(cases[i].ip), &ip), IP_OK);
        assert_true(ip_reverse_name(&ip, rev, sizeof rev));
        assert_string_equal(rev, cases[i].rev);
        assert_true(ip_from_reverse_name(cases[i].rev, &back));
        assert_string_equal(back.text, cases[i].ip);
        /* Case and one trailing dot do not matter (Go's resolver writes one). */
        char upper[IP_REVERSE_MAX + 1];
        size_t n = strlen(rev);
        for (size_t k = 0; k < n; k++)
            upper[k] = (rev[k] >= 'a' && rev[k] <= 'z') ? (char)(rev[k] - 'a' + 'A') : rev[k];
        upper[n] = '.';
        upper[n + 1] = '\0';
        assert_true(ip_from_reverse_name(upper, &back));
        assert_string_equal(back.text, cases[i].ip);
    }
    struct ip_addr ip;
    char small[10];
    assert_int_equal(ip_normalize("127.0.0.1", 9, &ip), IP_OK);
    assert_false(ip_reverse_name(&ip, small, sizeof small));
    /* Partial, overlong, padded, out of range or not a reverse name at all. */
    static const char *const bad[] = {
        "0.127.in-addr.arpa", "1.1.0.0.127.in-addr.arpa", "01.0.0.127.in-addr.arpa", "256.0.0.127.in-addr.arpa",
        "1.0..127.in-addr.arpa", "in-addr.arpa", ".in-addr.arpa", "a.0.0.127.in-addr.arpa",
        "1.0.0.0.ip6.arpa", "10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
        "g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "example.com",
        "1.0.0.127.in-addr.arpa..", "", "1.0.0.127.in-addr.arpa.example",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ip_from_reverse_name(bad[i], &ip))
            fail_msg("\"%s\" was taken as %s", bad[i], ip.text);
        assert_string_equal(ip.text, "");
    }
    assert_false(ip_from_reverse_name(NULL, &ip));
}

/* certmill-alpn's name for an SNI: the address of a reverse name, else the DNS name; no wildcard. */
static void test_alpn_lookup_name(void **state)
{
    (void)state;
    char name[DOMAIN_MAX_LEN + 1];
    assert_true(alpn_hello_lookup_name("1.0.0.127.in-addr.arpa", name, sizeof name));
    assert_string_equal(name, "127.0.0.1");
    assert_true(alpn_hello_lookup_name("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", name,
                                       sizeof name));
    assert_string_equal(name, "2001:db8::1");
    assert_true(alpn_hello_lookup_name("A.Example.Test.", name, sizeof name));
    assert_string_equal(name, "a.example.test");
    /* A partial reverse name is just a DNS name (it cannot match an address's challenge). */
    assert_true(alpn_hello_lookup_name("0.127.in-addr.arpa", name, sizeof name));
    assert_string_equal(name, "0.127.in-addr.arpa");
    assert_false(alpn_hello_lookup_name("*.example.test", name, sizeof name));
    assert_string_equal(name, "");
    assert_false(alpn_hello_lookup_name("127.0.0.1", name, sizeof name)); /* an address is not a host_name */
    assert_false(alpn_hello_lookup_name("a.example", name, 10));
}

/* The TLS-ALPN-01 certificate of an address has exactly one SAN, the iPAddress (RFC 8738 §6). */
static void test_alpn_cert_ip_san(void **state)
{
    (void)state;
    EVP_PKEY *key = key_generate(KEY_EC_P256);
    static const struct {
        const char *name;
        const unsigned char bytes[16];
        int len;
    } cases[] = {
        { "127.0.0.1", { 127, 0, 0, 1 }, 4 },
        { "2001:db8::1", { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 16 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        X509 *x = alpn_cert_build(cases[i].name, "tok.thumb", key);
        assert_non_null(x);
        GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
        assert_int_equal(sk_GENERAL_NAME_num(gens), 1);
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, 0);
        assert_int_equal(g->type, GEN_IPADD);
        assert_int_equal(ASN1_STRING_length(g->d.iPAddress), cases[i].len);
        assert_memory_equal(ASN1_STRING_get0_data(g->d.iPAddress), cases[i].bytes, (size_t)cases[i].len);
        GENERAL_NAMES_free(gens);
        X509_free(x);
    }
    /* A DNS name stays a dNSName. */
    X509 *x = alpn_cert_build("a.example.test", "tok.thumb", key);
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    assert_int_equal(sk_GENERAL_NAME_value(gens, 0)->type, GEN_DNS);
    GENERAL_NAMES_free(gens);
    X509_free(x);
    EVP_PKEY_free(key);
}

/* Reads fixtures/acme/<name> (tests run from tests/unit). */
static char *fixture(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "fixtures/acme/%s", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[65536];
    *len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

/* An authorization with an "ip" identifier: parsed, marked, and its value in canonical text. */
static void test_authz_ip(void **state)
{
    (void)state;
    size_t len;
    char *j = fixture("authz-ip-pending.json", &len);
    struct acme_authz a;
    assert_true(acme_parse_authz(j, len, &a));
    assert_true(a.ip);
    assert_false(a.wildcard);
    assert_string_equal(a.identifier, "2001:db8::1");
    assert_int_equal(a.n_challenges, 2);
    acme_authz_free(&a);
    /* A DNS authorization is not an address. */
    j = fixture("authz-pending.json", &len);
    assert_true(acme_parse_authz(j, len, &a));
    assert_false(a.ip);
    assert_string_equal(a.identifier, "a.example.test");
    acme_authz_free(&a);
    /* An "ip" identifier that is no address is not a valid authorization. */
    const char *bad = "{\"status\":\"pending\",\"identifier\":{\"type\":\"ip\",\"value\":\"example.com\"},"
                      "\"challenges\":[]}";
    assert_false(acme_parse_authz(bad, strlen(bad), &a));
}

/* The CA's refusal of addresses fails an order that has one as ip_identifier_unsupported; others are untouched. */
static void test_ca_refuses_ip(void **state)
{
    (void)state;
    json_t *with_ip = json_pack("[s,s]", "a.example.test", "192.0.2.1");
    json_t *dns_only = json_pack("[s]", "a.example.test");
    static const char *const refusals[] = { "problem-rejected-ip.json", "problem-unsupported-identifier.json" };
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        char *j = fixture(refusals[i], &len);
        struct acme_problem p;
        assert_true(acme_parse_problem(j, len, &p));
        assert_true(step_ip_refusal(&p, with_ip));
        assert_false(step_ip_refusal(&p, dns_only)); /* a DNS name refused is the CA's ordinary rejection */
        acme_problem_free(&p);
    }
    size_t len;
    char *j = fixture("problem-badnonce.json", &len);
    struct acme_problem p;
    assert_true(acme_parse_problem(j, len, &p));
    assert_false(step_ip_refusal(&p, with_ip));
    acme_problem_free(&p);
    assert_false(step_ip_refusal(NULL, with_ip));
    assert_true(step_ip_any(with_ip));
    assert_false(step_ip_any(dns_only));
    json_decref(with_ip);
    json_decref(dns_only);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip_table),
        cmocka_unit_test(test_ip_limits),
        cmocka_unit_test(test_ident),
        cmocka_unit_test(test_reverse_names),
        cmocka_unit_test(test_alpn_lookup_name),
        cmocka_unit_test(test_alpn_cert_ip_san),
        cmocka_unit_test(test_authz_ip),
        cmocka_unit_test(test_ca_refuses_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
