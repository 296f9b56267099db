/* jws — JSON Web Signature as ACME needs it (RFC 7515 flattened JSON, RFC 7638 thumbprint). */
#ifndef CM_JWS_H
#define CM_JWS_H

#include <jansson.h>
#include <openssl/evp.h>

/* The public JWK of key (EC: crv/kty/x/y, RSA: e/kty/n); caller json_decref's. */
json_t *jws_jwk(EVP_PKEY *key);
/* RFC 7638 SHA-256 thumbprint, base64url; caller frees. */
char *jws_thumbprint(EVP_PKEY *key);
/* "ES256", "ES384" or "RS256" for the key. */
const char *jws_alg(EVP_PKEY *key);
/*
 * Signs payload (NULL or "" for POST-as-GET) for url with nonce. With kid NULL the
 * protected header carries the jwk (newAccount), otherwise the kid. Returns the
 * flattened JWS JSON text (caller frees), NULL on failure.
 */
char *jws_sign(EVP_PKEY *key, const char *kid, const char *nonce, const char *url, const char *payload);
/*
 * The inner JWS of a key change (RFC 8555 §7.3.5): protected header with the jwk of key
 * and url, and no nonce. Returns the flattened JWS JSON text (caller frees), NULL on failure.
 */
char *jws_sign_nested(EVP_PKEY *key, const char *url, const char *payload);
/*
 * The External Account Binding of a newAccount request (RFC 8555 §7.3.4): a JWS whose
 * protected header is {"alg", "kid": kid, "url": url}, whose payload is the public JWK
 * of account_key and whose signature is an HMAC with hmac_key. alg is "HS256" (also for
 * NULL), "HS384" or "HS512". Returns the flattened JWS object (caller json_decref's),
 * NULL on failure.
 */
json_t *jws_sign_eab(const char *kid, const unsigned char *hmac_key, size_t keylen, const char *alg,
                     const char *url, EVP_PKEY *account_key);
/* token "." thumbprint (RFC 8555 §8.1); caller frees. */
char *jws_key_authorization(const char *token, EVP_PKEY *account_key);

#endif
