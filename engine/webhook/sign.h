/*
 * sign — Standard Webhooks signing (https://www.standardwebhooks.com): secrets of the
 * form "whsec_" + base64(key bytes), and the signature "v1,<base64 HMAC-SHA256 of
 * '<webhook-id>.<webhook-timestamp>.<body>'>" keyed with the decoded bytes.
 */
#ifndef CM_WEBHOOK_SIGN_H
#define CM_WEBHOOK_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#define WH_SECRET_PREFIX "whsec_"
#define WH_SECRET_BYTES 32 /* key bytes of a new secret (HMAC-SHA256's block-size half, 256 bits) */

/* A fresh random secret "whsec_..."; NULL when the random generator fails. Caller frees (xfree_secret). */
char *wh_secret_new(void);
/* The key bytes of a "whsec_" secret; false when it is not one. Caller frees *key (xfree_secret). */
bool wh_secret_key(const char *secret, unsigned char **key, size_t *keylen);
/* "v1,<base64 signature>" of id.timestamp.body; NULL when secret is not a whsec_ secret. Caller frees. */
char *wh_sign(const char *secret, const char *msg_id, long long timestamp, const char *body, size_t body_len);

#endif
