/*
 * test_alpn_cert — the TLS-ALPN-01 challenge certificate (RFC 8737 §3), checked by
 * decoding its DER with OpenSSL, and the bounded ClientHello readers that pick it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alpn/cert.h"
#include "alpn/hello.h"
#include "crypto/key.h"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* SHA-256("tok.thumb"), computed outside OpenSSL (Python hashlib). */
static const unsigned char tok_thumb_sha256[32] = {
    0xb1, 0x80, 0x30, 0x56, 0xba, 0x83, 0xb5, 0x53, 0xae, 0x25, 0x9b, 0xc0, 0x1e, 0xea, 0xd2, 0x01,
    0x83, 0xe8, 0x12, 0xde, 0x5f, 0x15, 0x5f, 0xc2, 0xe1, 0xb7, 0x52, 0x38, 0xe5, 0xbe, 0xa3, 0x96,
};

/* Builds a certificate, encodes it to DER and decodes it again, so every check reads what a CA would receive. */
static X509 *build_roundtrip(const char *name, const char *ka, EVP_PKEY *key, unsigned char **der, int *derlen)
{
    X509 *x = alpn_cert_build(name, ka, key);
    assert_non_null(x);
    *der = NULL;
    *derlen = i2d_X509(x, der);
    assert_true(*derlen > 0);
    X509_free(x);
    const unsigned char *p = *der;
    X509 *back = d2i_X509(NULL, &p, *derlen);
    assert_non_null(back);
    assert_ptr_equal(p, *der + *derlen); /* nothing trailing */
    return back;
}

/* True when needle occurs in hay. */
static bool mem_has(const unsigned char *hay, size_t hlen, const unsigned char *needle, size_t nlen)
{
    for (size_t i = 0; i + nlen <= hlen; i++)
        if (memcmp(hay + i, needle, nlen) == 0)
            return true;
    return false;
}

/* Every requirement of RFC 8737 §3, plus self-signature and a short validity. */
static void test_cert_rfc8737(void **state)
{
    (void)state;
    EVP_PKEY *key = key_generate(KEY_EC_P256);
    assert_non_null(key);
    const char *name = "a-1.example.test";
    unsigned char *der;
    int derlen;
    X509 *x = build_roundtrip(name, "tok.thumb", key, &der, &derlen);

    assert_int_equal(X509_get_version(x), X509_VERSION_3);

    /* subjectAltName: exactly one entry, a dNSName equal to the name. */
    int crit = -1;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    assert_non_null(gens);
    assert_int_equal(sk_GENERAL_NAME_num(gens), 1);
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, 0);
    int type;
    const ASN1_IA5STRING *dns = GENERAL_NAME_get0_value(g, &type);
    assert_int_equal(type, GEN_DNS);
    assert_int_equal(ASN1_STRING_length(dns), (int)strlen(name));
    assert_memory_equal(ASN1_STRING_get0_data(dns), name, strlen(name));
    GENERAL_NAMES_free(gens);

    /* acmeIdentifier: once, critical, value = DER OCTET STRING of the SHA-256. */
    ASN1_OBJECT *oid = OBJ_txt2obj(ALPN_ACME_IDENTIFIER_OID, 1);
    assert_non_null(oid);
    int at = X509_get_ext_by_OBJ(x, oid, -1);
    assert_true(at >= 0);
    assert_int_equal(X509_get_ext_by_OBJ(x, oid, at), -1);
    X509_EXTENSION *ext = X509_get_ext(x, at);
    assert_int_equal(X509_EXTENSION_get_critical(ext), 1);
    ASN1_OCTET_STRING *value = X509_EXTENSION_get_data(ext);
    assert_int_equal(ASN1_STRING_length(value), 34);
    const unsigned char *v = ASN1_STRING_get0_data(value);
    assert_int_equal(v[0], 0x04); /* OCTET STRING */
    assert_int_equal(v[1], 32);
    assert_memory_equal(v + 2, tok_thumb_sha256, 32);
    const unsigned char *p = v;
    ASN1_OCTET_STRING *inner = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(value));
    assert_non_null(inner);
    assert_int_equal(ASN1_STRING_length(inner), 32);
    assert_memory_equal(ASN1_STRING_get0_data(inner), tok_thumb_sha256, 32);
    ASN1_OCTET_STRING_free(inner);
    ASN1_OBJECT_free(oid);

    /* The same, byte for byte in the DER: Extension ::= SEQUENCE { OID 1.3.6.1.5.5.7.1.31, TRUE, OCTET STRING { OCTET STRING } }. */
    unsigned char want[2 + 10 + 3 + 2 + 2 + 32] = { 0x30, 0x31, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01,
                                                     0x1f, 0x01, 0x01, 0xff, 0x04, 0x22, 0x04, 0x20 };
    memcpy(want + 19, tok_thumb_sha256, 32);
    assert_true(mem_has(der, (size_t)derlen, want, sizeof want));

    /* Self-signed with the given key, which it certifies. */
    assert_int_equal(X509_verify(x, key), 1);
    EVP_PKEY *pub = X509_get0_pubkey(x);
    assert_non_null(pub);
    assert_int_equal(EVP_PKEY_eq(pub, key), 1);
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);

    /* Valid now, and for a short time only. */
    time_t now = time(NULL);
    assert_true(X509_cmp_time(X509_get0_notBefore(x), &now) < 0);
    assert_true(X509_cmp_time(X509_get0_notAfter(x), &now) > 0);
    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
    assert_true(days * 86400 + secs <= 2 * 86400);

    /* Positive serial. */
    const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
    assert_int_equal(ASN1_STRING_type(serial), V_ASN1_INTEGER);

    X509_free(x);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
}

