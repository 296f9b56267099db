/* buf — a growable byte buffer with an optional size limit. */
#ifndef CM_BUF_H
#define CM_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data;   /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t limit; /* 0: unlimited; otherwise appends past it fail */
};

void buf_init(struct buf *b, size_t limit);
/* Appends n bytes; false (and nothing appended) when the limit would be passed. */
bool buf_append(struct buf *b, const void *p, size_t n);
bool buf_puts(struct buf *b, const char *s);
bool buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands the contents to the caller (NUL-terminated, never NULL) and empties b. */
char *buf_steal(struct buf *b);

#endif
