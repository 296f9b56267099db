/*
 * response — a response under construction (status, headers, body) and writing it
 * to the FastCGI stream as a CGI response ("Status:" line, headers, body).
 */
#ifndef CM_FCGI_RESPONSE_H
#define CM_FCGI_RESPONSE_H

#include "base/buf.h"
#include "problem.h"

#include <fcgiapp.h>
#include <jansson.h>
#include <stdbool.h>

#define FCGI_JSON_CONTENT_TYPE "application/json"

struct fcgi_resp {
    int status;
    const char *content_type; /* static string */
    struct buf headers;       /* extra "Name: value\r\n" lines */
    struct buf body;
    bool secret;              /* body holds a private key: wipe it when freed */
    int problem;              /* the problem code sent, -1 when none (for the log) */
};

void fcgi_resp_init(struct fcgi_resp *r);
void fcgi_resp_free(struct fcgi_resp *r);
/* Adds a header; a value with CR or LF is refused (dropped and logged). */
void fcgi_resp_header(struct fcgi_resp *r, const char *name, const char *value);
/* Sets a JSON body (compact) with the given status. */
void fcgi_resp_json(struct fcgi_resp *r, int status, const json_t *body);
/* Sets a text body of n bytes with the given status and content type. */
void fcgi_resp_text(struct fcgi_resp *r, int status, const char *content_type, const char *text, size_t n);
/*
 * Replaces whatever was built with the problem p: status, body, and the headers the
 * code implies (WWW-Authenticate for 401, Retry-After for 503). detail may be NULL
 * (the table's text); field may be NULL.
 */
void fcgi_resp_problem(struct fcgi_resp *r, enum fcgi_problem p, const char *field, const char *detail);
/* Same, with a printf-style detail. */
void fcgi_resp_problemf(struct fcgi_resp *r, enum fcgi_problem p, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Writes the response; head_only leaves the body out (HEAD). False when the client went away. */
bool fcgi_resp_write(const struct fcgi_resp *r, FCGX_Stream *out, bool head_only);
/* Renders the response as it would go out (tests). Caller frees. */
char *fcgi_resp_render(const struct fcgi_resp *r, bool head_only);

#endif
