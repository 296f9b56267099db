/* key — private key generation and PEM (de)serialisation. */
#include "crypto/key.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <limits.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

static const char *const key_names[KEY_TYPE_COUNT] = { "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096" };

/* Parses "ec-p256" ... "rsa-4096"; -1 when unknown. */
int key_type_parse(const char *s)
{
    for (int i = 0; s && i < KEY_TYPE_COUNT; i++)
        if (strcmp(s, key_names[i]) == 0)
            return i;
    return -1;
}

/* The API name of a key type ("?" for an out-of-range value). */
const char *key_type_name(enum key_type t)
{
    if ((int)t < 0 || t >= KEY_TYPE_COUNT)
        return "?";
    return key_names[t];
}

/* Logs the newest OpenSSL error with what we were doing, then empties the error queue. */
static void key_log_ossl(const char *what)
{
    char msg[256];
    unsigned long e = ERR_peek_last_error();
    ERR_error_string_n(e, msg, sizeof msg);
    log_error("key: %s failed: %s", what, e ? msg : "unknown error");
    ERR_clear_error();
}

/* Generates a fresh private key; NULL on failure (logged). */
EVP_PKEY *key_generate(enum key_type t)
{
    EVP_PKEY *k = NULL;
    switch (t) {
    case KEY_EC_P256:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case KEY_EC_P384:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        break;
    case KEY_RSA_2048:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        break;
    case KEY_RSA_3072:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
        break;
    case KEY_RSA_4096:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
        break;
    default:
        log_error("key: unknown key type %d", (int)t);
        return NULL;
    }
    if (!k)
        key_log_ossl("key generation");
    return k;
}

/* PKCS#8 PEM of the private key; caller frees with xfree_secret(p, *len + 1). */
char *key_to_pem(EVP_PKEY *key, size_t *len)
{
    char *out = NULL;
    /* A secure-heap BIO so the PEM text is wiped when the BIO is freed. */
    BIO *bio = BIO_new(BIO_s_secmem());
    if (!key || !bio) {
        key_log_ossl("PEM buffer");
        goto done;
    }
    if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1) {
        key_log_ossl("PEM encoding");
        goto done;
    }
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || !data) {
        key_log_ossl("PEM encoding");
        goto done;
    }
    out = xmalloc((size_t)n + 1);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    if (len)
        *len = (size_t)n;
done:
    BIO_free(bio);
    return out;
}

/* Refuses to prompt for a passphrase: an encrypted PEM is simply not one of our keys. */
static int key_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* Reads a private key PEM; NULL when it is not one. */
EVP_PKEY *key_from_pem(const char *pem, size_t len)
{
    if (!pem || len == 0 || len > INT_MAX)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return NULL;
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, key_no_passphrase, NULL);
    BIO_free(bio);
    /* A failed parse leaves errors queued; they must not confuse the next caller's check. */
    ERR_clear_error();
    return k;
}

/* Tells the key_type of a key, -1 if none of ours. */
int key_type_of(EVP_PKEY *key)
{
    if (!key)
        return -1;
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[64];
        size_t glen = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1)
            return -1;
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
            return KEY_EC_P256;
        if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
            return KEY_EC_P384;
        return -1;
    }
    /* "RSA" only: an RSA-PSS key cannot sign RS256 or a PKCS#1 v1.5 CSR. */
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        switch (EVP_PKEY_get_bits(key)) {
        case 2048:
            return KEY_RSA_2048;
        case 3072:
            return KEY_RSA_3072;
        case 4096:
            return KEY_RSA_4096;
        default:
            return -1;
        }
    }
    return -1;
}
