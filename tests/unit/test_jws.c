/* test_jws — JWK, RFC 7638 thumbprint, flattened JWS checked with OpenSSL, key authorization. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/b64.h"
#include "crypto/jws.h"
#include "crypto/key.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

/* RFC 7638 §3.1: the example RSA public key and its SHA-256 thumbprint. */
static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMst"
    "n64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajr"
    "n1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
static const char rfc7638_e[] = "AQAB";
static const char rfc7638_thumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* Decodes base64url text into a BIGNUM. */
static BIGNUM *bn_from_b64(const char *s)
{
    unsigned char *bin = NULL;
    size_t n = 0;
    assert_true(b64url_decode(s, &bin, &n));
    BIGNUM *bn = BN_bin2bn(bin, (int)n, NULL);
    assert_non_null(bn);
    free(bin);
    return bn;
}

/* An RSA public key from its JWK members n and e. */
static EVP_PKEY *rsa_from_jwk(const char *n64, const char *e64)
{
    BIGNUM *n = bn_from_b64(n64), *e = bn_from_b64(e64);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    assert_non_null(bld);
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    assert_non_null(params);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

/* An EC public key from its JWK members crv, x and y. */
static EVP_PKEY *ec_from_jwk(const char *crv, const char *x64, const char *y64)
{
    unsigned char *x = NULL, *y = NULL;
    size_t xn = 0, yn = 0;
    assert_true(b64url_decode(x64, &x, &xn));
    assert_true(b64url_decode(y64, &y, &yn));
    size_t w = strcmp(crv, "P-256") == 0 ? 32 : 48;
    assert_int_equal(xn, w); /* RFC 7518 §6.2.1.2: full width, leading zeros kept */
    assert_int_equal(yn, w);
    unsigned char pt[1 + 2 * 48];
    pt[0] = 0x04;
    memcpy(pt + 1, x, w);
    memcpy(pt + 1 + w, y, w);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)crv, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * w),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pkey = NULL;
    assert_non_null(ctx);
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
    EVP_PKEY_CTX_free(ctx);
    free(x);
    free(y);
    return pkey;
}

/* Decodes a base64url member into a NUL-terminated string. */
static char *b64_text(const char *s)
{
    unsigned char *d = NULL;
    size_t n = 0;
    assert_true(b64url_decode(s, &d, &n));
    assert_int_equal(strlen((char *)d), n);
    return (char *)d;
}

/* Verifies a JWS signature with OpenSSL: r||s is turned back into DER for ECDSA. */
static int verify_sig(EVP_PKEY *pub, const char *alg, const char *input, const char *sig64)
{
    unsigned char *sig = NULL, *der = NULL;
    size_t siglen = 0, derlen = 0;
    assert_true(b64url_decode(sig64, &sig, &siglen));
    const EVP_MD *md = strcmp(alg, "ES384") == 0 ? EVP_sha384() : EVP_sha256();
    if (alg[0] == 'E') {
        size_t w = strcmp(alg, "ES256") == 0 ? 32 : 48;
        assert_int_equal(siglen, 2 * w); /* RFC 7518 §3.4: fixed-width r||s, not DER */
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, (int)w, NULL), *s = BN_bin2bn(sig + w, (int)w, NULL);
        assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
        int len = i2d_ECDSA_SIG(es, &der);
        assert_true(len > 0);
        derlen = (size_t)len;
        ECDSA_SIG_free(es);
    } else {
        der = OPENSSL_memdup(sig, siglen);
        derlen = siglen;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, md, NULL, pub), 1);
    int ok = EVP_DigestVerify(ctx, der, derlen, (const unsigned char *)input, strlen(input));
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    free(sig);
    return ok;
}