/* One key serves many names: only the certificate (and its serial) changes. */
static void test_cert_per_name(void **state)
{
    (void)state;
    EVP_PKEY *key = key_generate(KEY_EC_P256);
    X509 *a = alpn_cert_build("one.example.test", "t1.th", key);
    X509 *b = alpn_cert_build("one.example.test", "t1.th", key);
    X509 *c = alpn_cert_build("two.example.test", "t2.th", key);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)), 0);
    assert_true(X509_check_host(c, "two.example.test", 0, 0, NULL) == 1);
    assert_true(X509_check_host(c, "one.example.test", 0, 0, NULL) == 0);
    X509_free(a);
    X509_free(b);
    X509_free(c);
    EVP_PKEY_free(key);
}

/* The builder is not tied to EC keys. */
static void test_cert_rsa_key(void **state)
{
    (void)state;
    EVP_PKEY *key = key_generate(KEY_RSA_2048);
    X509 *x = alpn_cert_build("rsa.example.test", "tok.thumb", key);
    assert_non_null(x);
    assert_int_equal(X509_verify(x, key), 1);
    X509_free(x);
    EVP_PKEY_free(key);
}

/* Missing or oversized inputs give NULL, not a certificate. */
static void test_cert_refuses(void **state)
{
    (void)state;
    EVP_PKEY *key = key_generate(KEY_EC_P256);
    char longname[300];
    memset(longname, 'a', sizeof longname);
    longname[254] = '\0';
    assert_null(alpn_cert_build(NULL, "k", key));
    assert_null(alpn_cert_build("", "k", key));
    assert_null(alpn_cert_build(longname, "k", key));
    assert_null(alpn_cert_build("a.example.test", NULL, key));
    assert_null(alpn_cert_build("a.example.test", "k", NULL));
    EVP_PKEY_free(key);
}

/* ProtocolNameList: found at any position, absent, and malformed lists. */
static void test_hello_alpn(void **state)
{
    (void)state;
    static const unsigned char l1[] = "\x02h2\x0a" "acme-tls/1\x08http/1.1";
    size_t at = 0;
    assert_true(alpn_hello_offers(l1, sizeof l1 - 1, "acme-tls/1", &at));
    assert_int_equal(at, 4);
    assert_memory_equal(l1 + at, "acme-tls/1", 10);
    assert_true(alpn_hello_offers(l1, sizeof l1 - 1, "http/1.1", NULL));
    assert_false(alpn_hello_offers(l1, sizeof l1 - 1, "acme-tls/2", NULL));
    assert_false(alpn_hello_offers(l1, sizeof l1 - 1, "acme-tls", NULL)); /* a prefix is not a match */
    static const unsigned char only[] = "\x0a" "acme-tls/1";
    assert_true(alpn_hello_offers(only, sizeof only - 1, "acme-tls/1", NULL));
    /* An entry running past the end, an empty entry, an empty list. */
    assert_false(alpn_hello_offers(only, sizeof only - 2, "acme-tls/1", NULL));
    static const unsigned char empty_entry[] = "\x0a" "acme-tls/1\x00";
    assert_false(alpn_hello_offers(empty_entry, sizeof empty_entry - 1, "acme-tls/1", NULL));
    assert_false(alpn_hello_offers(only, 0, "acme-tls/1", NULL));
    assert_false(alpn_hello_offers(NULL, 5, "acme-tls/1", NULL));
    /* A length byte claiming 255 bytes after a valid entry. */
    static const unsigned char over[] = "\x0a" "acme-tls/1\xff" "ab";
    assert_false(alpn_hello_offers(over, sizeof over - 1, "acme-tls/1", NULL));

    /* The whole extension: its 2-byte length must cover the list exactly. */
    static const unsigned char ext[] = "\x00\x0b\x0a" "acme-tls/1";
    assert_true(alpn_hello_ext_offers(ext, sizeof ext - 1, "acme-tls/1"));
    static const unsigned char ext_long[] = "\x00\x0c\x0a" "acme-tls/1";
    assert_false(alpn_hello_ext_offers(ext_long, sizeof ext_long - 1, "acme-tls/1"));
    assert_false(alpn_hello_ext_offers(ext, 1, "acme-tls/1"));
}

