/* test_dns_tsig — TSIG keys in BIND syntax (tsig-keygen output and variants), refusals, and certmill's
 * own TSIG signing (used for hmac-sha224/384, which ldns lacks) checked against ldns's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dns/dns.h"
#include "dns/internal.h"

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SECRET "fI5S0QwFhlNW9FHJQGHKrqLq9SIKmdWfh3WWthAZCxE="

/* Parses text for want and checks the key found. */
static void parse_ok(const char *text, const char *want, const char *name, const char *alg, const char *secret)
{
    struct dns_tsig *k = NULL;
    char err[300] = "";
    if (!dns_tsig_parse(text, want, &k, err, sizeof err))
        fail_msg("refused: %s\n---\n%s", err, text);
    assert_string_equal(k->name, name);
    assert_string_equal(k->algorithm, alg);
    assert_string_equal(k->secret, secret);
    dns_tsig_free(k);
}

/* Parses text, expects a refusal whose reason holds piece (and never the secret). */
static void parse_bad(const char *text, const char *want, const char *piece)
{
    struct dns_tsig *k = NULL;
    char err[300] = "";
    if (dns_tsig_parse(text, want, &k, err, sizeof err))
        fail_msg("accepted:\n%s", text);
    assert_null(k);
    if (!strstr(err, piece))
        fail_msg("reason \"%s\" lacks \"%s\"", err, piece);
    assert_null(strstr(err, "fI5S0Qw"));
}

/* tsig-keygen's output, as the test stack has it. */
static void test_keygen_output(void **state)
{
    (void)state;
    parse_ok("key \"certmill-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET "\";\n};\n", NULL,
             "certmill-key", "hmac-sha256", SECRET);
}

/* Whitespace, comments, quoting and case variants BIND accepts. */
static void test_syntax_variants(void **state)
{
    (void)state;
    parse_ok("key \"k1\" { algorithm hmac-sha512; secret \"" SECRET "\"; };", NULL, "k1", "hmac-sha512", SECRET);
    parse_ok("# made by hand\n// another comment\n/* a\n block */ key k2 {\n  secret \"" SECRET
             "\"; # secret first\n  algorithm HMAC-SHA1; /* alg */\n} ;\n",
             NULL, "k2", "hmac-sha1", SECRET);
    parse_ok("KEY \"k3.example.\"\n{\nALGORITHM hmac-md5.sig-alg.reg.int;\nSECRET\n"
             "\"fI5S0QwFhlNW9FHJ QGHKrqLq9SIKmdWf\nh3WWthAZCxE=\";\n};",
             NULL, "k3.example", "hmac-md5", SECRET);
    parse_ok("key \"k4\" { algorithm \"hmac-sha384\"; secret " SECRET "; };", NULL, "k4", "hmac-sha384", SECRET);
    parse_ok("key k5 { algorithm hmac-sha224.; secret \"" SECRET "\"; };", NULL, "k5", "hmac-sha224", SECRET);
}

/* A file with several keys (or other statements): the first key, or the one asked for. */
static void test_several_keys(void **state)
{
    (void)state;
    const char *text = "options { directory \"/tmp\"; };\n"
                       "key \"a\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n"
                       "key \"b\" { algorithm hmac-sha512; secret \"c2VjcmV0\"; };\n";
    parse_ok(text, NULL, "a", "hmac-sha256", SECRET);
    parse_ok(text, "b", "b", "hmac-sha512", "c2VjcmV0");
    parse_ok(text, "B.", "b", "hmac-sha512", "c2VjcmV0");
    parse_bad(text, "c", "no key \"c\"");
    parse_bad("options { };", NULL, "no key statement");
    parse_bad("", NULL, "no key statement");
}

