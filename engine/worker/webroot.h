/* webroot — HTTP-01 token files for web servers that serve a directory instead of asking certmill. */
#ifndef CM_WEBROOT_H
#define CM_WEBROOT_H

#include <stdbool.h>
#include <stddef.h>

/* Writes ROOT/.well-known/acme-challenge/TOKEN atomically (temporary file, then rename). */
bool webroot_write(const char *root, const char *token, const char *key_authorization, char *err, size_t errlen);
/* Removes the token's file; a file already gone is fine. */
bool webroot_remove(const char *root, const char *token, char *err, size_t errlen);

#endif
