/* apikey — making API keys. */
#include "apikey.h"

#include "base/xalloc.h"
#include "crypto/b64.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Draws 32 random bytes, encodes them, and hashes the whole key as the API will. */
bool apikey_generate(char **key, unsigned char hash[32])
{
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return false;
    char *enc = b64url_encode(raw, sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
    *key = xasprintf("cm_%s", enc);
    xfree_secret(enc, strlen(enc));
    unsigned int n = 0;
    if (EVP_Digest(*key, strlen(*key), hash, &n, EVP_sha256(), NULL) != 1 || n != 32) {
        xfree_secret(*key, strlen(*key));
        *key = NULL;
        return false;
    }
    return true;
}

/* Waits [api] key_cache_ms, the longest a front keeps what it looked up about a key. */
void apikey_cache_wait(const struct config *cfg)
{
    long ms = cfg->key_cache_ms;
    struct timespec wait = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&wait, &wait) != 0 && errno == EINTR)
        ;
}
