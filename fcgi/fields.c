/* fields — table-driven checks of JSON request objects. */
#include "fields.h"

#include "text.h"

#include <string.h>

/* The kind's name for "must be a ..." messages. */
static const char *fcgi_field_kind_name(enum fcgi_field_kind k)
{
    switch (k) {
    case FCGI_FIELD_STRING: return "a string";
    case FCGI_FIELD_ARRAY: return "an array";
    case FCGI_FIELD_BOOL: return "true or false";
    default: return "a value";
    }
}

/* True when v has the kind. */
static bool fcgi_field_kind_ok(enum fcgi_field_kind k, const json_t *v)
{
    switch (k) {
    case FCGI_FIELD_STRING: return json_is_string(v);
    case FCGI_FIELD_ARRAY: return json_is_array(v);
    case FCGI_FIELD_BOOL: return json_is_boolean(v);
    default: return true;
    }
}

/* Finds a field of the table by name. */
static const struct fcgi_field *fcgi_field_find(const struct fcgi_field *fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

/* Checks one field's generic rules (type, NUL, length). */
static bool fcgi_field_generic(const struct fcgi_field *f, const json_t *v, struct fcgi_resp *resp)
{
    if (!fcgi_field_kind_ok(f->kind, v)) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, f->name, "%s must be %s", f->name,
                           fcgi_field_kind_name(f->kind));
        return false;
    }
    if (f->kind != FCGI_FIELD_STRING)
        return true;
    /* PostgreSQL text cannot hold NUL, and nobody means one. */
    if (json_string_length(v) != strlen(json_string_value(v))) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, f->name, "%s contains a NUL character", f->name);
        return false;
    }
    if (f->max_chars && fcgi_text_utf8_chars(json_string_value(v)) > f->max_chars) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, f->name, "%s is longer than %zu characters", f->name,
                           f->max_chars);
        return false;
    }
    return true;
}

/* Checks the whole object: unknown names first, then each field in table order. */
bool fcgi_fields_check(const struct fcgi_field *fields, size_t n, const json_t *body, void *out,
                       struct fcgi_resp *resp)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        if (!fcgi_field_find(fields, n, key)) {
            char safe[96];
            fcgi_text_snippet(safe, sizeof safe, key);
            fcgi_resp_problemf(resp, FCGI_PROB_UNKNOWN_FIELD, safe, "unknown field \"%s\"", safe);
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const struct fcgi_field *f = &fields[i];
        v = json_object_get(body, f->name);
        if (!v || json_is_null(v)) {
            if (f->required) {
                fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, f->name, "%s is required", f->name);
                return false;
            }
            continue;
        }
        if (!fcgi_field_generic(f, v, resp))
            return false;
        if (f->take && !f->take(v, out, resp))
            return false;
    }
    return true;
}