/* What must be refused, with a reason naming the fault. */
static void test_refusals(void **state)
{
    (void)state;
    parse_bad("key \"k\" { algorithm hmac-sha3; secret \"" SECRET "\"; };", NULL, "unknown algorithm");
    parse_bad("key \"k\" { algorithm gss-tsig; secret \"" SECRET "\"; };", NULL, "unknown algorithm");
    parse_bad("key \"k\" { algorithm hmac-sha256; };", NULL, "has no secret");
    parse_bad("key \"k\" { secret \"" SECRET "\"; };", NULL, "has no algorithm");
    parse_bad("key \"k\" { algorithm hmac-sha256; secret \"abc\"; };", NULL, "not base64");
    parse_bad("key \"k\" { algorithm hmac-sha256; secret \"ab=c\"; };", NULL, "not base64");
    parse_bad("key \"k\" { algorithm hmac-sha256; secret \"a!bc\"; };", NULL, "not base64");
    parse_bad("key \"k\" { algorithm hmac-sha256; secret \"====\"; };", NULL, "not base64");
    parse_bad("key \"k\" { algorithm hmac-sha256; secret \"\"; };", NULL, "has no secret");
    parse_bad("key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; secret \"" SECRET "\"; };", NULL,
              "two secret clauses");
    parse_bad("key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; foo bar; };", NULL, "unknown clause");
    parse_bad("key \"k\" { algorithm hmac-sha256 secret \"" SECRET "\"; };", NULL, "';' expected");
    parse_bad("key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; }", NULL, "';' expected after key");
    parse_bad("key \"k\" { algorithm hmac-sha256; secret \"" SECRET, NULL, "unterminated string");
    parse_bad("key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\";", NULL, "unterminated key");
    parse_bad("/* never closed\nkey \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; };", NULL,
              "unterminated comment");
    parse_bad("key \"bad name!\" { algorithm hmac-sha256; secret \"" SECRET "\"; };", NULL, "TSIG key name");
    parse_bad("key { algorithm hmac-sha256; };", NULL, "key name expected");
}

/* Settings as the API stores them (name, algorithm, secret) go through the same checks. */
static void test_tsig_from(void **state)
{
    (void)state;
    struct dns_tsig *k = NULL;
    char err[200];
    assert_true(dns_tsig_from("certmill-key.", NULL, SECRET, &k, err, sizeof err));
    assert_string_equal(k->name, "certmill-key");
    assert_string_equal(k->algorithm, "hmac-sha256");
    dns_tsig_free(k);
    assert_true(dns_tsig_from("k", "HMAC-MD5.SIG-ALG.REG.INT.", " " SECRET "\n", &k, err, sizeof err));
    assert_string_equal(k->algorithm, "hmac-md5");
    assert_string_equal(k->secret, SECRET);
    dns_tsig_free(k);
    assert_false(dns_tsig_from("k", "hmac-sha3-256", SECRET, &k, err, sizeof err));
    assert_non_null(strstr(err, "unknown algorithm"));
    assert_false(dns_tsig_from("k", NULL, NULL, &k, err, sizeof err));
    assert_non_null(strstr(err, "no secret"));
    assert_false(dns_tsig_from("k", NULL, "c2VjcmV0=", &k, err, sizeof err));
    assert_null(strstr(err, "c2VjcmV0"));
    assert_false(dns_tsig_from("", NULL, SECRET, &k, err, sizeof err));
    assert_null(k);
}

/* Key files: read from disk; missing files and wrong content name the path. */
static void test_keyfile(void **state)
{
    (void)state;
    char path[] = "/tmp/test_dns_tsig_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "key \"file-key\" {\n\talgorithm hmac-sha384;\n\tsecret \"" SECRET "\";\n};\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct dns_tsig *k = NULL;
    char err[400];
    assert_true(dns_tsig_parse_keyfile(path, NULL, &k, err, sizeof err));
    assert_string_equal(k->name, "file-key");
    assert_string_equal(k->algorithm, "hmac-sha384");
    dns_tsig_free(k);
    assert_false(dns_tsig_parse_keyfile(path, "other", &k, err, sizeof err));
    assert_non_null(strstr(err, path));
    unlink(path);
    assert_false(dns_tsig_parse_keyfile(path, NULL, &k, err, sizeof err));
    assert_non_null(strstr(err, "No such file"));
    assert_false(dns_tsig_parse_keyfile("/tmp", NULL, &k, err, sizeof err));
    assert_non_null(strstr(err, "not a regular file"));
}

/* An update message like the ones dns_update_txt sends. */
static ldns_pkt *make_update(void)
{
    ldns_rr *rr = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr, "_acme-challenge.www.example.test. 60 IN TXT \"abc\"", 0, NULL, NULL),
                     LDNS_STATUS_OK);
    ldns_rr_list *up = ldns_rr_list_new();
    ldns_rr_list_push_rr(up, rr);
    ldns_pkt *p = ldns_update_pkt_new(ldns_dname_new_frm_str("example.test"), LDNS_RR_CLASS_IN, NULL, up, NULL);
    ldns_rr_list_deep_free(up);
    ldns_pkt_set_id(p, 4711);
    return p;
}

/* Renders a signed packet and parses it back, as the receiver sees it. */
static ldns_pkt *roundtrip(const ldns_pkt *p, uint8_t **wire, size_t *len)
{
    ldns_pkt *back = NULL;
    assert_int_equal(ldns_pkt2wire(wire, p, len), LDNS_STATUS_OK);
    assert_int_equal(ldns_wire2pkt(&back, *wire, *len), LDNS_STATUS_OK);
    assert_non_null(ldns_pkt_tsig(back));
    return back;
}

