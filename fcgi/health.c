/* health — liveness and readiness. */
#include "health.h"

#include "db_migrate.h"

/* Says the process is alive, without touching the database. */
void fcgi_health_live(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    (void)ctx;
    (void)req;
    json_t *o = json_pack("{s:s}", "status", "ok");
    fcgi_resp_json(resp, 200, o);
    json_decref(o);
}

/* Says whether requests can be served: database reachable, schema current. */
void fcgi_health_ready(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    (void)req;
    struct db *db = fcgi_ctx_db(ctx);
    if (!db || db_ping(db) != DB_OK) {
        fcgi_resp_problem(resp, FCGI_PROB_SERVICE_UNAVAILABLE, NULL, "the database is not reachable");
        return;
    }
    int have = db_schema_version(db), want = db_schema_latest();
    if (have != want) {
        fcgi_resp_problemf(resp, FCGI_PROB_SERVICE_UNAVAILABLE, NULL,
                           "the database schema is at version %d, this build expects %d (run certmill migrate)",
                           have, want);
        return;
    }
    json_t *o = json_pack("{s:s, s:i}", "status", "ready", "schema_version", want);
    fcgi_resp_json(resp, 200, o);
    json_decref(o);
}
