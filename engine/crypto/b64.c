/* b64 — base64url without padding (RFC 4648 §5), as JOSE and ACME use it. */
#include "crypto/b64.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Maps one character to its 6-bit value, -1 when it is not in the url alphabet. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Encodes len bytes as base64url without padding; the caller frees the result. */
char *b64url_encode(const void *data, size_t len)
{
    const unsigned char *p = data;
    char *out = xmalloc(len / 3 * 4 + 4 + 1);
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        unsigned long v = ((unsigned long)p[i] << 16) | ((unsigned long)p[i + 1] << 8) | p[i + 2];
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (len - i == 1) {
        unsigned long v = (unsigned long)p[i] << 16;
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
    } else if (len - i == 2) {
        unsigned long v = ((unsigned long)p[i] << 16) | ((unsigned long)p[i + 1] << 8);
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
    }
    out[o] = '\0';
    return out;
}

/*
 * Decodes unpadded base64url. Refuses padding, whitespace, the standard alphabet's '+'
 * and '/', impossible lengths and non-zero leftover bits, so every input has exactly one
 * meaning. *out is NUL-terminated for convenience; the caller frees it.
 */
bool b64url_decode(const char *s, unsigned char **out, size_t *outlen)
{
    if (!s || !out || !outlen)
        return false;
    size_t len = strlen(s);
    if (len % 4 == 1)
        return false;
    unsigned char *buf = xmalloc(len / 4 * 3 + 3 + 1);
    size_t o = 0;
    unsigned long acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0) {
            free(buf);
            return false;
        }
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    /* Leftover bits must be zero: otherwise two encodings would decode to the same bytes. */
    if (bits && (acc & ((1UL << bits) - 1))) {
        free(buf);
        return false;
    }
    buf[o] = '\0';
    *out = buf;
    *outlen = o;
    return true;
}

/* True when s is 1..maxlen characters of the base64url alphabet (the ACME token check). */
bool b64url_valid(const char *s, size_t maxlen)
{
    if (!s || !*s)
        return false;
    size_t i = 0;
    for (; s[i]; i++) {
        if (i >= maxlen || b64_value((unsigned char)s[i]) < 0)
            return false;
    }
    return true;
}