/* RFC 7638 §3.1: the published key gives the published thumbprint, with members e, kty, n only. */
static void test_rfc7638_thumbprint(void **state)
{
    (void)state;
    EVP_PKEY *k = rsa_from_jwk(rfc7638_n, rfc7638_e);
    json_t *jwk = jws_jwk(k);
    assert_non_null(jwk);
    assert_int_equal(json_object_size(jwk), 3);
    assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "RSA");
    assert_string_equal(json_string_value(json_object_get(jwk, "e")), rfc7638_e);
    assert_string_equal(json_string_value(json_object_get(jwk, "n")), rfc7638_n);
    json_decref(jwk);
    char *tp = jws_thumbprint(k);
    assert_non_null(tp);
    assert_string_equal(tp, rfc7638_thumbprint);
    free(tp);
    assert_string_equal(jws_alg(k), "RS256");
    EVP_PKEY_free(k);
}

/*
 * Signs with key, parses the flattened JWS back and checks every protected member, the
 * payload and the signature (against the key itself and against the key rebuilt from the JWK).
 */
static void check_jws(EVP_PKEY *key, const char *want_alg, const char *kid, const char *payload)
{
    const char *nonce = "bm9uY2UtMTIz", *url = "https://ca.test/acme/new-order";
    char *text = jws_sign(key, kid, nonce, url, payload);
    assert_non_null(text);
    json_error_t err;
    json_t *jws = json_loads(text, 0, &err);
    assert_non_null(jws);
    assert_int_equal(json_object_size(jws), 3);
    const char *p64 = json_string_value(json_object_get(jws, "protected"));
    const char *pay64 = json_string_value(json_object_get(jws, "payload"));
    const char *s64 = json_string_value(json_object_get(jws, "signature"));
    assert_non_null(p64);
    assert_non_null(pay64);
    assert_non_null(s64);

    char *prot_text = b64_text(p64);
    json_t *prot = json_loads(prot_text, 0, &err);
    assert_non_null(prot);
    assert_string_equal(json_string_value(json_object_get(prot, "alg")), want_alg);
    assert_string_equal(json_string_value(json_object_get(prot, "nonce")), nonce);
    assert_string_equal(json_string_value(json_object_get(prot, "url")), url);
    EVP_PKEY *from_jwk = NULL;
    if (kid) {
        /* RFC 8555 §6.2: "jwk" and "kid" are mutually exclusive. */
        assert_string_equal(json_string_value(json_object_get(prot, "kid")), kid);
        assert_null(json_object_get(prot, "jwk"));
        assert_int_equal(json_object_size(prot), 4);
    } else {
        json_t *jwk = json_object_get(prot, "jwk");
        assert_true(json_is_object(jwk));
        assert_null(json_object_get(prot, "kid"));
        const char *kty = json_string_value(json_object_get(jwk, "kty"));
        assert_non_null(kty);
        if (strcmp(kty, "EC") == 0)
            from_jwk = ec_from_jwk(json_string_value(json_object_get(jwk, "crv")),
                                   json_string_value(json_object_get(jwk, "x")),
                                   json_string_value(json_object_get(jwk, "y")));
        else
            from_jwk = rsa_from_jwk(json_string_value(json_object_get(jwk, "n")),
                                    json_string_value(json_object_get(jwk, "e")));
        assert_int_equal(EVP_PKEY_eq(from_jwk, key), 1);
    }

    if (payload && *payload) {
        char *pl = b64_text(pay64);
        assert_string_equal(pl, payload);
        free(pl);
    } else {
        assert_string_equal(pay64, ""); /* POST-as-GET: empty payload */
    }

    char *input = malloc(strlen(p64) + strlen(pay64) + 2);
    strcpy(input, p64);
    strcat(input, ".");
    strcat(input, pay64);
    assert_int_equal(verify_sig(key, want_alg, input, s64), 1);
    if (from_jwk)
        assert_int_equal(verify_sig(from_jwk, want_alg, input, s64), 1);
    /* A changed signing input must not verify: the check above is a real one. */
    input[strlen(input) - 1] ^= 1;
    assert_int_not_equal(verify_sig(key, want_alg, input, s64), 1);

    free(input);
    EVP_PKEY_free(from_jwk);
    json_decref(prot);
    free(prot_text);
    json_decref(jws);
    free(text);
}

