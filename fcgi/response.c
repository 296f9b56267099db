/* response — building a response and writing it to the FastCGI stream. */
#include "response.h"

#include "base/log.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a client should wait before retrying after a 503, in seconds. */
#define FCGI_RETRY_AFTER "2"

/* The reason phrase of the statuses certmill sends. */
static const char *fcgi_resp_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

/* Starts an empty 500 response, so a handler that forgets to answer is visible. */
void fcgi_resp_init(struct fcgi_resp *r)
{
    memset(r, 0, sizeof *r);
    r->status = 500;
    r->content_type = FCGI_JSON_CONTENT_TYPE;
    r->problem = -1;
    buf_init(&r->headers, 0);
    buf_init(&r->body, 0);
}

/* Releases the buffers, wiping a body that carried a private key. */
void fcgi_resp_free(struct fcgi_resp *r)
{
    if (r->secret && r->body.data)
        xfree_secret(r->body.data, r->body.cap);
    else
        free(r->body.data);
    buf_init(&r->body, 0);
    buf_free(&r->headers);
}

/* Adds one header line; CR/LF in a value would split the response, so it is refused. */
void fcgi_resp_header(struct fcgi_resp *r, const char *name, const char *value)
{
    if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
        log_error("refusing header %s with a line break", name);
        return;
    }
    buf_printf(&r->headers, "%s: %s\r\n", name, value);
}

/* Replaces the body with the compact JSON text of body. */
void fcgi_resp_json(struct fcgi_resp *r, int status, const json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    r->status = status;
    r->content_type = FCGI_JSON_CONTENT_TYPE;
    buf_reset(&r->body);
    if (s) {
        buf_puts(&r->body, s);
        if (r->secret)
            xfree_secret(s, strlen(s));
        else
            free(s);
    }
}

/* Replaces the body with text. */
void fcgi_resp_text(struct fcgi_resp *r, int status, const char *content_type, const char *text, size_t n)
{
    r->status = status;
    r->content_type = content_type;
    buf_reset(&r->body);
    buf_append(&r->body, text, n);
}

/* Replaces the response with a problem and its implied headers. */
void fcgi_resp_problem(struct fcgi_resp *r, enum fcgi_problem p, const char *field, const char *detail)
{
    const struct fcgi_problem_info *pi = fcgi_problem_info(p);
    json_t *o = fcgi_problem_json(p, detail, field);
    buf_reset(&r->headers);
    r->secret = false;
    fcgi_resp_json(r, pi->status, o);
    json_decref(o);
    r->content_type = FCGI_PROBLEM_CONTENT_TYPE;
    r->problem = (int)p;
    if (pi->status == 401)
        fcgi_resp_header(r, "WWW-Authenticate", "Bearer realm=\"certmill\"");
    if (pi->status == 503)
        fcgi_resp_header(r, "Retry-After", FCGI_RETRY_AFTER);
}

/* Replaces the response with a problem whose detail is formatted. */
void fcgi_resp_problemf(struct fcgi_resp *r, enum fcgi_problem p, const char *field, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    fcgi_resp_problem(r, p, field, detail);
}

/* Builds the CGI header block. */
static void fcgi_resp_head(const struct fcgi_resp *r, struct buf *out)
{
    buf_printf(out, "Status: %d %s\r\n", r->status, fcgi_resp_reason(r->status));
    /* A 304 has no body and describes none (RFC 9110 §15.4.5). */
    if (r->status != 304) {
        buf_printf(out, "Content-Type: %s\r\n", r->content_type);
        /* HEAD reports the length the GET body would have. */
        buf_printf(out, "Content-Length: %zu\r\n", r->body.len);
    }
    if (r->headers.len)
        buf_append(out, r->headers.data, r->headers.len);
    buf_puts(out, "\r\n");
}

/* Renders the whole response into one string. */
char *fcgi_resp_render(const struct fcgi_resp *r, bool head_only)
{
    struct buf out;
    buf_init(&out, 0);
    fcgi_resp_head(r, &out);
    if (!head_only && r->body.len)
        buf_append(&out, r->body.data, r->body.len);
    return buf_steal(&out);
}

/* Writes the header block and the body to the stream. */
bool fcgi_resp_write(const struct fcgi_resp *r, FCGX_Stream *out, bool head_only)
{
    struct buf head;
    buf_init(&head, 0);
    fcgi_resp_head(r, &head);
    bool ok = FCGX_PutStr(head.data, (int)head.len, out) == (int)head.len;
    buf_free(&head);
    if (ok && !head_only && r->body.len)
        ok = FCGX_PutStr(r->body.data, (int)r->body.len, out) == (int)r->body.len;
    return ok;
}
