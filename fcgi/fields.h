/*
 * fields — validation of a JSON request object as data: a table of the fields an
 * endpoint takes (name, kind, required, length cap, and a function for the value's
 * own rules). Unknown fields are 400 unknown_field; a missing required field, a wrong
 * type, a NUL in a string or an overlong string are 422 invalid_field naming it.
 */
#ifndef CM_FCGI_FIELDS_H
#define CM_FCGI_FIELDS_H

#include "response.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum fcgi_field_kind { FCGI_FIELD_STRING, FCGI_FIELD_ARRAY, FCGI_FIELD_BOOL, FCGI_FIELD_ANY };

struct fcgi_field {
    const char *name;
    enum fcgi_field_kind kind;
    bool required;   /* absent or null is then an error; otherwise null means "default" */
    size_t max_chars; /* strings: the cap in characters; 0: none */
    /* Checks and stores the value in out; false with the problem set on resp. NULL: nothing to do. */
    bool (*take)(const json_t *v, void *out, struct fcgi_resp *resp);
};

/* Checks body against the table and calls each present field's take, in table order. */
bool fcgi_fields_check(const struct fcgi_field *fields, size_t n, const json_t *body, void *out,
                       struct fcgi_resp *resp);

#endif
