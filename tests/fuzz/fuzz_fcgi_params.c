/*
 * fuzz_fcgi_params — the FastCGI parameters the front server passes (REQUEST_METHOD,
 * PATH_INFO, QUERY_STRING, CONTENT_TYPE, HTTP_AUTHORIZATION, ...), one NAME=value per
 * line, through the request reader, the router, the API-key check and the query-string
 * parser of the list endpoints.
 */
#include "fuzz_common.h"

#include "dispatch.h"
#include "query.h"
#include "request.h"
#include "response.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_PARAMS 32

/* Splits the input into NAME=value lines and dispatches the request they describe. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *env[FUZZ_MAX_PARAMS + 1];
    size_t n = 0;
    for (char *line = text, *next; line && n < FUZZ_MAX_PARAMS; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strchr(line, '='))
            env[n++] = line;
    }
    env[n] = NULL;
    struct fcgi_req req;
    fcgi_request_from_env(&req, env);
    req.body_read = 1; /* no stream: a route that needs a body sees an empty one */
    struct fcgi_resp resp;
    fcgi_resp_init(&resp);
    fcgi_dispatch(fuzz_fcgi_ctx(), &req, &resp);
    if (resp.status < 200 || resp.status > 599)
        abort();
    fcgi_resp_free(&resp);
    /* The lists' query strings are read after authentication, which fails here: parse them directly. */
    static const char *const allowed[] = { "limit", "cursor", "status", "domain", "customer_ref", NULL };
    struct fcgi_query q;
    fcgi_resp_init(&resp);
    if (fcgi_query_parse(req.query, allowed, &q, &resp))
        (void)fcgi_query_get(&q, "limit");
    fcgi_query_free(&q);
    fcgi_resp_free(&resp);
    fcgi_request_free(&req);
    free(text);
    return 0;
}
