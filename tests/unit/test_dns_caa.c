/* test_dns_caa — RFC 8659 decisions of dns_caa_allows on CAA sets made by ldns from zone-file text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dns/dns.h"

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define LE "letsencrypt.org"

/* One case: the records at example.com (zone-file text), who asks, for what, and the verdict. */
struct caa_case {
    const char *what;
    const char *rrs[4]; /* RDATA of CAA records: "flags tag value" */
    const char *issuer;
    bool wildcard;
    bool allowed;
    const char *reason_has; /* a piece of the reason text */
};

static const struct caa_case cases[] = {
    { "no records allow anyone", { NULL }, LE, false, true, "no CAA records" },
    { "issue for the CA", { "0 issue \"letsencrypt.org\"" }, LE, false, true, "issue allows letsencrypt.org" },
    { "issue for another CA", { "0 issue \"sectigo.com\"" }, LE, false, false, "allows only sectigo.com" },
    { "issuer domain compares case-insensitively", { "0 issue \"LetsEncrypt.ORG\"" }, LE, false, true, "allows" },
    { "parameters after ';' are not part of the domain",
      { "0 issue \"letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1\"" }, LE, false, true,
      "allows" },
    { "blanks around the domain are ignored", { "0 issue \"  letsencrypt.org  ; validationmethods=dns-01\"" }, LE,
      false, true, "allows" },
    { "a trailing dot on the domain matches", { "0 issue \"letsencrypt.org.\"" }, LE, false, true, "allows" },
    { "issue \";\" forbids every CA", { "0 issue \";\"" }, LE, false, false, "forbids every CA" },
    { "an empty issue value forbids every CA", { "0 issue \"\"" }, LE, false, false, "forbids every CA" },
    { "one of several issue records suffices", { "0 issue \"sectigo.com\"", "0 issue \"letsencrypt.org\"" }, LE,
      false, true, "allows" },
    { "a suffix of the CA's domain is not the CA", { "0 issue \"encrypt.org\"" }, LE, false, false,
      "allows only encrypt.org" },
    { "a longer domain is not the CA", { "0 issue \"letsencrypt.org.evil.example\"" }, LE, false, false,
      "allows only" },
    { "issuewild rules wildcards when present",
      { "0 issue \"sectigo.com\"", "0 issuewild \"letsencrypt.org\"" }, LE, true, true, "issuewild allows" },
    { "issuewild does not rule plain names", { "0 issue \"sectigo.com\"", "0 issuewild \"letsencrypt.org\"" }, LE,
      false, false, "issue allows only sectigo.com" },
    { "issuewild \";\" forbids wildcards even when issue allows",
      { "0 issue \"letsencrypt.org\"", "0 issuewild \";\"" }, LE, true, false, "forbids every CA for wildcard" },
    { "without issuewild, issue rules wildcards", { "0 issue \"letsencrypt.org\"" }, LE, true, true,
      "issue allows" },
    { "without issuewild, issue forbids wildcards too", { "0 issue \"sectigo.com\"" }, LE, true, false,
      "allows only sectigo.com" },
    { "only issuewild: plain names are not restricted", { "0 issuewild \"sectigo.com\"" }, LE, false, true,
      "no issue property" },
    { "only issuewild for another CA: wildcards are", { "0 issuewild \"sectigo.com\"" }, LE, true, false,
      "issuewild allows only sectigo.com" },
    { "only iodef does not restrict", { "0 iodef \"mailto:security@example.com\"" }, LE, false, true,
      "no issue property" },
    { "an unknown critical property forbids",
      { "0 issue \"letsencrypt.org\"", "128 tbs \"Unknown\"" }, LE, false, false, "unknown critical property" },
    { "an unknown non-critical property is ignored", { "0 issue \"letsencrypt.org\"", "0 tbs \"Unknown\"" }, LE,
      false, true, "allows" },
    { "a known property flagged critical is honoured", { "128 issue \"letsencrypt.org\"" }, LE, false, true,
      "allows" },
    { "tags compare case-insensitively", { "0 ISSUE \"sectigo.com\"" }, LE, false, false, "allows only sectigo.com" },
    { "an unknown critical tag forbids wildcards too", { "128 future \"x\"" }, LE, true, false,
      "unknown critical property" },
};

