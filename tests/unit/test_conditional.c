/*
 * test_conditional — the pieces of the API that need no database: ETag and
 * If-None-Match (304 without a body, weak comparison, lists, "*"), the RFC 3339 check
 * of expires_before, and the download bundles (DER leaf, PKCS#7, PKCS#12 in both
 * encodings) read back with OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/bundle.h"
#include "etag.h"
#include "list_filters.h"
#include "request.h"
#include "response.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

/* A 200 answer with body, then fcgi_etag_apply with the given If-None-Match; returns the ETag sent. */
static char *conditional(const char *body, const char *inm, struct fcgi_resp *resp)
{
    char inm_env[512];
    char *envp[] = { "REQUEST_METHOD=GET", "PATH_INFO=/v1/orders/ord_1", inm ? inm_env : NULL, NULL };
    if (inm)
        snprintf(inm_env, sizeof inm_env, "HTTP_IF_NONE_MATCH=%s", inm);
    struct fcgi_req req;
    fcgi_request_from_env(&req, envp);
    fcgi_resp_init(resp);
    fcgi_resp_text(resp, 200, FCGI_JSON_CONTENT_TYPE, body, strlen(body));
    fcgi_etag_apply(&req, resp);
    fcgi_request_free(&req);
    char *h = resp->headers.data ? strstr(resp->headers.data, "ETag: ") : NULL;
    assert_non_null(h);
    h += strlen("ETag: ");
    return strndup(h, strcspn(h, "\r"));
}

/* The tag is strong, quoted, stable for a body and different for another. */
static void test_etag_values(void **state)
{
    (void)state;
    struct fcgi_resp r1, r2, r3;
    char *a = conditional("{\"status\":\"queued\"}", NULL, &r1);
    char *b = conditional("{\"status\":\"queued\"}", NULL, &r2);
    char *c = conditional("{\"status\":\"issued\"}", NULL, &r3);
    assert_int_equal(strlen(a), 34);
    assert_true(a[0] == '"' && a[33] == '"');
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(r1.status, 200);
    assert_int_equal(r1.body.len, strlen("{\"status\":\"queued\"}"));
    free(a);
    free(b);
    free(c);
    fcgi_resp_free(&r1);
    fcgi_resp_free(&r2);
    fcgi_resp_free(&r3);
}

/* If-None-Match: the current tag (alone, in a list, weak, or "*") is 304 without body or length headers. */
static void test_if_none_match(void **state)
{
    (void)state;
    const char *body = "{\"id\":\"ord_1\"}";
    struct fcgi_resp r;
    char *tag = conditional(body, NULL, &r);
    fcgi_resp_free(&r);
    char hits[4][128];
    snprintf(hits[0], sizeof hits[0], "%s", tag);
    snprintf(hits[1], sizeof hits[1], "\"aaa\", %s", tag);
    snprintf(hits[2], sizeof hits[2], "W/%s", tag);
    snprintf(hits[3], sizeof hits[3], "*");
    for (int i = 0; i < 4; i++) {
        char *t = conditional(body, hits[i], &r);
        assert_int_equal(r.status, 304);
        assert_int_equal(r.body.len, 0);
        char *out = fcgi_resp_render(&r, false);
        assert_non_null(strstr(out, "Status: 304 Not Modified\r\n"));
        assert_null(strstr(out, "Content-Length"));
        free(out);
        free(t);
        fcgi_resp_free(&r);
    }
    const char *misses[] = { "\"aaa\"", "\"\"", "W/\"x\", \"y\"", "", tag + 1 };
    for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++) {
        char *t = conditional(body, misses[i], &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body.len, strlen(body));
        free(t);
        fcgi_resp_free(&r);
    }
    free(tag);
}

