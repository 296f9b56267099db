/* xalloc — allocation that never returns NULL: out of memory ends the process. */
#ifndef CM_XALLOC_H
#define CM_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Frees and zeroes a secret buffer (keys, passwords) so it does not linger. */
void xfree_secret(void *p, size_t n);

#endif
