/* auth_cache — recently looked-up API keys of one front thread (auth_cache.h says why and how long). */
#include "auth_cache.h"

#include "base/clock.h"
#include "base/xalloc.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* Empties one slot. */
static void fcgi_auth_cache_drop(struct fcgi_auth_entry *e)
{
    free(e->tenant_id);
    free(e->key_id);
    memset(e, 0, sizeof *e);
}

/* Copies out a live entry for hash; an expired one is dropped on the way. */
bool fcgi_auth_cache_get(struct fcgi_auth_cache *c, const unsigned char hash[DB_API_HASH_LEN], char **tenant_id,
                         char **key_id, struct db_api_tenant_rate *rate)
{
    long long now = clock_now_ms();
    for (size_t i = 0; i < FCGI_AUTH_CACHE_SLOTS; i++) {
        struct fcgi_auth_entry *e = &c->slot[i];
        if (!e->expires_ms || CRYPTO_memcmp(e->hash, hash, DB_API_HASH_LEN) != 0)
            continue;
        if (now >= e->expires_ms) {
            fcgi_auth_cache_drop(e);
            return false;
        }
        *tenant_id = xstrdup(e->tenant_id);
        *key_id = xstrdup(e->key_id);
        *rate = e->rate;
        return true;
    }
    return false;
}

/* Keeps what the database said about hash for ttl_ms, in the next slot round robin. */
void fcgi_auth_cache_put(struct fcgi_auth_cache *c, const unsigned char hash[DB_API_HASH_LEN], const char *tenant_id,
                         const char *key_id, const struct db_api_tenant_rate *rate, long ttl_ms)
{
    if (ttl_ms <= 0 || !tenant_id || !key_id)
        return;
    struct fcgi_auth_entry *e = &c->slot[c->next];
    c->next = (c->next + 1) % FCGI_AUTH_CACHE_SLOTS;
    fcgi_auth_cache_drop(e);
    memcpy(e->hash, hash, DB_API_HASH_LEN);
    e->tenant_id = xstrdup(tenant_id);
    e->key_id = xstrdup(key_id);
    e->rate = *rate;
    e->expires_ms = clock_now_ms() + ttl_ms;
}

/* Frees every entry. */
void fcgi_auth_cache_clear(struct fcgi_auth_cache *c)
{
    for (size_t i = 0; i < FCGI_AUTH_CACHE_SLOTS; i++)
        fcgi_auth_cache_drop(&c->slot[i]);
    c->next = 0;
}