/* expires_before takes RFC 3339 date-times only. */
static void test_rfc3339(void **state)
{
    (void)state;
    const char *good[] = { "2027-03-01T00:00:00Z", "2027-03-01t00:00:00z", "2028-02-29T23:59:59+02:00",
                           "2027-03-01T00:00:00.123456-05:30", "2027-12-31T23:59:60Z" };
    const char *bad[] = { "", "2027-03-01", "2027-03-01T00:00Z", "2027-03-01T00:00:00", "2027-02-29T00:00:00Z",
                          "2027-13-01T00:00:00Z", "2027-00-10T00:00:00Z", "2027-03-01T24:00:00Z",
                          "2027-03-01 00:00:00Z", "2027-03-01T00:00:00.Z", "2027-03-01T00:00:00+0200",
                          "2027-03-01T00:00:00Z ", "+2027-03-01T00:00:00Z", "1767225600" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct fcgi_resp r;
        fcgi_resp_init(&r);
        assert_true(fcgi_filter_time("expires_before", good[i], &r));
        fcgi_resp_free(&r);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fcgi_resp r;
        fcgi_resp_init(&r);
        assert_false(fcgi_filter_time("expires_before", bad[i], &r));
        assert_int_equal(r.status, 422);
        assert_non_null(strstr(r.body.data, "\"field\":\"expires_before\""));
        fcgi_resp_free(&r);
    }
}

/* A self-signed P-256 certificate and its key, as PEM, for the bundles. */
static void make_cert(char **cert_pem, char **key_pem, size_t *key_len)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(k);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"t.example",
                               -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, k);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    BIO *b = BIO_new(BIO_s_mem());
    char *p;
    PEM_write_bio_X509(b, x);
    /* the same certificate twice stands in for leaf + chain */
    PEM_write_bio_X509(b, x);
    long n = BIO_get_mem_data(b, &p);
    *cert_pem = strndup(p, (size_t)n);
    BIO_free(b);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    n = BIO_get_mem_data(b, &p);
    *key_pem = strndup(p, (size_t)n);
    *key_len = (size_t)n;
    BIO_free(b);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* DER leaf and PKCS#7 hold the certificates; PKCS#12 opens with its password only, with the right MAC. */
static void test_bundles(void **state)
{
    (void)state;
    char *cert, *key;
    size_t key_len;
    make_cert(&cert, &key, &key_len);
    unsigned char *der;
    size_t n;
    assert_true(bundle_leaf_der(cert, &der, &n));
    const unsigned char *q = der;
    X509 *x = d2i_X509(NULL, &q, (long)n);
    assert_non_null(x);
    assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(x)), 4242);
    X509_free(x);
    free(der);

    assert_true(bundle_p7b_der(cert, &der, &n));
    q = der;
    PKCS7 *p7 = d2i_PKCS7(NULL, &q, (long)n);
    assert_non_null(p7);
    assert_true(PKCS7_type_is_signed(p7));
    assert_int_equal(sk_X509_num(p7->d.sign->cert), 2);
    PKCS7_free(p7);
    free(der);

    for (int legacy = 0; legacy <= 1; legacy++) {
        assert_true(bundle_pkcs12_der(key, key_len, cert, "pw", legacy, &der, &n));
        q = der;
        PKCS12 *p12 = d2i_PKCS12(NULL, &q, (long)n);
        assert_non_null(p12);
        assert_int_equal(PKCS12_verify_mac(p12, "pw", -1), 1);
        assert_int_equal(PKCS12_verify_mac(p12, "wrong", -1), 0);
        const X509_ALGOR *alg = NULL;
        PKCS12_get0_mac(NULL, &alg, NULL, NULL, p12);
        const ASN1_OBJECT *obj;
        X509_ALGOR_get0(&obj, NULL, NULL, alg);
        assert_int_equal(OBJ_obj2nid(obj), legacy ? NID_sha1 : NID_sha256);
        EVP_PKEY *pk = NULL;
        X509 *leaf = NULL;
        STACK_OF(X509) *ca = NULL;
        assert_int_equal(PKCS12_parse(p12, "pw", &pk, &leaf, &ca), 1);
        assert_int_equal(X509_check_private_key(leaf, pk), 1);
        assert_int_equal(sk_X509_num(ca), 1);
        EVP_PKEY_free(pk);
        X509_free(leaf);
        sk_X509_pop_free(ca, X509_free);
        PKCS12_free(p12);
        free(der);
    }
    /* a key that is not the leaf's is refused */
    char *cert2, *key2;
    size_t key2_len;
    make_cert(&cert2, &key2, &key2_len);
    assert_false(bundle_pkcs12_der(key2, key2_len, cert, "pw", false, &der, &n));
    assert_false(bundle_leaf_der("no certificate here", &der, &n));
    free(cert2);
    free(key2);
    free(cert);
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_etag_values),
        cmocka_unit_test(test_if_none_match),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_bundles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
