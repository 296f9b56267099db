/*
 * query — the query string of a GET, decoded and checked against the parameters an
 * endpoint takes: an unknown parameter is 400 unknown_field, a repeated one or bad
 * encoding 422 invalid_field, like the fields of a body.
 */
#ifndef CM_FCGI_QUERY_H
#define CM_FCGI_QUERY_H

#include "response.h"

#include <stdbool.h>
#include <stddef.h>

#define FCGI_QUERY_MAX_PARAMS 8

struct fcgi_query {
    size_t n;
    char *name[FCGI_QUERY_MAX_PARAMS];
    char *value[FCGI_QUERY_MAX_PARAMS]; /* percent-decoded, valid UTF-8 */
};

/*
 * Parses qs against allowed (NULL-terminated names). False with the problem set on
 * resp; q is then empty. fcgi_query_free it either way.
 */
bool fcgi_query_parse(const char *qs, const char *const *allowed, struct fcgi_query *q, struct fcgi_resp *resp);
/* The value of name, or NULL when not given. */
const char *fcgi_query_get(const struct fcgi_query *q, const char *name);
void fcgi_query_free(struct fcgi_query *q);

#endif
