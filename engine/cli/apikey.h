/* apikey — making API keys: random secret shown once, SHA-256 kept. */
#ifndef CM_APIKEY_H
#define CM_APIKEY_H

#include "base/config.h"

#include <stdbool.h>

/* Makes "cm_" + 256 random bits (base64url); *key is freed with xfree_secret. */
bool apikey_generate(char **key, unsigned char hash[32]);
/*
 * Waits [api] key_cache_ms: the fronts keep what they looked up about a key (its tenant,
 * its rate) that long, so a command that revokes a key or changes what it grants returns
 * only once every front sees the change.
 */
void apikey_cache_wait(const struct config *cfg);

#endif
