/* key — private key generation and PEM (de)serialisation. */
#ifndef CM_KEY_H
#define CM_KEY_H

#include <openssl/evp.h>
#include <stddef.h>

/* Same names as the API's key_type and the SQL CHECK constraint. */
enum key_type { KEY_EC_P256 = 0, KEY_EC_P384, KEY_RSA_2048, KEY_RSA_3072, KEY_RSA_4096, KEY_TYPE_COUNT };

/* Parses "ec-p256" ... "rsa-4096"; -1 when unknown. */
int key_type_parse(const char *s);
const char *key_type_name(enum key_type t);
/* Generates a fresh private key; NULL on failure (logged). */
EVP_PKEY *key_generate(enum key_type t);
/* PKCS#8 PEM of the private key (unencrypted: seal it before storing). Caller frees with xfree_secret. */
char *key_to_pem(EVP_PKEY *key, size_t *len);
/* Reads a private key PEM; NULL when it is not one. */
EVP_PKEY *key_from_pem(const char *pem, size_t len);
/* Tells the key_type of a key, -1 if none of ours. */
int key_type_of(EVP_PKEY *key);

#endif
