/*
 * request — what certmill-fcgi takes from one FastCGI request, every piece with a
 * length cap: method, path, query, the few headers the API reads, and the body
 * (read only when a route needs it, up to the configured limit).
 */
#ifndef CM_FCGI_REQUEST_H
#define CM_FCGI_REQUEST_H

#include "base/buf.h"

#include <fcgiapp.h>
#include <stdbool.h>
#include <stddef.h>

#define FCGI_MAX_PATH 2048      /* bytes of the path; longer is a 404 */
#define FCGI_MAX_QUERY 4096     /* bytes of the query string; longer is a 422 */
#define FCGI_MAX_HEADER 4096    /* bytes kept of a header value (checked precisely by its user) */
#define FCGI_MAX_REMOTE_ADDR 64  /* bytes of REMOTE_ADDR (an IPv6 address is at most 45) */
#define FCGI_MAX_ROUTE_PARAMS 2 /* {id} segments in one path */

struct fcgi_req {
    FCGX_Request *fx;
    char method[16];
    /* Each string is cut at its cap + 1 bytes, so an overlong value stays overlong. */
    char *path;          /* PATH_INFO: decoded, normalised by the front server */
    char *query;         /* "" when none */
    char *content_type;  /* NULL when none */
    char *authorization; /* NULL when none; never logged, wiped when freed */
    char *idempotency_key;
    char *if_none_match; /* NULL when none */
    char *pfx_password;  /* X-PFX-Password; NULL when none; never logged, wiped when freed */
    long long content_length; /* -1 when not given */
    struct buf body;
    bool body_read;
    const char *route;   /* the matched route's pattern (for the metrics); NULL when none matched */
    char *params[FCGI_MAX_ROUTE_PARAMS]; /* the {id} segments of the matched route */
    size_t n_params;
    char *tenant_id;     /* set by auth */
    char *api_key_id;    /* set by auth: the key's id (for the audit log) */
    char *remote_addr;   /* REMOTE_ADDR: the client as the front server saw it; NULL when none */
};

enum fcgi_body_rc {
    FCGI_BODY_OK = 0,
    FCGI_BODY_TOO_LARGE, /* CONTENT_LENGTH or the bytes sent pass the limit */
    FCGI_BODY_ERROR,     /* the stream failed or ended before CONTENT_LENGTH bytes */
};

/* Reads the parameters of fx into req (never fails: absent values are NULL or ""). */
void fcgi_request_init(struct fcgi_req *req, FCGX_Request *fx);
/* Same, from a NAME=value array without a stream (req->fx NULL: no body to read); for tests. */
void fcgi_request_from_env(struct fcgi_req *req, char **envp);
/* Reads the body into req->body, at most max bytes. */
enum fcgi_body_rc fcgi_request_body(struct fcgi_req *req, size_t max);
void fcgi_request_free(struct fcgi_req *req);

#endif
