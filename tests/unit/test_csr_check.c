/* test_csr_check — a customer's CSR: names, key type, signature, refused keys; CSRs made at test time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/csr.h"
#include "crypto/key.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* A signed CSR as DER: subject CN cn (NULL: none), subjectAltName san in OpenSSL's form (NULL: none). */
static unsigned char *make_der(EVP_PKEY *key, const char *cn, const char *san, int *len)
{
    X509_REQ *req = X509_REQ_new();
    assert_non_null(req);
    if (cn)
        assert_int_equal(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
                                                    (const unsigned char *)cn, -1, -1, 0),
                         1);
    if (san) {
        STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
        assert_non_null(ext);
        sk_X509_EXTENSION_push(exts, ext);
        assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    }
    assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
    const EVP_MD *md = EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256();
    assert_true(X509_REQ_sign(req, key, md) > 0);
    *len = i2d_X509_REQ(req, NULL);
    unsigned char *der = malloc((size_t)*len), *p = der;
    assert_int_equal(i2d_X509_REQ(req, &p), *len);
    X509_REQ_free(req);
    return der;
}

/* PEM "CERTIFICATE REQUEST" text of a DER CSR (caller frees). */
static char *der_to_pem(const unsigned char *der, int len)
{
    const unsigned char *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, len);
    assert_non_null(req);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *pem = calloc(1, (size_t)n + 1);
    memcpy(pem, data, (size_t)n);
    BIO_free(bio);
    X509_REQ_free(req);
    return pem;
}

/* Parses a CSR made from key, cn and san; returns csr_parse's answer with out filled in. */
static enum csr_rc parse_made(EVP_PKEY *key, const char *cn, const char *san, struct csr_info *out)
{
    int len = 0;
    unsigned char *der = make_der(key, cn, san, &len);
    char *pem = der_to_pem(der, len);
    char err[160];
    enum csr_rc rc = csr_parse(pem, strlen(pem), out, err, sizeof err);
    if (rc != CSR_OK)
        assert_true(err[0] != '\0');
    free(pem);
    free(der);
    return rc;
}

/* An EC CSR as certmill itself makes it: its names, its key type, its DER unchanged, its public key. */
static void test_ec_csr(void **state)
{
    (void)state;
    EVP_PKEY *key = key_generate(KEY_EC_P256);
    const char *names[] = { "a.example", "*.b.example" };
    unsigned char *der = NULL;
    size_t derlen = 0;
    assert_true(csr_make(key, names, 2, &der, &derlen));
    char *pem = der_to_pem(der, (int)derlen);
    struct csr_info ci;
    char err[160];
    assert_int_equal(csr_parse(pem, strlen(pem), &ci, err, sizeof err), CSR_OK);
    assert_int_equal(ci.key_type, KEY_EC_P256);
    assert_int_equal(ci.n_names, 2);
    assert_string_equal(ci.names[0], "a.example");
    assert_string_equal(ci.names[1], "*.b.example");
    assert_int_equal(ci.der_len, derlen);
    assert_memory_equal(ci.der, der, derlen);
    EVP_PKEY *pub = csr_public_key(ci.der, ci.der_len);
    assert_non_null(pub);
    assert_int_equal(EVP_PKEY_eq(pub, key), 1);
    EVP_PKEY_free(pub);
    assert_null(csr_public_key((const unsigned char *)"nope", 4));
    csr_info_free(&ci);
    free(pem);
    free(der);
    EVP_PKEY_free(key);
}

/* RSA and EC P-384: key types; a CN among the SANs counts once; a CN alone is the name; a CN apart is added. */
static void test_rsa_and_cn(void **state)
{
    (void)state;
    EVP_PKEY *rsa = key_generate(KEY_RSA_2048);
    EVP_PKEY *ec = key_generate(KEY_EC_P384);
    struct csr_info ci;
    assert_int_equal(parse_made(rsa, "www.example.com", "DNS:WWW.Example.com,DNS:example.com", &ci), CSR_OK);
    assert_int_equal(ci.key_type, KEY_RSA_2048);
    assert_int_equal(ci.n_names, 2);
    assert_string_equal(ci.names[0], "WWW.Example.com");
    assert_string_equal(ci.names[1], "example.com");
    csr_info_free(&ci);
    assert_int_equal(parse_made(ec, "only-cn.example", NULL, &ci), CSR_OK);
    assert_int_equal(ci.key_type, KEY_EC_P384);
    assert_int_equal(ci.n_names, 1);
    assert_string_equal(ci.names[0], "only-cn.example");
    csr_info_free(&ci);
    assert_int_equal(parse_made(ec, "apart.example", "DNS:san.example", &ci), CSR_OK);
    assert_int_equal(ci.n_names, 2);
    assert_string_equal(ci.names[0], "san.example");
    assert_string_equal(ci.names[1], "apart.example");
    csr_info_free(&ci);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
}

