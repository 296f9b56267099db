/* text — small checks on untrusted text from requests (UTF-8, identifiers, printable ASCII). */
#ifndef CM_FCGI_TEXT_H
#define CM_FCGI_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define FCGI_MAX_ID 64 /* characters of an object id in a path */

/* True when the n bytes at s are well-formed UTF-8 without NUL. */
bool fcgi_text_utf8_valid(const char *s, size_t n);
/* Number of code points of a valid UTF-8 string. */
size_t fcgi_text_utf8_chars(const char *s);
/* True when s looks like one of our ids: 1..64 of [A-Za-z0-9_-]. */
bool fcgi_text_is_id(const char *s);
/* True when s is 1..max printable ASCII characters (0x20-0x7e). */
bool fcgi_text_printable(const char *s, size_t max);
/*
 * Copies user text into dst for a problem detail: cut at a character boundary (with
 * "..." when cut), control characters as '?'. src must be valid UTF-8. Returns dst.
 */
const char *fcgi_text_snippet(char *dst, size_t dstlen, const char *src);
/* True when s starts with prefix, ignoring ASCII case. */
bool fcgi_text_prefix_ci(const char *s, const char *prefix);

#endif
