/*
 * auth_cache — API keys a front thread has looked up recently, so that a panel polling
 * its orders costs one statement per request, not two. An entry lives [api]
 * key_cache_ms (a revoked key is refused by every front after that long: `certmill key
 * revoke` waits it out before it returns). Only keys found are kept; an unknown key is
 * looked up every time, so a new key works at once.
 */
#ifndef CM_FCGI_AUTH_CACHE_H
#define CM_FCGI_AUTH_CACHE_H

#include "db_api.h"

#include <stdbool.h>

#define FCGI_AUTH_CACHE_SLOTS 32

struct fcgi_auth_entry {
    unsigned char hash[DB_API_HASH_LEN]; /* SHA-256 of the key, never the key */
    char *tenant_id;
    char *key_id;
    struct db_api_tenant_rate rate;
    long long expires_ms;                /* monotonic; 0: empty slot */
};

struct fcgi_auth_cache {
    struct fcgi_auth_entry slot[FCGI_AUTH_CACHE_SLOTS];
    unsigned next; /* the slot the next new entry takes (round robin) */
};

/* Copies out a live entry for hash (caller frees tenant_id and key_id); false when none. */
bool fcgi_auth_cache_get(struct fcgi_auth_cache *c, const unsigned char hash[DB_API_HASH_LEN], char **tenant_id,
                         char **key_id, struct db_api_tenant_rate *rate);
/* Keeps what the database said about hash for ttl_ms (0: nothing is kept). */
void fcgi_auth_cache_put(struct fcgi_auth_cache *c, const unsigned char hash[DB_API_HASH_LEN], const char *tenant_id,
                         const char *key_id, const struct db_api_tenant_rate *rate, long ttl_ms);
/* Frees every entry. */
void fcgi_auth_cache_clear(struct fcgi_auth_cache *c);

#endif
