/* paging — limit and keyset cursors of list endpoints. */
#include "paging.h"

#include "app.h"
#include "request.h"

#include "crypto/b64.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Reads limit, an integer in 1..FCGI_PAGE_MAX. */
static bool fcgi_page_limit(const char *v, int *limit)
{
    if (!v) {
        *limit = FCGI_PAGE_DEFAULT;
        return true;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > FCGI_PAGE_MAX)
        return false;
    *limit = (int)n;
    return true;
}

/* Reads limit and cursor. */
bool fcgi_page_parse(const struct fcgi_query *q, struct fcgi_page *pg, struct fcgi_resp *resp)
{
    memset(pg, 0, sizeof *pg);
    if (!fcgi_page_limit(fcgi_query_get(q, "limit"), &pg->db.limit)) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "limit", "limit must be an integer from 1 to %d",
                           FCGI_PAGE_MAX);
        return false;
    }
    const char *c = fcgi_query_get(q, "cursor");
    if (c && *c) {
        if (!fcgi_page_cursor_decode(c, &pg->db.cursor_us, pg->id)) {
            fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "cursor",
                              "cursor is not one this API returned as next_cursor");
            return false;
        }
        pg->db.has_cursor = true;
        pg->db.cursor_id = pg->id;
    }
    return true;
}

/* Encodes the keyset of the last row. */
char *fcgi_page_cursor_encode(long long us, const char *id)
{
    json_t *a = json_pack("[Is]", (json_int_t)us, id);
    char *s = json_dumps(a, JSON_COMPACT);
    char *out = b64url_encode(s, strlen(s));
    free(s);
    json_decref(a);
    return out;
}

/* Decodes and checks a cursor: exactly [integer, id]. */
bool fcgi_page_cursor_decode(const char *cursor, long long *us, char id[FCGI_MAX_ID + 1])
{
    unsigned char *raw = NULL;
    size_t n = 0;
    json_t *a = NULL;
    bool ok = false;
    if (!b64url_valid(cursor, FCGI_CURSOR_MAX) || !b64url_decode(cursor, &raw, &n))
        goto out;
    a = json_loadb((const char *)raw, n, 0, NULL);
    if (!json_is_array(a) || json_array_size(a) != 2)
        goto out;
    json_t *t = json_array_get(a, 0), *i = json_array_get(a, 1);
    if (!json_is_integer(t) || !json_is_string(i) || !fcgi_text_is_id(json_string_value(i)))
        goto out;
    *us = (long long)json_integer_value(t);
    strcpy(id, json_string_value(i));
    ok = true;
out:
    json_decref(a);
    free(raw);
    return ok;
}

/* Cuts the extra row off and turns it into next_cursor. */
json_t *fcgi_page_result(json_t *rows, int limit)
{
    json_t *next = json_null();
    if (json_array_size(rows) > (size_t)limit) {
        json_t *last = json_array_get(rows, (size_t)limit - 1);
        json_t *t = json_object_get(last, DB_API_CURSOR_KEY);
        char *c = fcgi_page_cursor_encode((long long)json_integer_value(t),
                                          json_string_value(json_object_get(last, "id")));
        json_decref(next);
        next = json_string(c);
        free(c);
        while (json_array_size(rows) > (size_t)limit)
            json_array_remove(rows, json_array_size(rows) - 1);
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
        json_object_del(row, DB_API_CURSOR_KEY);
    return json_pack("{s:o, s:o}", "data", rows, "next_cursor", next);
}

/* The whole of a plain list endpoint: limit and cursor, one query, the page answer. */
void fcgi_page_answer_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp, fcgi_page_lister list)
{
    static const char *const allowed[] = { "limit", "cursor", NULL };
    struct fcgi_query q;
    struct fcgi_page pg;
    if (!fcgi_query_parse(req->query, allowed, &q, resp))
        return;
    if (!fcgi_page_parse(&q, &pg, resp))
        goto out;
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    json_t *rows = NULL;
    enum db_rc rc = list(db, req->tenant_id, &pg.db, &rows);
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc);
        goto out;
    }
    json_t *page = fcgi_page_result(rows, pg.db.limit);
    fcgi_resp_json(resp, 200, page);
    json_decref(page);
out:
    fcgi_query_free(&q);
}
