/*
 * bundle — the download formats of an issued certificate, made from its stored PEM
 * text with OpenSSL 3: the leaf as DER, a PKCS#7 certs-only bundle (DER) and a
 * password-protected PKCS#12 (modern AES-256-CBC/PBKDF2/HMAC-SHA-256, or the legacy
 * PBE-SHA1-3DES/HMAC-SHA-1 that older Windows needs).
 */
#ifndef CM_CRYPTO_BUNDLE_H
#define CM_CRYPTO_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

/* PKCS#12 key-derivation and MAC iterations (OpenSSL's PKCS12_DEFAULT_ITER). */
#define BUNDLE_PKCS12_ITER 2048

/* The DER of the first certificate of pem (caller frees *der); false when there is none. */
bool bundle_leaf_der(const char *pem, unsigned char **der, size_t *len);
/* A PKCS#7 SignedData with no signers holding every certificate of pem, in order, as DER. */
bool bundle_p7b_der(const char *pem, unsigned char **der, size_t *len);
/*
 * A PKCS#12 (DER) of the private key key_pem, the leaf (first certificate of
 * fullchain_pem) and the rest of the chain, encrypted and MACed with password. legacy:
 * PBE-SHA1-3DES for key and certificates and an HMAC-SHA-1 MAC (both in OpenSSL 3's
 * default provider; RC2, which would need the legacy provider, is not used); else
 * AES-256-CBC with PBKDF2 and an HMAC-SHA-256 MAC. *der is the caller's (it holds the
 * encrypted key: wipe it). False when the key does not match the leaf or OpenSSL fails.
 */
bool bundle_pkcs12_der(const char *key_pem, size_t key_len, const char *fullchain_pem, const char *password,
                       bool legacy, unsigned char **der, size_t *len);

#endif
