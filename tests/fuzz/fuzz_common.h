/*
 * fuzz_common — what the libFuzzer drivers share: a configuration as certmill-fcgi
 * would have read it (one CA, no database reachable, so every handler stops at its
 * first query with a 503 after checking its input), built once.
 */
#ifndef CM_FUZZ_COMMON_H
#define CM_FUZZ_COMMON_H

#include "app.h"
#include "base/config.h"

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point each driver defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A configuration with one CA named "fuzz-ca" (the default) and the usual API limits. */
const struct config *fuzz_config(void);
/* An fcgi thread context on fuzz_config() whose database never connects. */
struct fcgi_ctx *fuzz_fcgi_ctx(void);

#endif
