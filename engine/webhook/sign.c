/* sign — Standard Webhooks secrets and v1 signatures (HMAC-SHA256, standard base64). */
#include "webhook/sign.h"

#include "base/xalloc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Standard base64 with padding (the spec's encoding, not base64url). Caller frees. */
static char *wh_b64(const unsigned char *data, size_t n)
{
    char *out = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)n);
    return out;
}

/* A new secret from WH_SECRET_BYTES random bytes. */
char *wh_secret_new(void)
{
    unsigned char raw[WH_SECRET_BYTES];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return NULL;
    char *b = wh_b64(raw, sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
    char *s = xasprintf(WH_SECRET_PREFIX "%s", b);
    xfree_secret(b, strlen(b));
    return s;
}

/* Decodes the base64 after the prefix (padding allowed, nothing else). */
bool wh_secret_key(const char *secret, unsigned char **key, size_t *keylen)
{
    *key = NULL;
    *keylen = 0;
    if (!secret || strncmp(secret, WH_SECRET_PREFIX, strlen(WH_SECRET_PREFIX)) != 0)
        return false;
    const char *b = secret + strlen(WH_SECRET_PREFIX);
    size_t n = strlen(b);
    if (n == 0 || n % 4 != 0 || n > 512 || strspn(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n)
        return false;
    unsigned char *out = xmalloc(n / 4 * 3 + 1);
    int got = EVP_DecodeBlock(out, (const unsigned char *)b, (int)n);
    if (got < 0) {
        free(out);
        return false;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes: take them off. */
    size_t len = (size_t)got;
    for (size_t i = n; i > 0 && b[i - 1] == '=' && len > 0; i--)
        len--;
    if (len == 0) {
        free(out);
        return false;
    }
    *key = out;
    *keylen = len;
    return true;
}

/* HMAC-SHA256 over "id.timestamp.body", base64, with the version prefix. */
char *wh_sign(const char *secret, const char *msg_id, long long timestamp, const char *body, size_t body_len)
{
    unsigned char *key;
    size_t keylen;
    if (!wh_secret_key(secret, &key, &keylen))
        return NULL;
    char head[160];
    int hn = snprintf(head, sizeof head, "%s.%lld.", msg_id, timestamp);
    char *sig = NULL;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0), OSSL_PARAM_construct_end() };
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t mdlen = 0;
    if (hn > 0 && (size_t)hn < sizeof head && ctx && EVP_MAC_init(ctx, key, keylen, params) == 1 &&
        EVP_MAC_update(ctx, (const unsigned char *)head, (size_t)hn) == 1 &&
        EVP_MAC_update(ctx, (const unsigned char *)body, body_len) == 1 &&
        EVP_MAC_final(ctx, md, &mdlen, sizeof md) == 1) {
        char *b = wh_b64(md, mdlen);
        sig = xasprintf("v1,%s", b);
        free(b);
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    xfree_secret(key, keylen);
    return sig;
}
