/* query — decoding and checking query strings. */
#include "query.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "request.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* The value of one hex digit, -1 if c is none. */
static int fcgi_query_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes n bytes of form encoding ('+' is a space); NULL on a bad escape or bad UTF-8. */
static char *fcgi_query_decode(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int h = i + 2 < n ? fcgi_query_hex(s[i + 1]) : -1;
            int l = i + 2 < n ? fcgi_query_hex(s[i + 2]) : -1;
            if (h < 0 || l < 0) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    if (!fcgi_text_utf8_valid(out, o)) {
        free(out);
        return NULL;
    }
    return out;
}

/* Tells whether name is in the NULL-terminated list. */
static bool fcgi_query_allowed(const char *const *allowed, const char *name)
{
    for (; *allowed; allowed++)
        if (strcmp(*allowed, name) == 0)
            return true;
    return false;
}

/* Parses and checks one name=value pair (n bytes at s). */
static bool fcgi_query_pair(const char *s, size_t n, const char *const *allowed, struct fcgi_query *q,
                            struct fcgi_resp *resp)
{
    const char *eq = memchr(s, '=', n);
    size_t nlen = eq ? (size_t)(eq - s) : n;
    char *name = fcgi_query_decode(s, nlen);
    char *value = eq ? fcgi_query_decode(eq + 1, n - nlen - 1) : xstrdup("");
    char safe[64];
    if (!name) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "query", "the query string has a bad %-escape");
    } else if (!fcgi_query_allowed(allowed, name)) {
        log_safe(safe, sizeof safe, name);
        fcgi_resp_problemf(resp, FCGI_PROB_UNKNOWN_FIELD, safe, "unknown query parameter '%s'", safe);
    } else if (!value) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, name, "%s has a bad %%-escape or is not UTF-8", name);
    } else if (fcgi_query_get(q, name)) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, name, "%s is given more than once", name);
    } else if (q->n == FCGI_QUERY_MAX_PARAMS) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "query", "too many query parameters");
    } else {
        q->name[q->n] = name;
        q->value[q->n] = value;
        q->n++;
        return true;
    }
    free(name);
    free(value);
    return false;
}

/* Splits qs at '&' and checks each pair. */
bool fcgi_query_parse(const char *qs, const char *const *allowed, struct fcgi_query *q, struct fcgi_resp *resp)
{
    memset(q, 0, sizeof *q);
    if (strlen(qs) > FCGI_MAX_QUERY) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "query", "the query string is too long");
        return false;
    }
    for (const char *p = qs; *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        /* Empty pairs ("a=1&&b=2", a trailing '&') carry nothing: skip them. */
        if (n && !fcgi_query_pair(p, n, allowed, q, resp)) {
            fcgi_query_free(q);
            return false;
        }
        p += n + (amp ? 1 : 0);
    }
    return true;
}

/* Finds a parameter's value. */
const char *fcgi_query_get(const struct fcgi_query *q, const char *name)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->name[i], name) == 0)
            return q->value[i];
    return NULL;
}

/* Releases the decoded pairs. */
void fcgi_query_free(struct fcgi_query *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->name[i]);
        free(q->value[i]);
    }
    q->n = 0;
}