/* ES256 newAccount-style (jwk) and kid-style requests. */
static void test_es256(void **state)
{
    (void)state;
    EVP_PKEY *k = key_generate(KEY_EC_P256);
    assert_non_null(k);
    assert_string_equal(jws_alg(k), "ES256");
    /* Many signatures: r or s has a leading zero byte in 1 of 128, and must still be 32 bytes wide. */
    for (int i = 0; i < 300; i++)
        check_jws(k, "ES256", NULL, "{\"termsOfServiceAgreed\":true}");
    check_jws(k, "ES256", "https://ca.test/acme/acct/1", "{\"identifiers\":[]}");
    check_jws(k, "ES256", "https://ca.test/acme/acct/1", NULL);
    check_jws(k, "ES256", "https://ca.test/acme/acct/1", "");
    json_t *jwk = jws_jwk(k);
    assert_int_equal(json_object_size(jwk), 4);
    assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
    assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
    assert_int_equal(strlen(json_string_value(json_object_get(jwk, "x"))), 43);
    assert_int_equal(strlen(json_string_value(json_object_get(jwk, "y"))), 43);
    json_decref(jwk);
    EVP_PKEY_free(k);
}

/* ES384: SHA-384 and 96-byte signatures. */
static void test_es384(void **state)
{
    (void)state;
    EVP_PKEY *k = key_generate(KEY_EC_P384);
    assert_non_null(k);
    assert_string_equal(jws_alg(k), "ES384");
    check_jws(k, "ES384", NULL, "{\"a\":1}");
    check_jws(k, "ES384", "https://ca.test/acme/acct/2", NULL);
    EVP_PKEY_free(k);
}

/* RS256 with an RSA-2048 key, jwk and kid forms. */
static void test_rs256(void **state)
{
    (void)state;
    EVP_PKEY *k = key_generate(KEY_RSA_2048);
    assert_non_null(k);
    assert_string_equal(jws_alg(k), "RS256");
    check_jws(k, "RS256", NULL, "{\"termsOfServiceAgreed\":true,\"contact\":[\"mailto:a@b.test\"]}");
    check_jws(k, "RS256", "https://ca.test/acme/acct/3", NULL);
    EVP_PKEY_free(k);
}

/* Refusals: no nonce, no url, unsupported key. */
static void test_sign_refuses(void **state)
{
    (void)state;
    EVP_PKEY *k = key_generate(KEY_EC_P256);
    assert_null(jws_sign(k, NULL, NULL, "https://ca.test/x", ""));
    assert_null(jws_sign(k, NULL, "n", NULL, ""));
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(ed);
    assert_null(jws_alg(ed));
    assert_null(jws_sign(ed, NULL, "n", "https://ca.test/x", ""));
    assert_null(jws_jwk(ed));
    assert_null(jws_thumbprint(ed));
    EVP_PKEY_free(ed);
    EVP_PKEY_free(k);
}

/* RFC 8555 §8.1: token "." base64url(thumbprint); a token that is not base64url gives NULL. */
static void test_key_authorization(void **state)
{
    (void)state;
    EVP_PKEY *k = rsa_from_jwk(rfc7638_n, rfc7638_e);
    char *ka = jws_key_authorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", k);
    assert_non_null(ka);
    assert_string_equal(ka, "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    free(ka);
    assert_null(jws_key_authorization("../../etc/passwd", k));
    assert_null(jws_key_authorization("tok en", k));
    assert_null(jws_key_authorization("", k));
    assert_null(jws_key_authorization(NULL, k));
    EVP_PKEY_free(k);
    /* An EC key: the thumbprint part is 43 characters of base64url. */
    EVP_PKEY *ec = key_generate(KEY_EC_P256);
    ka = jws_key_authorization("abc", ec);
    assert_non_null(ka);
    assert_int_equal(strlen(ka), 3 + 1 + 43);
    assert_true(b64url_valid(ka + 4, 43));
    char *tp = jws_thumbprint(ec);
    assert_string_equal(ka + 4, tp);
    free(tp);
    free(ka);
    EVP_PKEY_free(ec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7638_thumbprint), cmocka_unit_test(test_es256),
        cmocka_unit_test(test_es384),              cmocka_unit_test(test_rs256),
        cmocka_unit_test(test_sign_refuses),       cmocka_unit_test(test_key_authorization),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