/* iPAddress SANs (RFC 8738) are names too, as canonical text; csr_make writes them as iPAddress, never as CN. */
static void test_ip_sans(void **state)
{
    (void)state;
    EVP_PKEY *key = key_generate(KEY_EC_P256);
    struct csr_info ci;
    assert_int_equal(parse_made(key, NULL, "IP:192.0.2.1,DNS:a.example,IP:2001:DB8:0:0::1", &ci), CSR_OK);
    assert_int_equal(ci.n_names, 3);
    assert_string_equal(ci.names[0], "192.0.2.1");
    assert_string_equal(ci.names[1], "a.example");
    assert_string_equal(ci.names[2], "2001:db8::1");
    csr_info_free(&ci);

    const char *names[] = { "192.0.2.1", "a.example", "::1" };
    unsigned char *der = NULL;
    size_t derlen = 0;
    assert_true(csr_make(key, names, 3, &der, &derlen));
    const unsigned char *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)derlen);
    assert_non_null(req);
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
    assert_int_equal(sk_GENERAL_NAME_num(gens), 3);
    const GENERAL_NAME *g0 = sk_GENERAL_NAME_value(gens, 0), *g1 = sk_GENERAL_NAME_value(gens, 1),
                       *g2 = sk_GENERAL_NAME_value(gens, 2);
    assert_int_equal(g0->type, GEN_IPADD);
    assert_int_equal(ASN1_STRING_length(g0->d.iPAddress), 4);
    assert_memory_equal(ASN1_STRING_get0_data(g0->d.iPAddress), "\xc0\x00\x02\x01", 4);
    assert_int_equal(g1->type, GEN_DNS);
    assert_int_equal(g2->type, GEN_IPADD);
    assert_int_equal(ASN1_STRING_length(g2->d.iPAddress), 16);
    /* The CN is the first DNS name, not the address listed first. */
    char cn[64] = "";
    X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof cn);
    assert_string_equal(cn, "a.example");
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    free(der);
    /* Only an address: no CN at all. */
    const char *only_ip[] = { "127.0.0.1" };
    assert_true(csr_make(key, only_ip, 1, &der, &derlen));
    p = der;
    req = d2i_X509_REQ(NULL, &p, (long)derlen);
    assert_int_equal(X509_NAME_entry_count(X509_REQ_get_subject_name(req)), 0);
    X509_REQ_free(req);
    free(der);
    EVP_PKEY_free(key);
}

/* A changed byte under the signature, text that is no CSR, and CSRs without DNS names are refused. */
static void test_refuses_invalid(void **state)
{
    (void)state;
    EVP_PKEY *key = key_generate(KEY_EC_P256);
    struct csr_info ci;
    char err[160];
    int len = 0;
    unsigned char *der = make_der(key, "tamper.example", "DNS:tamper.example", &len);
    unsigned char *at = memmem(der, (size_t)len, "tamper.example", 14);
    assert_non_null(at);
    at[0] = 'd'; /* damper.example: the subject no longer matches the signature */
    char *pem = der_to_pem(der, len);
    assert_int_equal(csr_parse(pem, strlen(pem), &ci, err, sizeof err), CSR_INVALID);
    assert_non_null(strstr(err, "signature"));
    assert_null(ci.der);
    assert_int_equal(ci.n_names, 0);
    free(pem);
    free(der);
    const char *garbage = "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgQ1NS\n-----END CERTIFICATE REQUEST-----\n";
    assert_int_equal(csr_parse(garbage, strlen(garbage), &ci, err, sizeof err), CSR_INVALID);
    assert_int_equal(csr_parse("hello", 5, &ci, err, sizeof err), CSR_INVALID);
    assert_int_equal(csr_parse("", 0, &ci, err, sizeof err), CSR_INVALID);
    assert_int_equal(parse_made(key, NULL, NULL, &ci), CSR_INVALID);
    assert_int_equal(parse_made(key, "a.example", "email:x@a.example", &ci), CSR_INVALID);
    /* Over the size cap: refused before OpenSSL reads it. */
    size_t big = CSR_MAX_PEM + 1;
    char *huge = malloc(big);
    memset(huge, 'A', big);
    assert_int_equal(csr_parse(huge, big, &ci, err, sizeof err), CSR_INVALID);
    free(huge);
    EVP_PKEY_free(key);
}

/* Keys certmill does not accept: RSA-1024, Ed25519. */
static void test_refuses_keys(void **state)
{
    (void)state;
    struct csr_info ci;
    EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(rsa1024);
    assert_non_null(ed);
    assert_int_equal(parse_made(rsa1024, "a.example", "DNS:a.example", &ci), CSR_KEY_UNSUPPORTED);
    assert_null(ci.der);
    assert_int_equal(parse_made(ed, "a.example", "DNS:a.example", &ci), CSR_KEY_UNSUPPORTED);
    EVP_PKEY_free(rsa1024);
    EVP_PKEY_free(ed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ec_csr),
        cmocka_unit_test(test_rsa_and_cn),
        cmocka_unit_test(test_ip_sans),
        cmocka_unit_test(test_refuses_invalid),
        cmocka_unit_test(test_refuses_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
