/* jws — JSON Web Signature as ACME needs it (RFC 7515 flattened JSON, RFC 7638 thumbprint). */
#include "crypto/jws.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/b64.h"
#include "crypto/key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

/* Logs the newest OpenSSL error with what we were doing, then empties the error queue. */
static void jws_log_ossl(const char *what)
{
    char msg[256];
    unsigned long e = ERR_peek_last_error();
    ERR_error_string_n(e, msg, sizeof msg);
    log_error("jws: %s failed: %s", what, e ? msg : "unknown error");
    ERR_clear_error();
}

/* Size in bytes of one EC coordinate (and of r or s) for our curves; 0 for other keys. */
static size_t jws_ec_width(EVP_PKEY *key)
{
    switch (key_type_of(key)) {
    case KEY_EC_P256:
        return 32;
    case KEY_EC_P384:
        return 48;
    default:
        return 0;
    }
}

/* base64url of a big number: fixed width when width > 0 (EC), minimal otherwise (RSA). */
static char *jws_bn_b64(const BIGNUM *bn, size_t width)
{
    size_t n = width ? width : (size_t)BN_num_bytes(bn);
    if (n == 0)
        n = 1; /* the number zero is one zero byte, never an empty string */
    unsigned char *bin = xmalloc(n);
    char *out = NULL;
    if (BN_bn2binpad(bn, bin, (int)n) == (int)n)
        out = b64url_encode(bin, n);
    free(bin);
    return out;
}

/* Reads one big-number parameter of key as base64url; NULL (logged) on failure. */
static char *jws_param_b64(EVP_PKEY *key, const char *param, size_t width)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1 || !bn) {
        jws_log_ossl("reading a public key parameter");
        return NULL;
    }
    char *s = jws_bn_b64(bn, width);
    BN_free(bn);
    return s;
}

/* True for an RSA key we accept for JWS: PKCS#1 v1.5 capable and at least 2048 bits. */
static bool jws_rsa_ok(EVP_PKEY *key)
{
    return key && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= 2048;
}

/* The public JWK of key (EC: crv/kty/x/y, RSA: e/kty/n); caller json_decref's. */
json_t *jws_jwk(EVP_PKEY *key)
{
    json_t *jwk = NULL;
    char *a = NULL, *b = NULL;
    int kt = key_type_of(key);
    if (kt == KEY_EC_P256 || kt == KEY_EC_P384) {
        size_t w = jws_ec_width(key);
        a = jws_param_b64(key, OSSL_PKEY_PARAM_EC_PUB_X, w);
        b = jws_param_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y, w);
        if (a && b)
            jwk = json_pack("{s:s, s:s, s:s, s:s}", "crv", kt == KEY_EC_P256 ? "P-256" : "P-384", "kty", "EC",
                            "x", a, "y", b);
    } else if (jws_rsa_ok(key)) {
        a = jws_param_b64(key, OSSL_PKEY_PARAM_RSA_E, 0);
        b = jws_param_b64(key, OSSL_PKEY_PARAM_RSA_N, 0);
        if (a && b)
            jwk = json_pack("{s:s, s:s, s:s}", "e", a, "kty", "RSA", "n", b);
    } else {
        log_error("jws: unsupported key type for a JWK");
    }
    free(a);
    free(b);
    return jwk;
}

/* RFC 7638 SHA-256 thumbprint, base64url; caller frees. */
char *jws_thumbprint(EVP_PKEY *key)
{
    json_t *jwk = jws_jwk(key);
    if (!jwk)
        return NULL;
    /* RFC 7638 §3: required members only, sorted, no whitespace. */
    char *text = json_dumps(jwk, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(jwk);
    if (!text)
        return NULL;
    unsigned char md[32];
    unsigned int mdlen = 0;
    char *out = NULL;
    if (EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == sizeof md)
        out = b64url_encode(md, mdlen);
    else
        jws_log_ossl("thumbprint digest");
    free(text);
    return out;
}

/* "ES256", "ES384" or "RS256" for the key; NULL for a key we cannot sign ACME requests with. */
const char *jws_alg(EVP_PKEY *key)
{
    switch (key_type_of(key)) {
    case KEY_EC_P256:
        return "ES256";
    case KEY_EC_P384:
        return "ES384";
    default:
        return jws_rsa_ok(key) ? "RS256" : NULL;
    }
}

/* Turns a DER ECDSA signature into the fixed-width r||s that JWS wants (RFC 7518 §3.4). */
static bool jws_ecdsa_raw(const unsigned char *der, size_t derlen, size_t width, unsigned char *raw)
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    bool ok = false;
    if (!sig) {
        jws_log_ossl("decoding the ECDSA signature");
        return false;
    }
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(sig, &r, &s);
    if (r && s && BN_bn2binpad(r, raw, (int)width) == (int)width &&
        BN_bn2binpad(s, raw + width, (int)width) == (int)width)
        ok = true;
    else
        log_error("jws: ECDSA signature does not fit %zu bytes", width);
    ECDSA_SIG_free(sig);
    return ok;
}

