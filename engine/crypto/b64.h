/* b64 — base64url without padding (RFC 4648 §5), as JOSE and ACME use it. */
#ifndef CM_B64_H
#define CM_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Encodes len bytes; the caller frees the result. */
char *b64url_encode(const void *data, size_t len);
/* Decodes s (no padding, no whitespace); false on any invalid character or length. */
bool b64url_decode(const char *s, unsigned char **out, size_t *outlen);
/* True when s is 1..maxlen characters of the base64url alphabet (the ACME token check). */
bool b64url_valid(const char *s, size_t maxlen);

#endif
