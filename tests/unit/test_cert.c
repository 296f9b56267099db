/* test_cert — keys, CSRs checked with OpenSSL, and reading a chain made at test time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/xalloc.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* Key type names are the API's, both ways. */
static void test_key_types(void **state)
{
    (void)state;
    const char *names[] = { "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096" };
    for (int i = 0; i < KEY_TYPE_COUNT; i++) {
        assert_int_equal(key_type_parse(names[i]), i);
        assert_string_equal(key_type_name((enum key_type)i), names[i]);
    }
    assert_int_equal(key_type_parse("rsa-1024"), -1);
    assert_int_equal(key_type_parse("EC-P256"), -1);
    assert_int_equal(key_type_parse(""), -1);
    assert_int_equal(key_type_parse(NULL), -1);
}

/* Every key type generates, survives PEM out and in, and is recognised. */
static void test_key_generate_pem(void **state)
{
    (void)state;
    for (int t = 0; t < KEY_TYPE_COUNT; t++) {
        EVP_PKEY *k = key_generate((enum key_type)t);
        assert_non_null(k);
        assert_int_equal(key_type_of(k), t);
        size_t len = 0;
        char *pem = key_to_pem(k, &len);
        assert_non_null(pem);
        assert_int_equal(strlen(pem), len);
        assert_int_equal(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0); /* PKCS#8 */
        EVP_PKEY *back = key_from_pem(pem, len);
        assert_non_null(back);
        assert_int_equal(EVP_PKEY_eq(back, k), 1);
        assert_int_equal(key_type_of(back), t);
        xfree_secret(pem, len);
        EVP_PKEY_free(back);
        EVP_PKEY_free(k);
    }
}

/* Not-keys and keys that are not ours. */
static void test_key_refuses(void **state)
{
    (void)state;
    const char junk[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert_null(key_from_pem(junk, strlen(junk)));
    assert_null(key_from_pem("hello", 5));
    assert_null(key_from_pem("", 0));
    assert_null(key_from_pem(NULL, 10));
    assert_null(key_generate((enum key_type)99));

    /* An encrypted PEM is refused without prompting for a passphrase. */
    EVP_PKEY *k = key_generate(KEY_EC_P256);
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PKCS8PrivateKey(b, k, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"secret"), 1);
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    assert_true(n > 0);
    assert_non_null(strstr(data, "ENCRYPTED"));
    assert_null(key_from_pem(data, (size_t)n));
    BIO_free(b);
    EVP_PKEY_free(k);

    /* Curves and sizes outside the list are not ours. */
    EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    assert_int_equal(key_type_of(p521), -1);
    EVP_PKEY_free(p521);
    EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_int_equal(key_type_of(rsa1024), -1);
    EVP_PKEY_free(rsa1024);
    assert_int_equal(key_type_of(NULL), -1);
}

/* The dNSName SANs of a CSR, in order; *n is their count. */
static char **csr_sans(X509_REQ *req, size_t *n)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    assert_non_null(exts);
    GENERAL_NAMES *gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
    assert_non_null(gens);
    char **out = calloc((size_t)sk_GENERAL_NAME_num(gens) + 1, sizeof *out);
    *n = 0;
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        assert_int_equal(g->type, GEN_DNS);
        out[(*n)++] = strndup((const char *)ASN1_STRING_get0_data(g->d.dNSName), (size_t)ASN1_STRING_length(g->d.dNSName));
    }
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return out;
}

/* Makes a CSR, parses it back with OpenSSL, verifies its signature and checks the names. */
static void check_csr(enum key_type t, const char *const *names, size_t n, const char *want_cn)
{
    EVP_PKEY *k = key_generate(t);
    unsigned char *der = NULL;
    size_t derlen = 0;
    assert_true(csr_make(k, names, n, &der, &derlen));
    const unsigned char *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)derlen);
    assert_non_null(req);
    assert_ptr_equal(p, der + derlen); /* exactly one DER object, nothing after it */
    EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
    assert_int_equal(EVP_PKEY_eq(pub, k), 1);
    assert_int_equal(X509_REQ_verify(req, pub), 1);
    size_t got = 0;
    char **sans = csr_sans(req, &got);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(sans[i], names[i]);
        free(sans[i]);
    }
    free(sans);
    char cn[256] = "";
    int cnlen = X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof cn);
    if (want_cn)
        assert_string_equal(cn, want_cn);
    else
        assert_int_equal(cnlen, -1);
    /* Changing a byte of the signed part breaks the signature: the verify above means something. */
    der[derlen / 2] ^= 0x01;
    p = der;
    X509_REQ *bad = d2i_X509_REQ(NULL, &p, (long)derlen);
    if (bad)
        assert_int_not_equal(X509_REQ_verify(bad, pub), 1);
    X509_REQ_free(bad);
    X509_REQ_free(req);
    free(der);
    EVP_PKEY_free(k);
}