/* Signs data with key (SHA-256, or SHA-384 for P-384); returns the JWS signature bytes. */
static bool jws_sign_bytes(EVP_PKEY *key, const char *data, size_t len, unsigned char **sig, size_t *siglen)
{
    const EVP_MD *md = key_type_of(key) == KEY_EC_P384 ? EVP_sha384() : EVP_sha256();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    size_t derlen = 0;
    bool ok = false;
    if (!ctx || EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1) {
        jws_log_ossl("signature setup");
        goto done;
    }
    if (EVP_DigestSign(ctx, NULL, &derlen, (const unsigned char *)data, len) != 1 || derlen == 0) {
        jws_log_ossl("signature size");
        goto done;
    }
    der = xmalloc(derlen);
    if (EVP_DigestSign(ctx, der, &derlen, (const unsigned char *)data, len) != 1) {
        jws_log_ossl("signing");
        goto done;
    }
    size_t w = jws_ec_width(key);
    if (w) {
        unsigned char *raw = xmalloc(2 * w);
        if (!jws_ecdsa_raw(der, derlen, w, raw)) {
            free(raw);
            goto done;
        }
        *sig = raw;
        *siglen = 2 * w;
    } else {
        *sig = der;
        *siglen = derlen;
        der = NULL;
    }
    ok = true;
done:
    free(der);
    EVP_MD_CTX_free(ctx);
    return ok;
}

/*
 * Signs payload (NULL or "" for POST-as-GET) under the protected header prot (alg is
 * added here); returns the flattened JWS JSON text (caller frees), NULL on failure.
 */
static char *jws_sign_header(EVP_PKEY *key, json_t *prot, const char *payload)
{
    const char *alg = jws_alg(key);
    json_t *jws = NULL;
    char *prot_text = NULL, *prot64 = NULL, *pay64 = NULL, *input = NULL, *sig64 = NULL, *out = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    if (!alg) {
        log_error("jws: cannot sign: unsupported key");
        goto done;
    }
    if (json_object_set_new(prot, "alg", json_string(alg)) != 0)
        goto done;
    prot_text = json_dumps(prot, JSON_COMPACT);
    if (!prot_text)
        goto done;
    prot64 = b64url_encode(prot_text, strlen(prot_text));
    /* POST-as-GET (RFC 8555 §6.3) signs an empty payload, not "{}" nor an absent one. */
    pay64 = payload && *payload ? b64url_encode(payload, strlen(payload)) : xstrdup("");
    input = xasprintf("%s.%s", prot64, pay64);
    if (!jws_sign_bytes(key, input, strlen(input), &sig, &siglen))
        goto done;
    sig64 = b64url_encode(sig, siglen);
    jws = json_pack("{s:s, s:s, s:s}", "protected", prot64, "payload", pay64, "signature", sig64);
    if (jws)
        out = json_dumps(jws, JSON_COMPACT);
done:
    json_decref(jws);
    free(prot_text);
    free(prot64);
    free(pay64);
    free(input);
    free(sig);
    free(sig64);
    return out;
}

/* Adds the key's public JWK to a protected header; false on failure. */
static bool jws_header_jwk(json_t *prot, EVP_PKEY *key)
{
    json_t *jwk = jws_jwk(key);
    return jwk && json_object_set_new(prot, "jwk", jwk) == 0;
}

