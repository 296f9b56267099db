/* apikey — making API keys: random secret shown once, SHA-256 kept. */
#ifndef CM_APIKEY_H
#define CM_APIKEY_H

#include <stdbool.h>

/* Makes "cm_" + 256 random bits (base64url); *key is freed with xfree_secret. */
bool apikey_generate(char **key, unsigned char hash[32]);

#endif