/* Builds the set of a case with ldns, as a resolver answer would arrive. */
static struct dns_caa_set *caa_set_of(const struct caa_case *c)
{
    struct dns_caa_set *set = dns_caa_set_new(c->rrs[0] ? "example.com" : NULL);
    for (size_t i = 0; i < 4 && c->rrs[i]; i++) {
        char line[512];
        ldns_rr *rr = NULL;
        snprintf(line, sizeof line, "example.com. 300 IN CAA %s", c->rrs[i]);
        assert_int_equal(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL), LDNS_STATUS_OK);
        assert_true(dns_caa_set_add_rr(set, rr));
        ldns_rr_free(rr);
    }
    return set;
}

/* Every row of the table. */
static void test_caa_table(void **state)
{
    (void)state;
    assert_true(sizeof cases / sizeof cases[0] >= 15);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct caa_case *c = &cases[i];
        struct dns_caa_set *set = caa_set_of(c);
        char reason[300] = "";
        bool got = dns_caa_allows(set, c->issuer, c->wildcard, reason, sizeof reason);
        if (got != c->allowed || !strstr(reason, c->reason_has))
            fail_msg("case %zu \"%s\": allowed=%d (want %d), reason \"%s\" (want \"%s\" in it)", i, c->what, got,
                     c->allowed, reason, c->reason_has);
        dns_caa_set_free(set);
    }
}

/* No set at all (lookup found nothing) allows, as an empty one does. */
static void test_caa_null_set(void **state)
{
    (void)state;
    char reason[100];
    assert_true(dns_caa_allows(NULL, LE, false, reason, sizeof reason));
    assert_true(dns_caa_allows(NULL, LE, true, NULL, 0));
}

/* Records keep flags, tag and value as published; the reason names where the set was found. */
static void test_caa_record_fields(void **state)
{
    (void)state;
    static const struct caa_case c = { "fields", { "128 issue \"ca.example; x=y\"" }, LE, false, false, "" };
    struct dns_caa_set *set = caa_set_of(&c);
    assert_int_equal(set->n, 1);
    assert_int_equal(set->records[0].flags, 128);
    assert_string_equal(set->records[0].tag, "issue");
    assert_string_equal(set->records[0].value, "ca.example; x=y");
    char reason[200];
    assert_false(dns_caa_allows(set, LE, false, reason, sizeof reason));
    assert_non_null(strstr(reason, "CAA at example.com"));
    assert_true(dns_caa_allows(set, "CA.Example", false, reason, sizeof reason));
    dns_caa_set_free(set);
}

/* Only CAA records go in, and at most DNS_MAX_RRSET of them. */
static void test_caa_add_limits(void **state)
{
    (void)state;
    struct dns_caa_set *set = dns_caa_set_new("example.com");
    ldns_rr *txt = NULL, *caa = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&txt, "example.com. 300 IN TXT \"0 issue x\"", 0, NULL, NULL),
                     LDNS_STATUS_OK);
    assert_false(dns_caa_set_add_rr(set, txt));
    assert_int_equal(ldns_rr_new_frm_str(&caa, "example.com. 300 IN CAA 0 issue \"sectigo.com\"", 0, NULL, NULL),
                     LDNS_STATUS_OK);
    for (int i = 0; i < DNS_MAX_RRSET; i++)
        assert_true(dns_caa_set_add_rr(set, caa));
    assert_false(dns_caa_set_add_rr(set, caa));
    assert_int_equal(set->n, DNS_MAX_RRSET);
    char reason[200];
    assert_false(dns_caa_allows(set, LE, false, reason, sizeof reason));
    ldns_rr_free(txt);
    ldns_rr_free(caa);
    dns_caa_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caa_table),
        cmocka_unit_test(test_caa_null_set),
        cmocka_unit_test(test_caa_record_fields),
        cmocka_unit_test(test_caa_add_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
