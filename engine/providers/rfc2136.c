/* rfc2136 — the "rfc2136" provider: dynamic updates signed with TSIG, through engine/dns. */
#include "provider_impl.h"

#include "dns/dns.h"

#include <stdio.h>

/* Adds or deletes exactly the record's value at its name, at the configured server or the zone's primary. */
bool provider_rfc2136_update(const struct provider *p, const struct provider_record *r, bool add, char *err,
                             size_t errlen)
{
    const char *server = json_string_value(json_object_get(p->config, "server"));
    const char *zone = json_string_value(json_object_get(p->config, "zone"));
    struct dns_tsig *key = NULL;
    if (!dns_tsig_from(json_string_value(json_object_get(p->config, "key_name")),
                       json_string_value(json_object_get(p->config, "algorithm")),
                       json_string_value(json_object_get(p->secret, "key_secret")), &key, err, errlen))
        return false;
    const struct config *cfg = p->cfg;
    struct dns_ctx *ctx = dns_ctx_new(cfg ? cfg->dns_resolvers : NULL, cfg ? cfg->dns_port : 53,
                                      cfg ? cfg->dns_timeout_ms : 3000, err, errlen);
    bool ok = false;
    if (ctx) {
        enum dns_update_rc rc = dns_update_txt(ctx, server, zone ? zone : r->zone, r->name, r->value,
                                               (uint32_t)(r->ttl > 0 ? r->ttl : 60), key, add, err, errlen);
        ok = rc == DNS_UPDATE_OK;
    }
    dns_ctx_free(ctx);
    dns_tsig_free(key);
    return ok;
}
