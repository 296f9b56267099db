/* keycache — decoded account keys, kept per worker process (keycache.h says why). */
#include "keycache.h"

#include <openssl/crypto.h>
#include <stdbool.h>
#include <string.h>

/* SHA-256 over the associated data, a NUL and the sealed key; false if the digest failed (nothing is cached). */
static bool keycache_id(const char *aad, const unsigned char *sealed, size_t len, unsigned char id[32])
{
    unsigned int n = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
              EVP_DigestUpdate(md, aad, strlen(aad) + 1) == 1 && EVP_DigestUpdate(md, sealed, len) == 1 &&
              EVP_DigestFinal_ex(md, id, &n) == 1 && n == 32;
    EVP_MD_CTX_free(md);
    return ok;
}

/* The key sealed as sealed[0..len) for aad, with a reference for the caller; NULL when not kept. */
EVP_PKEY *keycache_get(struct keycache *c, const char *aad, const unsigned char *sealed, size_t len)
{
    unsigned char id[32];
    if (!keycache_id(aad, sealed, len, id))
        return NULL;
    for (size_t i = 0; i < KEYCACHE_SLOTS; i++) {
        struct keycache_slot *s = &c->slot[i];
        if (s->key && memcmp(s->id, id, sizeof id) == 0 && EVP_PKEY_up_ref(s->key) == 1) {
            s->used = ++c->clock;
            return s->key;
        }
    }
    return NULL;
}

/* Keeps key (the cache takes its own reference) as the one sealed as sealed[0..len) for aad. */
void keycache_put(struct keycache *c, const char *aad, const unsigned char *sealed, size_t len, EVP_PKEY *key)
{
    unsigned char id[32];
    if (!key || !keycache_id(aad, sealed, len, id) || EVP_PKEY_up_ref(key) != 1)
        return;
    struct keycache_slot *victim = &c->slot[0];
    for (size_t i = 0; i < KEYCACHE_SLOTS; i++) {
        struct keycache_slot *s = &c->slot[i];
        if (!s->key) {
            victim = s;
            break;
        }
        if (s->used < victim->used)
            victim = s;
    }
    EVP_PKEY_free(victim->key);
    memcpy(victim->id, id, sizeof id);
    victim->key = key;
    victim->used = ++c->clock;
}

/* Frees every kept key. */
void keycache_clear(struct keycache *c)
{
    for (size_t i = 0; i < KEYCACHE_SLOTS; i++)
        EVP_PKEY_free(c->slot[i].key);
    OPENSSL_cleanse(c, sizeof *c);
}
