/* xalloc — allocation that never returns NULL. */
#include "base/xalloc.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ends the process: there is no sensible recovery from exhausted memory. */
static void xalloc_die(size_t n)
{
    fprintf(stderr, "certmill: out of memory (%zu bytes)\n", n);
    abort();
}

/* malloc that aborts instead of returning NULL. */
void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        xalloc_die(n);
    return p;
}

/* calloc that aborts instead of returning NULL. */
void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        xalloc_die(n * size);
    return p;
}

/* realloc that aborts instead of returning NULL. */
void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        xalloc_die(n);
    return q;
}

/* strdup that aborts instead of returning NULL; NULL in gives NULL out. */
char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    return xstrndup(s, strlen(s));
}

/* strndup that aborts instead of returning NULL. */
char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* printf into a fresh allocation. */
char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = NULL;
    int n = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (n < 0)
        xalloc_die(0);
    return p;
}

/* Wipes then frees a buffer that held a secret. */
void xfree_secret(void *p, size_t n)
{
    if (!p)
        return;
    OPENSSL_cleanse(p, n);
    free(p);
}
