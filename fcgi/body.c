/* body — parsing and bounding JSON request bodies. */
#include "body.h"

#include "text.h"

/* Measures nesting, stopping early once past the limit so hostile input costs little. */
static int fcgi_body_depth_upto(const json_t *v, int limit)
{
    int max = 0;
    if (limit < 0)
        return 1;
    if (json_is_object(v)) {
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e) {
            int d = fcgi_body_depth_upto(e, limit - 1);
            if (d > max)
                max = d;
            if (max > limit)
                break;
        }
        return max + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            int d = fcgi_body_depth_upto(e, limit - 1);
            if (d > max)
                max = d;
            if (max > limit)
                break;
        }
        return max + 1;
    }
    return 0;
}

/* Full nesting depth of a value. */
int fcgi_body_depth(const json_t *v)
{
    return fcgi_body_depth_upto(v, 1 << 20);
}

/* Parses the body into an object. */
json_t *fcgi_body_json(const struct fcgi_req *req, struct fcgi_resp *resp)
{
    if (req->body.len == 0) {
        fcgi_resp_problem(resp, FCGI_PROB_MALFORMED_JSON, NULL, "the request body is empty; send a JSON object");
        return NULL;
    }
    json_error_t err;
    json_t *v = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &err);
    if (!v) {
        char safe[160];
        fcgi_text_snippet(safe, sizeof safe, err.text);
        fcgi_resp_problemf(resp, FCGI_PROB_MALFORMED_JSON, NULL, "the body is not valid JSON: line %d, column %d: %s",
                           err.line, err.column, safe);
        return NULL;
    }
    if (!json_is_object(v)) {
        fcgi_resp_problem(resp, FCGI_PROB_MALFORMED_JSON, NULL, "the body must be a JSON object");
        json_decref(v);
        return NULL;
    }
    if (fcgi_body_depth_upto(v, FCGI_BODY_MAX_DEPTH) > FCGI_BODY_MAX_DEPTH) {
        fcgi_resp_problemf(resp, FCGI_PROB_MALFORMED_JSON, NULL, "the body is nested deeper than %d levels",
                           FCGI_BODY_MAX_DEPTH);
        json_decref(v);
        return NULL;
    }
    return v;
}
