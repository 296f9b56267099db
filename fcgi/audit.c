/* audit — who changed what, when, from where: one row per successful API write. */
#include "audit.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "db_audit.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a response body parsed for the id of the object it made (ours, and small). */
#define FCGI_AUDIT_MAX_BODY (256 * 1024)

/* True for a method that changes state and a 2xx answer. */
bool fcgi_audit_wanted(const struct fcgi_req *req, const struct fcgi_resp *resp)
{
    static const char *const writes[] = { "POST", "PUT", "PATCH", "DELETE" };
    if (resp->status < 200 || resp->status > 299)
        return false;
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
        if (strcmp(req->method, writes[i]) == 0)
            return true;
    return false;
}

/* The object's id: the path's {id}, else the last segment of Location, else the answer's "id". */
static char *fcgi_audit_object(const struct fcgi_req *req, const struct fcgi_resp *resp)
{
    if (req->n_params > 0)
        return xstrdup(req->params[0]);
    /* A new object's Location names it (also when the body holds its secret). */
    const char *h = resp->headers.data;
    while (h && *h) {
        size_t n = strcspn(h, "\r\n");
        if (n > 10 && strncmp(h, "Location: ", 10) == 0) {
            const char *seg = h + 10, *slash;
            while ((slash = memchr(seg, '/', (size_t)(h + n - seg))) != NULL)
                seg = slash + 1;
            if (seg < h + n)
                return xstrndup(seg, (size_t)(h + n - seg));
        }
        h += n;
        h += strspn(h, "\r\n");
    }
    /* A body holding a private key or a secret is never parsed here. */
    if (resp->secret || !resp->body.data || resp->body.len > FCGI_AUDIT_MAX_BODY)
        return NULL;
    json_t *body = json_loadb(resp->body.data, resp->body.len, 0, NULL);
    const char *id = json_string_value(json_object_get(body, "id"));
    char *out = id ? xstrdup(id) : NULL;
    json_decref(body);
    return out;
}

/* Inserts the row; the request body is never stored (it may hold EAB keys or provider secrets). */
void fcgi_audit_record(struct fcgi_ctx *ctx, const struct fcgi_req *req, const struct fcgi_resp *resp)
{
    struct db *db = fcgi_ctx_db(ctx);
    char action[600];
    snprintf(action, sizeof action, "%s %s", req->method, req->path ? req->path : "");
    char *object = fcgi_audit_object(req, resp);
    struct db_audit a = {
        .tenant_id = req->tenant_id,
        .api_key_id = req->api_key_id,
        .actor = "api",
        .action = action,
        .object_id = object,
        .status = resp->status,
        .remote_addr = req->remote_addr && *req->remote_addr ? req->remote_addr : NULL,
    };
    enum db_rc rc = db ? db_audit_insert(db, &a) : DB_UNAVAILABLE;
    if (rc != DB_OK) {
        char safe[200];
        log_safe(safe, sizeof safe, action);
        log_error("audit: cannot record %s (tenant %s)", safe, req->tenant_id ? req->tenant_id : "-");
    }
    free(object);
}