/* Our own signing and verifying agree with ldns's for an algorithm both know, both ways; tampering
 * and a wrong secret are caught. */
static void test_own_tsig_matches_ldns(void **state)
{
    (void)state;
    struct dns_tsig *k = NULL, *wrong = NULL;
    char err[200];
    assert_true(dns_tsig_from("certmill-key", "hmac-sha256", SECRET, &k, err, sizeof err));
    assert_true(dns_tsig_from("certmill-key", "hmac-sha256", "c2VjcmV0c2VjcmV0", &wrong, err, sizeof err));

    /* ours -> ldns */
    ldns_pkt *p = make_update();
    assert_true(dns_tsig_sign_own(p, k, (uint64_t)time(NULL), err, sizeof err));
    uint8_t *wire = NULL;
    size_t len = 0;
    ldns_pkt *back = roundtrip(p, &wire, &len);
    assert_true(ldns_pkt_tsig_verify(back, wire, len, "certmill-key", SECRET, NULL));
    assert_false(ldns_pkt_tsig_verify(back, wire, len, "certmill-key", "c2VjcmV0c2VjcmV0", NULL));
    assert_true(dns_tsig_verify_own(wire, len, back, k, NULL));
    assert_false(dns_tsig_verify_own(wire, len, back, wrong, NULL));
    /* One flipped byte in the TXT value. */
    uint8_t *hit = memmem(wire, len, "abc", 3);
    assert_non_null(hit);
    hit[0] = 'x';
    ldns_pkt *bent = NULL;
    assert_int_equal(ldns_wire2pkt(&bent, wire, len), LDNS_STATUS_OK);
    assert_false(dns_tsig_verify_own(wire, len, bent, k, NULL));
    ldns_pkt_free(bent);
    free(wire);
    ldns_pkt_free(back);
    ldns_pkt_free(p);

    /* ldns -> ours */
    p = make_update();
    assert_true(dns_tsig_sign(p, k, err, sizeof err));
    back = roundtrip(p, &wire, &len);
    assert_true(dns_tsig_verify_own(wire, len, back, k, NULL));
    free(wire);
    ldns_pkt_free(back);
    ldns_pkt_free(p);
    dns_tsig_free(k);
    dns_tsig_free(wrong);
}

/* hmac-sha224 and hmac-sha384 (our code): sign, verify, MAC lengths, wrong secret refused. */
static void test_own_tsig_sha2_variants(void **state)
{
    (void)state;
    static const struct {
        const char *alg;
        size_t maclen;
        const char *dname;
    } v[] = { { "hmac-sha224", 28, "hmac-sha224." }, { "hmac-sha384", 48, "hmac-sha384." } };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct dns_tsig *k = NULL, *wrong = NULL;
        char err[200];
        assert_false(dns_tsig_ldns_knows(v[i].alg));
        assert_string_equal(dns_tsig_alg_dname(v[i].alg), v[i].dname);
        assert_true(dns_tsig_from("k", v[i].alg, SECRET, &k, err, sizeof err));
        assert_true(dns_tsig_from("k", v[i].alg, "c2VjcmV0c2VjcmV0", &wrong, err, sizeof err));
        ldns_pkt *p = make_update();
        assert_true(dns_tsig_sign(p, k, err, sizeof err));
        uint8_t *wire = NULL;
        size_t len = 0;
        ldns_pkt *back = roundtrip(p, &wire, &len);
        const ldns_rr *t = ldns_pkt_tsig(back);
        assert_int_equal(ldns_rdf_size(ldns_rr_rdf(t, 3)), v[i].maclen + 2);
        assert_true(dns_tsig_verify_own(wire, len, back, k, NULL));
        assert_false(dns_tsig_verify_own(wire, len, back, wrong, NULL));
        free(wire);
        ldns_pkt_free(back);
        ldns_pkt_free(p);
        dns_tsig_free(k);
        dns_tsig_free(wrong);
    }
    assert_true(dns_tsig_ldns_knows("hmac-sha256"));
    assert_string_equal(dns_tsig_alg_dname("hmac-md5"), "hmac-md5.sig-alg.reg.int.");
    assert_null(dns_tsig_alg_dname("hmac-sha3"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen_output),     cmocka_unit_test(test_syntax_variants),
        cmocka_unit_test(test_several_keys),      cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_tsig_from),         cmocka_unit_test(test_keyfile),
        cmocka_unit_test(test_own_tsig_matches_ldns), cmocka_unit_test(test_own_tsig_sha2_variants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
