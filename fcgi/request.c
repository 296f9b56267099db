/* request — reading one FastCGI request with a limit on every part. */
#include "request.h"

#include "base/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Copies a parameter, cut at cap + 1 bytes so the user can still see it was too long. */
static char *fcgi_request_param(char **envp, const char *name, size_t cap)
{
    const char *v = FCGX_GetParam(name, envp);
    return v ? xstrndup(v, cap + 1) : NULL;
}

/* Parses CONTENT_LENGTH: -1 when absent, LLONG_MAX when unparsable (treated as too large). */
static long long fcgi_request_length(const char *v)
{
    if (!v || !*v)
        return -1;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n < 0)
        return LLONG_MAX;
    return n;
}

/* Fills req from the parameter array. */
void fcgi_request_from_env(struct fcgi_req *req, char **envp)
{
    memset(req, 0, sizeof *req);
    buf_init(&req->body, 0);
    const char *m = FCGX_GetParam("REQUEST_METHOD", envp);
    size_t mlen = m ? strlen(m) : 0;
    if (mlen < sizeof req->method)
        memcpy(req->method, m ? m : "", mlen + 1);
    /* PATH_INFO is $uri (decoded, dot segments resolved); DOCUMENT_URI is the same in nginx. */
    req->path = fcgi_request_param(envp, "PATH_INFO", FCGI_MAX_PATH);
    if (!req->path || !*req->path) {
        free(req->path);
        req->path = fcgi_request_param(envp, "DOCUMENT_URI", FCGI_MAX_PATH);
    }
    if (!req->path || !*req->path) {
        /* Front servers without PATH_INFO: the raw path of REQUEST_URI (ids need no decoding). */
        const char *uri = FCGX_GetParam("REQUEST_URI", envp);
        size_t n = uri ? strcspn(uri, "?") : 0;
        free(req->path);
        req->path = xstrndup(uri ? uri : "", n > FCGI_MAX_PATH ? FCGI_MAX_PATH + 1 : n);
    }
    req->query = fcgi_request_param(envp, "QUERY_STRING", FCGI_MAX_QUERY);
    if (!req->query)
        req->query = xstrdup("");
    req->content_type = fcgi_request_param(envp, "CONTENT_TYPE", FCGI_MAX_HEADER);
    req->authorization = fcgi_request_param(envp, "HTTP_AUTHORIZATION", FCGI_MAX_HEADER);
    req->idempotency_key = fcgi_request_param(envp, "HTTP_IDEMPOTENCY_KEY", FCGI_MAX_HEADER);
    req->if_none_match = fcgi_request_param(envp, "HTTP_IF_NONE_MATCH", FCGI_MAX_HEADER);
    req->pfx_password = fcgi_request_param(envp, "HTTP_X_PFX_PASSWORD", FCGI_MAX_HEADER);
    req->remote_addr = fcgi_request_param(envp, "REMOTE_ADDR", FCGI_MAX_REMOTE_ADDR);
    req->content_length = fcgi_request_length(FCGX_GetParam("CONTENT_LENGTH", envp));
}

/* Fills req from a FastCGI request. */
void fcgi_request_init(struct fcgi_req *req, FCGX_Request *fx)
{
    fcgi_request_from_env(req, fx->envp);
    req->fx = fx;
}

/* Reads the body: CONTENT_LENGTH is checked before a byte is read, the bytes while reading. */
enum fcgi_body_rc fcgi_request_body(struct fcgi_req *req, size_t max)
{
    if (req->body_read)
        return FCGI_BODY_OK;
    if (req->content_length > (long long)max)
        return FCGI_BODY_TOO_LARGE;
    req->body_read = true;
    if (!req->fx || req->content_length == 0)
        return FCGI_BODY_OK;
    buf_init(&req->body, max);
    char chunk[8192];
    for (;;) {
        int n = FCGX_GetStr(chunk, (int)sizeof chunk, req->fx->in);
        if (n <= 0)
            break;
        if (!buf_append(&req->body, chunk, (size_t)n))
            return FCGI_BODY_TOO_LARGE;
    }
    if (req->content_length >= 0 && (long long)req->body.len != req->content_length)
        return FCGI_BODY_ERROR;
    return FCGI_BODY_OK;
}

/* Releases the request's copies, wiping the credentials. */
void fcgi_request_free(struct fcgi_req *req)
{
    free(req->path);
    free(req->query);
    free(req->content_type);
    if (req->authorization)
        xfree_secret(req->authorization, strlen(req->authorization));
    free(req->idempotency_key);
    free(req->if_none_match);
    if (req->pfx_password)
        xfree_secret(req->pfx_password, strlen(req->pfx_password));
    buf_free(&req->body);
    for (size_t i = 0; i < req->n_params; i++)
        free(req->params[i]);
    free(req->tenant_id);
    free(req->api_key_id);
    free(req->remote_addr);
    memset(req, 0, sizeof *req);
}
