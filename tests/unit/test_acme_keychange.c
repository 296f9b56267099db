/* test_acme_keychange — the inner JWS of an account key change (RFC 8555 §7.3.5), checked with OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "acme/acme.h"
#include "crypto/b64.h"
#include "crypto/jws.h"
#include "crypto/key.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <stdlib.h>
#include <string.h>

#define KC_URL "https://ca.example/acme/key-change"
#define KC_KID "https://ca.example/acme/acct/42"

/* Decodes a base64url member of obj into a JSON object. */
static json_t *b64_json(const json_t *obj, const char *member)
{
    unsigned char *bin = NULL;
    size_t n = 0;
    assert_true(b64url_decode(json_string_value(json_object_get(obj, member)), &bin, &n));
    json_t *j = json_loadb((const char *)bin, n, 0, NULL);
    free(bin);
    assert_non_null(j);
    return j;
}

/* True when the ES256 JWS signature sig64 over input verifies with key. */
static bool es256_verifies(EVP_PKEY *key, const char *input, const char *sig64)
{
    unsigned char *raw = NULL, *der = NULL;
    size_t n = 0;
    assert_true(b64url_decode(sig64, &raw, &n));
    assert_int_equal(n, 64);
    ECDSA_SIG *sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
    int dlen = i2d_ECDSA_SIG(sig, &der);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
              EVP_DigestVerify(ctx, der, (size_t)dlen, (const unsigned char *)input, strlen(input)) == 1;
    EVP_MD_CTX_free(ctx);
    ECDSA_SIG_free(sig);
    OPENSSL_free(der);
    free(raw);
    return ok;
}

/* The inner JWS: jwk of the new key, url, no nonce, no kid; payload account + oldKey; signed by the new key. */
static void test_inner_jws(void **state)
{
    (void)state;
    EVP_PKEY *old_key = key_generate(KEY_EC_P256), *new_key = key_generate(KEY_EC_P256);
    char *inner = acme_key_change_inner(old_key, KC_KID, new_key, KC_URL);
    assert_non_null(inner);
    json_t *jws = json_loads(inner, 0, NULL);
    assert_non_null(jws);
    assert_int_equal(json_object_size(jws), 3);

    json_t *prot = b64_json(jws, "protected");
    assert_string_equal(json_string_value(json_object_get(prot, "alg")), "ES256");
    assert_string_equal(json_string_value(json_object_get(prot, "url")), KC_URL);
    assert_null(json_object_get(prot, "nonce"));
    assert_null(json_object_get(prot, "kid"));
    json_t *new_jwk = jws_jwk(new_key), *old_jwk = jws_jwk(old_key);
    assert_true(json_equal(json_object_get(prot, "jwk"), new_jwk));
    assert_false(json_equal(new_jwk, old_jwk));

    json_t *payload = b64_json(jws, "payload");
    assert_int_equal(json_object_size(payload), 2);
    assert_string_equal(json_string_value(json_object_get(payload, "account")), KC_KID);
    assert_true(json_equal(json_object_get(payload, "oldKey"), old_jwk));

    /* Signed by the new key over protected.payload, and not by the old one. */
    char input[4096];
    snprintf(input, sizeof input, "%s.%s", json_string_value(json_object_get(jws, "protected")),
             json_string_value(json_object_get(jws, "payload")));
    const char *sig = json_string_value(json_object_get(jws, "signature"));
    assert_true(es256_verifies(new_key, input, sig));
    assert_false(es256_verifies(old_key, input, sig));

    json_decref(payload);
    json_decref(new_jwk);
    json_decref(old_jwk);
    json_decref(prot);
    json_decref(jws);
    free(inner);
    EVP_PKEY_free(old_key);
    EVP_PKEY_free(new_key);
}

/* Missing parts give NULL rather than a JWS the CA would refuse. */
static void test_inner_refuses(void **state)
{
    (void)state;
    EVP_PKEY *k = key_generate(KEY_EC_P256);
    assert_null(acme_key_change_inner(NULL, KC_KID, k, KC_URL));
    assert_null(acme_key_change_inner(k, NULL, k, KC_URL));
    assert_null(acme_key_change_inner(k, KC_KID, NULL, KC_URL));
    assert_null(acme_key_change_inner(k, KC_KID, k, NULL));
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inner_jws),
        cmocka_unit_test(test_inner_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