/* Two names with EC and RSA keys; a wildcard; a first name too long for the CN. */
static void test_csr(void **state)
{
    (void)state;
    const char *two[] = { "a.example.test", "b.example.test" };
    check_csr(KEY_EC_P256, two, 2, "a.example.test");
    check_csr(KEY_RSA_2048, two, 2, "a.example.test");
    check_csr(KEY_EC_P384, two, 2, "a.example.test");
    const char *wild[] = { "*.example.test", "example.test" };
    check_csr(KEY_EC_P256, wild, 2, "*.example.test");
    const char *longname[] = {
        "a-very-long-label-that-goes-on-and-on-and-on.and-another-label-for-length.example.test", "short.example.test"
    };
    check_csr(KEY_EC_P256, longname, 2, NULL);
}

/* Bad arguments and names are refused. */
static void test_csr_refuses(void **state)
{
    (void)state;
    EVP_PKEY *k = key_generate(KEY_EC_P256);
    unsigned char *der = NULL;
    size_t derlen = 0;
    const char *ok[] = { "a.example.test" };
    const char *space[] = { "a.example.test", "b example.test" };
    const char *empty[] = { "" };
    const char *ctrl[] = { "a.example.test\n" };
    const char *null[] = { "a.example.test", NULL };
    assert_false(csr_make(k, ok, 0, &der, &derlen));
    assert_false(csr_make(NULL, ok, 1, &der, &derlen));
    assert_false(csr_make(k, space, 2, &der, &derlen));
    assert_false(csr_make(k, empty, 1, &der, &derlen));
    assert_false(csr_make(k, ctrl, 1, &der, &derlen));
    assert_false(csr_make(k, null, 2, &der, &derlen));
    assert_null(der);
    EVP_PKEY_free(k);
}

/* Signs a certificate for subject key pub with issuer (NULL: self-signed CA). */
static X509 *make_cert(EVP_PKEY *pub, EVP_PKEY *signer, X509 *issuer, const char *cn, const char *serial_hex,
                       const char *san, time_t nb, time_t na)
{
    X509 *x = X509_new();
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    BIGNUM *bn = NULL;
    assert_true(BN_hex2bn(&bn, serial_hex) > 0);
    assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
    BN_free(bn);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
    assert_int_equal(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name), 1);
    assert_int_equal(X509_set_pubkey(x, pub), 1);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, issuer ? "critical,CA:FALSE" : "critical,CA:TRUE");
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    if (san) {
        ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
        assert_non_null(ext);
        assert_int_equal(X509_add_ext(x, ext, -1), 1);
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
    return x;
}

/* PEM text of a certificate (caller frees). */
static char *pem_of(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *out = strndup(data, (size_t)n);
    BIO_free(b);
    return out;
}

