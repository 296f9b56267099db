/* router — the route table and path matching. */
#include "router.h"

#include "base/xalloc.h"
#include "ca_credentials.h"
#include "cert_renew.h"
#include "cert_download.h"
#include "certificates.h"
#include "challenge.h"
#include "deliveries.h"
#include "dns_providers.h"
#include "events.h"
#include "health.h"
#include "metrics.h"
#include "openapi.h"
#include "order_actions.h"
#include "order_continue.h"
#include "order_log.h"
#include "orders.h"
#include "webhooks.h"

#include <stdio.h>
#include <string.h>

/* Every endpoint certmill-fcgi answers, validation flags as data. */
static const struct fcgi_route fcgi_route_table[] = {
    { "POST", "/v1/orders", fcgi_orders_create, true, true },
    { "GET", "/v1/orders", fcgi_orders_list, true, false },
    { "GET", "/v1/orders/{id}", fcgi_orders_get, true, false },
    { "POST", "/v1/orders/{id}/continue", fcgi_order_continue, true, false },
    { "POST", "/v1/orders/{id}/cancel", fcgi_order_cancel, true, false },
    { "POST", "/v1/orders/{id}/retry", fcgi_order_retry, true, false },
    { "GET", "/v1/orders/{id}/log", fcgi_order_log_get, true, false },
    { "GET", "/v1/certificates", fcgi_certs_list, true, false },
    { "GET", "/v1/certificates/{id}", fcgi_certs_get, true, false },
    { "GET", "/v1/certificates/{id}/key", fcgi_certs_key, true, false },
    { "GET", "/v1/certificates/{id}/download", fcgi_certs_download, true, false },
    { "POST", "/v1/certificates/{id}/revoke", fcgi_certs_revoke, true, false },
    { "POST", "/v1/certificates/{id}/renew", fcgi_cert_renew, true, false },
    { "DELETE", "/v1/certificates/{id}", fcgi_cert_renew_stop, true, false },
    { "POST", "/v1/dns-providers", fcgi_dns_providers_create, true, true },
    { "GET", "/v1/dns-providers", fcgi_dns_providers_list, true, false },
    { "GET", "/v1/dns-providers/{id}", fcgi_dns_providers_get, true, false },
    { "DELETE", "/v1/dns-providers/{id}", fcgi_dns_providers_delete, true, false },
    { "POST", "/v1/dns-providers/{id}/test", fcgi_dns_providers_test, true, true },
    { "PUT", "/v1/ca-credentials/{ca}", fcgi_ca_credentials_put, true, true },
    { "GET", "/v1/ca-credentials", fcgi_ca_credentials_list, true, false },
    { "GET", "/v1/ca-credentials/{ca}", fcgi_ca_credentials_get, true, false },
    { "DELETE", "/v1/ca-credentials/{ca}", fcgi_ca_credentials_delete, true, false },
    { "GET", "/v1/events", fcgi_events_list, true, false },
    { "POST", "/v1/webhooks", fcgi_webhooks_create, true, true },
    { "GET", "/v1/webhooks", fcgi_webhooks_list, true, false },
    { "GET", "/v1/webhooks/{id}", fcgi_webhooks_get, true, false },
    { "PATCH", "/v1/webhooks/{id}", fcgi_webhooks_update, true, true },
    { "DELETE", "/v1/webhooks/{id}", fcgi_webhooks_delete, true, false },
    { "POST", "/v1/webhooks/{id}/rotate-secret", fcgi_webhooks_rotate, true, false },
    { "GET", "/v1/webhooks/{id}/deliveries", fcgi_webhook_deliveries_list, true, false },
    { "POST", "/v1/webhooks/{id}/deliveries/{did}/retry", fcgi_webhook_delivery_retry, true, false },
    { "GET", "/v1/webhook-deliveries", fcgi_deliveries_list, true, false },
    { "GET", "/v1/openapi.json", fcgi_openapi_get, false, false },
    { "GET", "/.well-known/acme-challenge/{token}", fcgi_challenge_get, false, false },
    { "GET", "/healthz", fcgi_health_live, false, false },
    { "GET", "/readyz", fcgi_health_ready, false, false },
    { "GET", "/metrics", fcgi_metrics_get, false, false },
};

/* Hands out the table. */
const struct fcgi_route *fcgi_routes(size_t *n)
{
    *n = sizeof fcgi_route_table / sizeof fcgi_route_table[0];
    return fcgi_route_table;
}

/*
 * Matches path against pattern segment by segment; the {..} segments go into
 * params (n of them), which hold pointers into path and their lengths.
 */
static bool fcgi_route_path(const char *pattern, const char *path, const char **params, size_t *lens,
                            size_t *n)
{
    *n = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++;
        s++;
        size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
        if (plen > 1 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || slen > FCGI_MAX_PARAM_LEN || *n == FCGI_MAX_ROUTE_PARAMS)
                return false;
            params[*n] = s;
            lens[*n] = slen;
            (*n)++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return false;
        }
        p += plen;
        s += slen;
    }
    return !*p && !*s;
}

/* Finds the route, or why there is none. */
enum fcgi_route_rc fcgi_route_match(const char *method, const char *path, struct fcgi_req *req,
                                    const struct fcgi_route **route, char *allow, size_t allowlen)
{
    const char *params[FCGI_MAX_ROUTE_PARAMS];
    size_t lens[FCGI_MAX_ROUTE_PARAMS], n;
    bool path_known = false;
    /* HEAD is GET without the body. */
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    allow[0] = '\0';
    *route = NULL;
    if (strlen(path) > FCGI_MAX_PATH)
        return FCGI_ROUTE_NOT_FOUND;
    for (size_t i = 0; i < sizeof fcgi_route_table / sizeof fcgi_route_table[0]; i++) {
        const struct fcgi_route *r = &fcgi_route_table[i];
        if (!fcgi_route_path(r->pattern, path, params, lens, &n))
            continue;
        path_known = true;
        if (strcmp(r->method, m) == 0) {
            *route = r;
            for (size_t k = 0; k < n; k++)
                req->params[k] = xstrndup(params[k], lens[k]);
            req->n_params = n;
            return FCGI_ROUTE_OK;
        }
        size_t used = strlen(allow);
        snprintf(allow + used, allowlen - used, "%s%s%s", used ? ", " : "", r->method,
                 strcmp(r->method, "GET") == 0 ? ", HEAD" : "");
    }
    return path_known ? FCGI_ROUTE_BAD_METHOD : FCGI_ROUTE_NOT_FOUND;
}
