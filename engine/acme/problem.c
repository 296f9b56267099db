/* acme/problem.c — how a call ends: problems, errors, and the result the caller reads. */
#include "acme/internal.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACME_ERROR_NS "urn:ietf:params:acme:error:"

/* Resets a result to "nothing happened yet". */
void acme_result_init(struct acme_result *res)
{
    if (!res)
        return;
    memset(res, 0, sizeof *res);
    res->retry_after = -1;
}

/* Frees what res holds and resets it for the next call. */
void acme_result_clear(struct acme_result *res)
{
    if (!res)
        return;
    acme_problem_free(&res->problem);
    free(res->location);
    acme_result_init(res);
}

/* Frees a problem's strings and empties it. */
void acme_problem_free(struct acme_problem *p)
{
    if (!p)
        return;
    free(p->type);
    free(p->detail);
    memset(p, 0, sizeof *p);
}

/* True when the problem type is urn:ietf:params:acme:error:<name>. */
bool acme_problem_is(const struct acme_problem *p, const char *name)
{
    size_t ns = sizeof ACME_ERROR_NS - 1;
    return p && p->type && name && strncmp(p->type, ACME_ERROR_NS, ns) == 0 && strcmp(p->type + ns, name) == 0;
}

/* Records an error in res and logs it with the URL; returns rc so callers can `return acme_fail(...)`. */
enum acme_rc acme_fail(struct acme_result *res, enum acme_rc rc, const char *what, const char *url,
                       const char *fmt, ...)
{
    char msg[200], safe_url[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (res)
        snprintf(res->error, sizeof res->error, "%s: %s", what, msg);
    log_warn("acme: %s %s: %s", what, log_safe(safe_url, sizeof safe_url, url), msg);
    return rc;
}

/* Copies the status, Retry-After and Location of a response into res. */
void acme_result_take_response(struct acme_result *res, const struct acme_http_resp *resp)
{
    res->http_status = (int)resp->status;
    res->retry_after = resp->retry_after;
    free(res->location);
    res->location = resp->location ? xstrdup(resp->location) : NULL;
}

/*
 * Judges a response whose status was not the one expected: an RFC 7807 problem gives
 * ACME_ERR_PROBLEM (res->problem filled), a server failure without one ACME_ERR_TRANSPORT
 * (retry later), anything else ACME_ERR_PROTOCOL.
 */
enum acme_rc acme_response_error(const struct acme_http_resp *resp, const char *what, const char *url,
                                 struct acme_result *res)
{
    acme_result_take_response(res, resp);
    if (resp->status >= 400 && resp->body.len > 0) {
        struct acme_problem p;
        if (acme_parse_problem(resp->body.data, resp->body.len, &p) &&
            (p.type || acme_http_type_is(resp->content_type, "application/problem+json"))) {
            char t[64], d[160], u[160];
            if (p.status == 0)
                p.status = (int)resp->status;
            acme_problem_free(&res->problem);
            res->problem = p;
            const char *shortname = p.type ? p.type : "problem";
            if (strncmp(shortname, ACME_ERROR_NS, sizeof ACME_ERROR_NS - 1) == 0)
                shortname += sizeof ACME_ERROR_NS - 1;
            log_safe(d, sizeof d, p.detail ? p.detail : "");
            /* Cut short when long: the full detail is in res->problem. */
            snprintf(res->error, sizeof res->error, "%s: %s: %s", what, log_safe(t, sizeof t, shortname), d);
            log_warn("acme: %s %s: HTTP %ld %s: %s", what, log_safe(u, sizeof u, url), resp->status,
                     log_safe(t, sizeof t, p.type ? p.type : "(no type)"), d);
            return ACME_ERR_PROBLEM;
        }
        acme_problem_free(&p);
    }
    /* No problem document: 5xx and 429 are the CA's or a proxy's trouble, worth a later retry. */
    if (resp->status >= 500 || resp->status == 429)
        return acme_fail(res, ACME_ERR_TRANSPORT, what, url, "HTTP %ld without a problem document", resp->status);
    return acme_fail(res, ACME_ERR_PROTOCOL, what, url, "unexpected HTTP %ld", resp->status);
}