/* A chain made here (CA + leaf with SANs) is split, and its serial, dates and names read. */
static void test_parse_chain(void **state)
{
    (void)state;
    EVP_PKEY *ca_key = key_generate(KEY_EC_P256), *leaf_key = key_generate(KEY_EC_P256);
    const time_t nb = 1767225600;      /* 2026-01-01T00:00:00Z */
    const time_t na = nb + 90 * 86400; /* 90 days */
    X509 *ca = make_cert(ca_key, ca_key, NULL, "Test CA", "01", NULL, nb - 86400, na + 86400);
    X509 *leaf = make_cert(leaf_key, ca_key, ca, "a.example.test", "00ABCDEF0102",
                           "DNS:a.example.test,IP:127.0.0.1,DNS:b.example.test,email:x@example.test", nb, na);
    char *leaf_pem = pem_of(leaf), *ca_pem = pem_of(ca);
    /* As a CA may send it: blank lines and text around the blocks. */
    char *chain = xasprintf("\n%s\nsome text between\n%s\n", leaf_pem, ca_pem);

    struct cert_info ci;
    assert_true(cert_parse_chain(chain, strlen(chain), &ci));
    assert_string_equal(ci.leaf_pem, leaf_pem);
    assert_string_equal(ci.chain_pem, ca_pem);
    char *full = xasprintf("%s%s", leaf_pem, ca_pem);
    assert_string_equal(ci.fullchain_pem, full);
    assert_string_equal(ci.serial, "abcdef0102");
    assert_int_equal(ci.not_before, nb);
    assert_int_equal(ci.not_after, na);
    assert_int_equal(ci.n_names, 3); /* dNSNames and the iPAddress as text, in SAN order; not the e-mail */
    assert_string_equal(ci.names[0], "a.example.test");
    assert_string_equal(ci.names[1], "127.0.0.1");
    assert_string_equal(ci.names[2], "b.example.test");
    assert_true(cert_info_matches_key(&ci, leaf_key));
    assert_false(cert_info_matches_key(&ci, ca_key));
    EVP_PKEY *other = key_generate(KEY_RSA_2048);
    assert_false(cert_info_matches_key(&ci, other));
    EVP_PKEY_free(other);
    assert_false(cert_info_matches_key(&ci, NULL));
    assert_false(cert_info_matches_key(NULL, leaf_key));
    cert_info_free(&ci);
    assert_null(ci.leaf_pem);
    assert_null(ci.leaf);

    /* A second certificate under the same issuers (the chain text as before): the chain
     * comes from the thread's last one, the leaf is this one. */
    EVP_PKEY *key2 = key_generate(KEY_EC_P256);
    X509 *leaf2 = make_cert(key2, ca_key, ca, "c.example.test", "0123", "DNS:c.example.test", nb, na);
    char *leaf2_pem = pem_of(leaf2);
    char *chain2 = xasprintf("\n%s\nsome text between\n%s\n", leaf2_pem, ca_pem);
    assert_true(cert_parse_chain(chain2, strlen(chain2), &ci));
    assert_string_equal(ci.leaf_pem, leaf2_pem);
    assert_string_equal(ci.chain_pem, ca_pem);
    assert_string_equal(ci.serial, "123");
    assert_int_equal(ci.n_names, 1);
    assert_string_equal(ci.names[0], "c.example.test");
    assert_true(cert_info_matches_key(&ci, key2));
    assert_false(cert_info_matches_key(&ci, leaf_key));
    cert_info_free(&ci);
    /* The same issuers after a broken leaf: no certificate, whatever the thread read before. */
    char *broken = xasprintf("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n\nsome text between\n%s\n",
                             ca_pem);
    assert_false(cert_parse_chain(broken, strlen(broken), &ci));
    /* Other issuers: read afresh. */
    char *chain3 = xasprintf("%s%s", leaf2_pem, leaf_pem);
    assert_true(cert_parse_chain(chain3, strlen(chain3), &ci));
    assert_string_equal(ci.chain_pem, leaf_pem);
    cert_info_free(&ci);
    free(chain3);
    free(broken);
    free(chain2);
    free(leaf2_pem);
    X509_free(leaf2);
    EVP_PKEY_free(key2);

    /* Only the leaf: chain_pem is "". */
    assert_true(cert_parse_chain(leaf_pem, strlen(leaf_pem), &ci));
    assert_string_equal(ci.chain_pem, "");
    assert_string_equal(ci.fullchain_pem, leaf_pem);
    cert_info_free(&ci);

    /* No certificate at all, a cut-off one, an absurdly long chain. */
    assert_false(cert_parse_chain("", 0, &ci));
    assert_false(cert_parse_chain("hello\n", 6, &ci));
    assert_false(cert_parse_chain(leaf_pem, strlen(leaf_pem) / 2, &ci));
    assert_null(ci.leaf_pem);
    char *many = xstrdup("");
    for (int i = 0; i < 11; i++) {
        char *next = xasprintf("%s%s", many, ca_pem);
        free(many);
        many = next;
    }
    assert_false(cert_parse_chain(many, strlen(many), &ci));

    free(many);
    free(full);
    free(chain);
    free(leaf_pem);
    free(ca_pem);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(leaf_key);
    cert_chain_forget();
}

/* A serial of zero and one with the high bit set come out as lowercase hex without leading zeros. */
static void test_serial_forms(void **state)
{
    (void)state;
    EVP_PKEY *k = key_generate(KEY_EC_P256);
    const char *in[] = { "00", "0F", "FF00", "0000000000000000000001" };
    const char *want[] = { "0", "f", "ff00", "1" };
    for (size_t i = 0; i < 4; i++) {
        X509 *x = make_cert(k, k, NULL, "s", in[i], "DNS:s.example.test", 1767225600, 1767225600 + 86400);
        char *pem = pem_of(x);
        struct cert_info ci;
        assert_true(cert_parse_chain(pem, strlen(pem), &ci));
        assert_string_equal(ci.serial, want[i]);
        assert_int_equal(ci.n_names, 1);
        cert_info_free(&ci);
        free(pem);
        X509_free(x);
    }
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_types),   cmocka_unit_test(test_key_generate_pem), cmocka_unit_test(test_key_refuses),
        cmocka_unit_test(test_csr),         cmocka_unit_test(test_csr_refuses),      cmocka_unit_test(test_parse_chain),
        cmocka_unit_test(test_serial_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