/* server_name: the host_name is copied lowercase; anything malformed or odd is refused. */
static void test_hello_sni(void **state)
{
    (void)state;
    char name[256];
    static const unsigned char ok[] = "\x00\x13\x00\x00\x10" "A-1.Example.TEST";
    assert_true(alpn_hello_sni(ok, sizeof ok - 1, name, sizeof name));
    assert_string_equal(name, "a-1.example.test");
    /* An unknown name type first is skipped. */
    static const unsigned char typed[] = "\x00\x0b\x07\x00\x02xy\x00\x00\x03" "a.b";
    assert_true(alpn_hello_sni(typed, sizeof typed - 1, name, sizeof name));
    assert_string_equal(name, "a.b");
    /* Only other types: no host name. */
    static const unsigned char none[] = "\x00\x05\x07\x00\x02xy";
    assert_false(alpn_hello_sni(none, sizeof none - 1, name, sizeof name));
    /* Outer length wrong, inner length past the end, truncated header, empty name. */
    static const unsigned char bad_outer[] = "\x00\x14\x00\x00\x10" "a-1.example.test";
    assert_false(alpn_hello_sni(bad_outer, sizeof bad_outer - 1, name, sizeof name));
    static const unsigned char bad_inner[] = "\x00\x13\x00\x00\x11" "a-1.example.test";
    assert_false(alpn_hello_sni(bad_inner, sizeof bad_inner - 1, name, sizeof name));
    static const unsigned char trunc[] = "\x00\x02\x00\x00";
    assert_false(alpn_hello_sni(trunc, sizeof trunc - 1, name, sizeof name));
    static const unsigned char empty[] = "\x00\x03\x00\x00\x00";
    assert_false(alpn_hello_sni(empty, sizeof empty - 1, name, sizeof name));
    assert_false(alpn_hello_sni(ok, 1, name, sizeof name));
    /* Characters a DNS name in SNI never holds: NUL, '_', space, '*', UTF-8. */
    static const unsigned char nul[] = "\x00\x06\x00\x00\x03" "a\x00" "b";
    assert_false(alpn_hello_sni(nul, sizeof nul - 1, name, sizeof name));
    static const unsigned char under[] = "\x00\x06\x00\x00\x03" "a_b";
    assert_false(alpn_hello_sni(under, sizeof under - 1, name, sizeof name));
    static const unsigned char space[] = "\x00\x06\x00\x00\x03" "a b";
    assert_false(alpn_hello_sni(space, sizeof space - 1, name, sizeof name));
    static const unsigned char star[] = "\x00\x06\x00\x00\x03" "*.b";
    assert_false(alpn_hello_sni(star, sizeof star - 1, name, sizeof name));
    static const unsigned char utf8[] = "\x00\x07\x00\x00\x04" "\xc3\xa9.b";
    assert_false(alpn_hello_sni(utf8, sizeof utf8 - 1, name, sizeof name));
    /* A name that does not fit the buffer (with its NUL) is refused, not cut. */
    char small[16];
    assert_false(alpn_hello_sni(ok, sizeof ok - 1, small, sizeof small));
    char exact[17];
    assert_true(alpn_hello_sni(ok, sizeof ok - 1, exact, sizeof exact));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cert_rfc8737), cmocka_unit_test(test_cert_per_name),
        cmocka_unit_test(test_cert_rsa_key), cmocka_unit_test(test_cert_refuses),
        cmocka_unit_test(test_hello_alpn),   cmocka_unit_test(test_hello_sni),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
