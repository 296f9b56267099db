/* order_ca — the CA of a new order and the CAs it may fail over to. */
#include "order_ca.h"

#include "app.h"
#include "base/log.h"
#include "db_api.h"

#include <string.h>

/* The configured CA of that name, as the configuration's own string (outlives the tenant row). */
static const char *fcgi_order_ca_configured(const struct config *cfg, const char *name)
{
    const struct config_ca *ca = name ? config_ca_find(cfg, name) : NULL;
    return ca ? ca->name : NULL;
}

/* Picks the order's CA and its fallbacks from the request, the tenant and the configuration. */
bool fcgi_order_ca_resolve(struct db *db, const char *tenant_id, struct fcgi_order_input *in, json_t **failover,
                           struct fcgi_resp *resp)
{
    *failover = json_array();
    if (in->ca) /* named by the order: the panel chose it, so it stays there */
        return true;
    json_t *t = NULL;
    enum db_rc rc = db_api_tenant_cas(db, tenant_id, &t);
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc);
        return false;
    }
    const char *own = json_string_value(json_object_get(t, "default_ca"));
    in->ca = own ? fcgi_order_ca_configured(in->cfg, own) : in->cfg->default_ca;
    if (!in->ca) {
        if (own)
            fcgi_resp_problemf(resp, FCGI_PROB_UNKNOWN_CA, "ca",
                               "this tenant's default CA \"%s\" is not configured on this server: name a CA", own);
        else
            fcgi_resp_problem(resp, FCGI_PROB_UNKNOWN_CA, "ca", "no CA is configured on this server");
        json_decref(t);
        return false;
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(t, "fallback_cas"), i, v) {
        const char *name = fcgi_order_ca_configured(in->cfg, json_string_value(v));
        /* A fallback the operator removed from the configuration is skipped, not an error for the panel. */
        if (!name)
            log_warn("tenant %s: fallback CA \"%s\" is not configured; skipped", tenant_id, json_string_value(v));
        else if (strcmp(name, in->ca) != 0)
            json_array_append_new(*failover, json_string(name));
    }
    json_decref(t);
    return true;
}
