/* etag — ETag and If-None-Match on single-object reads. */
#include "etag.h"

#include "auth.h"

#include <stdio.h>
#include <string.h>

/* True when the If-None-Match list names tag (weak comparison, RFC 9110 §13.1.2) or is "*". */
static bool fcgi_etag_matches(const char *list, const char *tag)
{
    size_t tlen = strlen(tag);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
            m--;
        const char *e = p;
        if (m == 1 && *e == '*')
            return true;
        if (m > 2 && e[0] == 'W' && e[1] == '/') {
            e += 2;
            m -= 2;
        }
        if (m == tlen && memcmp(e, tag, tlen) == 0)
            return true;
        p += n;
    }
    return false;
}

/* Hashes the body into the tag and answers 304 when the client has it already. */
void fcgi_etag_apply(const struct fcgi_req *req, struct fcgi_resp *resp)
{
    unsigned char h[32];
    if (resp->status != 200 || !fcgi_auth_sha256(resp->body.data ? resp->body.data : "", resp->body.len, h))
        return;
    /* 128 bits of the hash are plenty to tell versions of one object apart. */
    char tag[40];
    tag[0] = '"';
    for (int i = 0; i < 16; i++)
        snprintf(tag + 1 + 2 * i, 3, "%02x", h[i]);
    tag[33] = '"';
    tag[34] = '\0';
    fcgi_resp_header(resp, "ETag", tag);
    if (req->if_none_match && fcgi_etag_matches(req->if_none_match, tag)) {
        resp->status = 304;
        buf_reset(&resp->body);
    }
}
