/*
 * keycache — keys a worker has already decoded, found by their sealed form. OpenSSL 3
 * spends about a millisecond decoding a PEM key, every step of an order signs with its
 * account's key, and the download checks the certificate against the key finalize used:
 * the worker decodes each account key once, and a certificate key it made not at all.
 */
#ifndef CM_WORKER_KEYCACHE_H
#define CM_WORKER_KEYCACHE_H

#include <openssl/evp.h>

#include <stddef.h>

/* Keys kept; past this the least recently used goes. */
#define KEYCACHE_SLOTS 128

struct keycache_slot {
    unsigned char id[32]; /* SHA-256 of associated data and sealed key: a rotation or rollover is a new id */
    EVP_PKEY *key;
    unsigned long used;   /* clock of the last hit, for the eviction */
};

struct keycache {
    struct keycache_slot slot[KEYCACHE_SLOTS];
    unsigned long clock;
};

/*
 * The key sealed as sealed[0..len) for the associated data aad (the row it belongs to:
 * a ciphertext moved to another row is not found, as it would not decrypt there), with
 * a reference for the caller; NULL when not kept.
 */
EVP_PKEY *keycache_get(struct keycache *c, const char *aad, const unsigned char *sealed, size_t len);
/* Keeps key (the cache takes its own reference) as the one sealed as sealed[0..len) for aad. */
void keycache_put(struct keycache *c, const char *aad, const unsigned char *sealed, size_t len, EVP_PKEY *key);
/* Frees every kept key. */
void keycache_clear(struct keycache *c);

#endif
