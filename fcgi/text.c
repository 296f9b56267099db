/* text — checks on request text before it reaches SQL, logs or JSON. */
#include "text.h"

#include <string.h>
#include <strings.h>

/* Validates UTF-8 (no overlongs, no surrogates, at most U+10FFFF) and refuses NUL. */
bool fcgi_text_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t extra;
        unsigned long cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

/* Counts code points: every byte that is not a continuation byte starts one. */
size_t fcgi_text_utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* Checks the shape of an object id taken from a path. */
bool fcgi_text_is_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > FCGI_MAX_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

/* Checks for 1..max printable ASCII characters. */
bool fcgi_text_printable(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

/* Case-insensitive prefix test (HTTP scheme and media type names). */
bool fcgi_text_prefix_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Shortens user text for an error message without splitting a UTF-8 sequence. */
const char *fcgi_text_snippet(char *dst, size_t dstlen, const char *src)
{
    if (dstlen < 8) {
        if (dstlen)
            dst[0] = '\0';
        return dst;
    }
    size_t n = strlen(src), max = dstlen - 1;
    bool cut = n > max;
    if (cut) {
        max -= 3;
        /* Step back to the first byte of a character. */
        while (max > 0 && ((unsigned char)src[max] & 0xc0) == 0x80)
            max--;
        n = max;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
    if (cut) {
        memcpy(dst + n, "...", 4);
    } else {
        dst[n] = '\0';
    }
    return dst;
}