/*
 * Signs payload (NULL or "" for POST-as-GET) for url with nonce. With kid NULL the
 * protected header carries the jwk (newAccount), otherwise the kid. Returns the
 * flattened JWS JSON text (caller frees), NULL on failure.
 */
char *jws_sign(EVP_PKEY *key, const char *kid, const char *nonce, const char *url, const char *payload)
{
    char *out = NULL;
    if (!nonce || !url) {
        log_error("jws: cannot sign: nonce or url missing");
        return NULL;
    }
    json_t *prot = json_pack("{s:s, s:s}", "nonce", nonce, "url", url);
    if (!prot)
        return NULL;
    bool ok = kid ? json_object_set_new(prot, "kid", json_string(kid)) == 0 : jws_header_jwk(prot, key);
    if (ok)
        out = jws_sign_header(key, prot, payload);
    json_decref(prot);
    return out;
}

/*
 * The inner JWS of a key change (RFC 8555 §7.3.5): jwk of key and url, no nonce (the
 * outer JWS carries one). Returns the flattened JWS JSON text (caller frees), NULL on failure.
 */
char *jws_sign_nested(EVP_PKEY *key, const char *url, const char *payload)
{
    char *out = NULL;
    if (!url) {
        log_error("jws: cannot sign: url missing");
        return NULL;
    }
    json_t *prot = json_pack("{s:s}", "url", url);
    if (prot && jws_header_jwk(prot, key))
        out = jws_sign_header(key, prot, payload);
    json_decref(prot);
    return out;
}

/* The digest of an HMAC JWS algorithm name; NULL for one we do not know. */
static const EVP_MD *jws_hmac_md(const char *alg)
{
    if (!alg || strcmp(alg, "HS256") == 0)
        return EVP_sha256();
    if (strcmp(alg, "HS384") == 0)
        return EVP_sha384();
    if (strcmp(alg, "HS512") == 0)
        return EVP_sha512();
    return NULL;
}

/* The External Account Binding JWS (RFC 8555 §7.3.4); caller json_decref's. */
json_t *jws_sign_eab(const char *kid, const unsigned char *hmac_key, size_t keylen, const char *alg,
                     const char *url, EVP_PKEY *account_key)
{
    const EVP_MD *md = jws_hmac_md(alg);
    json_t *prot = NULL, *jwk = NULL, *out = NULL;
    char *prot_text = NULL, *jwk_text = NULL, *prot64 = NULL, *pay64 = NULL, *input = NULL, *sig64 = NULL;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!md || !kid || !*kid || !hmac_key || keylen == 0 || !url) {
        log_error("jws: cannot sign the external account binding: bad algorithm, kid, key or url");
        return NULL;
    }
    if (!(jwk = jws_jwk(account_key)))
        goto done;
    prot = json_pack("{s:s, s:s, s:s}", "alg", alg ? alg : "HS256", "kid", kid, "url", url);
    if (!prot || !(prot_text = json_dumps(prot, JSON_COMPACT)) || !(jwk_text = json_dumps(jwk, JSON_COMPACT)))
        goto done;
    prot64 = b64url_encode(prot_text, strlen(prot_text));
    pay64 = b64url_encode(jwk_text, strlen(jwk_text));
    input = xasprintf("%s.%s", prot64, pay64);
    if (!HMAC(md, hmac_key, (int)keylen, (const unsigned char *)input, strlen(input), mac, &maclen)) {
        jws_log_ossl("external account binding HMAC");
        goto done;
    }
    sig64 = b64url_encode(mac, maclen);
    out = json_pack("{s:s, s:s, s:s}", "protected", prot64, "payload", pay64, "signature", sig64);
done:
    OPENSSL_cleanse(mac, sizeof mac);
    json_decref(prot);
    json_decref(jwk);
    free(prot_text);
    free(jwk_text);
    free(prot64);
    free(pay64);
    free(input);
    free(sig64);
    return out;
}

/* token "." thumbprint (RFC 8555 §8.1); NULL when the token is not base64url; caller frees. */
char *jws_key_authorization(const char *token, EVP_PKEY *account_key)
{
    if (!b64url_valid(token, 256))
        return NULL;
    char *tp = jws_thumbprint(account_key);
    if (!tp)
        return NULL;
    char *ka = xasprintf("%s.%s", token, tp);
    free(tp);
    return ka;
}
