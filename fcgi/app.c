/* app — per-thread context and its lazily (re)opened database connection. */
#include "app.h"

#include "base/log.h"

#include <string.h>

/* Starts a thread's context without a connection. */
void fcgi_ctx_init(struct fcgi_ctx *ctx, const struct fcgi_app *app, int thread)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->app = app;
    ctx->thread = thread;
}

/* Returns the connection, opening one when the last attempt is over a second old. */
struct db *fcgi_ctx_db(struct fcgi_ctx *ctx)
{
    time_t now = time(NULL);
    if (ctx->db && !db_is_down(ctx->db))
        return ctx->db;
    if (now < ctx->next_connect)
        return NULL;
    if (ctx->db) {
        /* A connection that was lost: reset it, again at most once a second. */
        ctx->next_connect = now + 1;
        if (!db_ensure(ctx->db))
            return NULL;
        return ctx->db;
    }
    char err[512];
    ctx->db = db_open(ctx->app->cfg->db_conninfo_api, err, sizeof err);
    if (!ctx->db) {
        ctx->next_connect = now + 1;
        /* Once per outage and thread, not once per request. */
        if (!ctx->db_down_logged) {
            /* libpq's messages span lines; a log record does not. */
            for (char *p = err; *p; p++)
                if (*p == '\n' || *p == '\t')
                    *p = ' ';
            log_error("thread %d: %s", ctx->thread, err);
        }
        ctx->db_down_logged = true;
        return NULL;
    }
    if (ctx->db_down_logged)
        log_info("thread %d: connected to the database", ctx->thread);
    ctx->db_down_logged = false;
    return ctx->db;
}

/* Returns the connection or answers 503. */
struct db *fcgi_ctx_db_or_503(struct fcgi_ctx *ctx, struct fcgi_resp *resp)
{
    struct db *db = fcgi_ctx_db(ctx);
    if (!db)
        fcgi_resp_problem(resp, FCGI_PROB_SERVICE_UNAVAILABLE, NULL, NULL);
    return db;
}

/* Maps a failed query to its answer; a conflict here is a bug of ours, still retryable. */
void fcgi_resp_db_failure(struct fcgi_resp *resp, enum db_rc rc)
{
    if (rc == DB_NOTFOUND)
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, NULL);
    else
        fcgi_resp_problem(resp, FCGI_PROB_SERVICE_UNAVAILABLE, NULL, NULL);
}

/* Closes the thread's connection. */
void fcgi_ctx_free(struct fcgi_ctx *ctx)
{
    db_close(ctx->db);
    ctx->db = NULL;
    fcgi_auth_cache_clear(&ctx->keys);
}
