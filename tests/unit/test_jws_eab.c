/* test_jws_eab — the External Account Binding JWS (RFC 8555 §7.3.4), its HMAC checked independently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/b64.h"
#include "crypto/jws.h"
#include "crypto/key.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

static const char eab_url[] = "https://ca.example/acme/new-account";
/* The MAC key of Pebble's example EAB configuration ("kid-1"). */
static const char eab_key_b64[] = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";

/* Decodes a base64url member of obj into a JSON value. */
static json_t *json_of_b64(json_t *obj, const char *member)
{
    const char *s = json_string_value(json_object_get(obj, member));
    assert_non_null(s);
    unsigned char *bin = NULL;
    size_t len = 0;
    assert_true(b64url_decode(s, &bin, &len));
    json_t *v = json_loadb((const char *)bin, len, 0, NULL);
    free(bin);
    assert_non_null(v);
    return v;
}

/* HMAC with EVP_MAC, independent of the code under test (which uses HMAC()). */
static char *mac_b64(const char *digest, const unsigned char *key, size_t keylen, const char *data)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    assert_non_null(mac);
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    assert_non_null(ctx);
    OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)digest, 0), OSSL_PARAM_construct_end() };
    assert_int_equal(EVP_MAC_init(ctx, key, keylen, params), 1);
    assert_int_equal(EVP_MAC_update(ctx, (const unsigned char *)data, strlen(data)), 1);
    unsigned char out[EVP_MAX_MD_SIZE];
    size_t outlen = 0;
    assert_int_equal(EVP_MAC_final(ctx, out, &outlen, sizeof out), 1);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return b64url_encode(out, outlen);
}

/* Builds the EAB for alg and checks its header, payload and MAC. */
static void check_eab(const char *alg, const char *want_alg, const char *digest, size_t maclen)
{
    unsigned char *key = NULL;
    size_t keylen = 0;
    assert_true(b64url_decode(eab_key_b64, &key, &keylen));
    EVP_PKEY *acct = key_generate(KEY_EC_P256);
    assert_non_null(acct);
    json_t *eab = jws_sign_eab("kid-1", key, keylen, alg, eab_url, acct);
    assert_non_null(eab);
    assert_int_equal(json_object_size(eab), 3);

    json_t *prot = json_of_b64(eab, "protected");
    assert_int_equal(json_object_size(prot), 3);
    assert_string_equal(json_string_value(json_object_get(prot, "alg")), want_alg);
    assert_string_equal(json_string_value(json_object_get(prot, "kid")), "kid-1");
    assert_string_equal(json_string_value(json_object_get(prot, "url")), eab_url);
    assert_null(json_object_get(prot, "nonce"));

    json_t *payload = json_of_b64(eab, "payload");
    json_t *jwk = jws_jwk(acct);
    assert_true(json_equal(payload, jwk));

    const char *p64 = json_string_value(json_object_get(eab, "protected"));
    const char *pl64 = json_string_value(json_object_get(eab, "payload"));
    size_t n = strlen(p64) + strlen(pl64) + 2;
    char *input = malloc(n);
    assert_non_null(input);
    snprintf(input, n, "%s.%s", p64, pl64);
    char *want = mac_b64(digest, key, keylen, input);
    const char *sig = json_string_value(json_object_get(eab, "signature"));
    assert_string_equal(sig, want);
    unsigned char *raw = NULL;
    size_t rawlen = 0;
    assert_true(b64url_decode(sig, &raw, &rawlen));
    assert_int_equal(rawlen, maclen);

    /* A different key gives a different MAC. */
    key[0] ^= 1;
    char *other = mac_b64(digest, key, keylen, input);
    assert_string_not_equal(sig, other);

    free(other);
    free(raw);
    free(want);
    free(input);
    json_decref(jwk);
    json_decref(payload);
    json_decref(prot);
    json_decref(eab);
    EVP_PKEY_free(acct);
    free(key);
}

static void test_hs256(void **state)
{
    (void)state;
    check_eab("HS256", "HS256", "SHA256", 32);
}

static void test_hs256_default(void **state)
{
    (void)state;
    check_eab(NULL, "HS256", "SHA256", 32);
}

static void test_hs384(void **state)
{
    (void)state;
    check_eab("HS384", "HS384", "SHA384", 48);
}

static void test_hs512(void **state)
{
    (void)state;
    check_eab("HS512", "HS512", "SHA512", 64);
}

/* Unknown algorithms, missing kid, key or url, and unusable account keys are refused. */
static void test_refuses(void **state)
{
    (void)state;
    static const unsigned char key[32] = { 1, 2, 3 };
    EVP_PKEY *acct = key_generate(KEY_EC_P256);
    assert_non_null(acct);
    assert_null(jws_sign_eab("kid-1", key, sizeof key, "RS256", eab_url, acct));
    assert_null(jws_sign_eab("kid-1", key, sizeof key, "none", eab_url, acct));
    assert_null(jws_sign_eab(NULL, key, sizeof key, "HS256", eab_url, acct));
    assert_null(jws_sign_eab("", key, sizeof key, "HS256", eab_url, acct));
    assert_null(jws_sign_eab("kid-1", NULL, 0, "HS256", eab_url, acct));
    assert_null(jws_sign_eab("kid-1", key, 0, "HS256", eab_url, acct));
    assert_null(jws_sign_eab("kid-1", key, sizeof key, "HS256", NULL, acct));
    assert_null(jws_sign_eab("kid-1", key, sizeof key, "HS256", eab_url, NULL));
    EVP_PKEY_free(acct);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hs256), cmocka_unit_test(test_hs256_default), cmocka_unit_test(test_hs384),
        cmocka_unit_test(test_hs512), cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
