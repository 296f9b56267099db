/* buf — a growable byte buffer with an optional size limit. */
#include "base/buf.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Starts an empty buffer; limit 0 means no limit. */
void buf_init(struct buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

/* Appends bytes, refusing (without partial append) to pass the limit. */
bool buf_append(struct buf *b, const void *p, size_t n)
{
    if (b->limit && (n > b->limit || b->len > b->limit - n))
        return false;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

/* Appends a C string. */
bool buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

/* Appends printf output. */
bool buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        free(s);
        return false;
    }
    bool ok = buf_append(b, s, (size_t)n);
    free(s);
    return ok;
}

/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Releases the buffer's memory. */
void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b, b->limit);
}

/* Returns the contents as a string the caller frees. */
char *buf_steal(struct buf *b)
{
    char *p = b->data ? b->data : xstrdup("");
    buf_init(b, b->limit);
    return p;
}
