/* events — the event list with a sequence cursor. */
#include "events.h"

#include "crypto/b64.h"
#include "db_webhook.h"
#include "paging.h"
#include "query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FCGI_EVENT_CURSOR_TAG "evseq:" /* what a cursor decodes to, before the sequence number */

const char *const fcgi_event_types[] = { "order.action_required", "order.failed",         "certificate.issued",
                                         "certificate.renewed",   "certificate.expiring", "certificate.revoked",
                                         NULL };

/* Looks a type up. */
bool fcgi_event_type_known(const char *s)
{
    for (size_t i = 0; s && fcgi_event_types[i]; i++)
        if (strcmp(fcgi_event_types[i], s) == 0)
            return true;
    return false;
}

/* The cursor after sequence number seq: base64url of "evseq:<seq>". Caller frees. */
static char *fcgi_event_cursor(long long seq)
{
    char raw[48];
    int n = snprintf(raw, sizeof raw, FCGI_EVENT_CURSOR_TAG "%lld", seq);
    return b64url_encode(raw, (size_t)n);
}

/* Reads a cursor made by fcgi_event_cursor. */
static bool fcgi_event_cursor_decode(const char *c, long long *seq)
{
    unsigned char *raw = NULL;
    size_t n = 0;
    bool ok = false;
    if (b64url_valid(c, FCGI_CURSOR_MAX) && b64url_decode(c, &raw, &n) && n < 40) {
        char text[40];
        memcpy(text, raw, n);
        text[n] = '\0';
        size_t tl = strlen(FCGI_EVENT_CURSOR_TAG);
        if (strncmp(text, FCGI_EVENT_CURSOR_TAG, tl) == 0 && text[tl] >= '0' && text[tl] <= '9') {
            char *end;
            errno = 0;
            long long v = strtoll(text + tl, &end, 10);
            ok = !errno && *end == '\0' && v >= 0;
            *seq = v;
        }
    }
    free(raw);
    return ok;
}

/* Lists events after the cursor, oldest first: {"data", "next_cursor", "has_more"}. */
void fcgi_events_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    static const char *const allowed[] = { "limit", "cursor", "type", NULL };
    struct fcgi_query q;
    struct fcgi_page pg;
    if (!fcgi_query_parse(req->query, allowed, &q, resp))
        return;
    /* limit as every list takes it; the cursor is this list's own (a sequence number). */
    const char *cursor = fcgi_query_get(&q, "cursor");
    const char *type = fcgi_query_get(&q, "type");
    long long after = 0;
    struct fcgi_query lim = { 0 };
    if (fcgi_query_get(&q, "limit")) {
        lim.n = 1;
        lim.name[0] = (char *)"limit";
        lim.value[0] = (char *)fcgi_query_get(&q, "limit");
    }
    if (!fcgi_page_parse(&lim, &pg, resp))
        goto out;
    if (cursor && *cursor && !fcgi_event_cursor_decode(cursor, &after)) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "cursor", "cursor is not one this API returned as next_cursor");
        goto out;
    }
    if (type && !fcgi_event_type_known(type)) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "type",
                          "type must be one of order.action_required, order.failed, certificate.issued, "
                          "certificate.renewed, certificate.expiring, certificate.revoked");
        goto out;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    json_t *rows = NULL;
    enum db_rc rc = db_api_event_list(db, req->tenant_id, after, type, pg.db.limit + 1, &rows);
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc);
        goto out;
    }
    bool more = json_array_size(rows) > (size_t)pg.db.limit;
    while (json_array_size(rows) > (size_t)pg.db.limit)
        json_array_remove(rows, json_array_size(rows) - 1);
    /* next_cursor: after the last event given, else where the caller stood, so it is never lost. */
    long long last = after;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        last = (long long)json_integer_value(json_object_get(row, "seq"));
        json_object_del(row, "seq");
    }
    char *next = fcgi_event_cursor(last);
    json_t *page = json_pack("{s:o, s:s, s:b}", "data", rows, "next_cursor", next, "has_more", more);
    fcgi_resp_json(resp, 200, page);
    json_decref(page);
    free(next);
out:
    fcgi_query_free(&q);
}
