/*
 * paging — the list scheme shared by every collection: `limit` (default 50, at most
 * 200) and an opaque `cursor` (base64url of the JSON [created_at_us, "id"] of the last
 * row seen); answers are {"data": [...], "next_cursor": "..." | null}, newest first.
 */
#ifndef CM_FCGI_PAGING_H
#define CM_FCGI_PAGING_H

#include "db_api.h"
#include "query.h"
#include "text.h"

#include <jansson.h>
#include <stdbool.h>

#define FCGI_PAGE_DEFAULT 50
#define FCGI_PAGE_MAX 200
#define FCGI_CURSOR_MAX 256 /* characters of a cursor */

struct fcgi_page {
    struct db_api_page db;     /* what the query needs */
    char id[FCGI_MAX_ID + 1];  /* storage of db.cursor_id */
};

/* Reads limit and cursor from q; false with a 422 invalid_field on resp. */
bool fcgi_page_parse(const struct fcgi_query *q, struct fcgi_page *pg, struct fcgi_resp *resp);
/* Makes a cursor; caller frees. */
char *fcgi_page_cursor_encode(long long us, const char *id);
/* Reads a cursor made by fcgi_page_cursor_encode; false when it is not one. */
bool fcgi_page_cursor_decode(const char *cursor, long long *us, char id[FCGI_MAX_ID + 1]);
/*
 * Turns rows (up to limit + 1, each with DB_API_CURSOR_KEY) into the list answer:
 * the first limit rows without the cursor member, and next_cursor when a row followed.
 * Takes the reference to rows.
 */
json_t *fcgi_page_result(json_t *rows, int limit);

struct fcgi_ctx;
struct fcgi_req;
/* A query of one page of the tenant's rows (newest first, limit + 1 rows). */
typedef enum db_rc (*fcgi_page_lister)(struct db *db, const char *tenant_id, const struct db_api_page *page,
                                       json_t **rows);
/* Answers a list that takes only limit and cursor: parse them, run list, answer the page (or the problem). */
void fcgi_page_answer_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp, fcgi_page_lister list);

#endif
