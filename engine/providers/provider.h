/*
 * provider — DNS providers: where a tenant's DNS-01 records are published.
 *
 * A provider row (dns_providers) holds a type, public settings (config) and sealed
 * secret settings (secret). The API checks them with provider_check when they are
 * created; the worker (and POST /v1/dns-providers/{id}/test) publish and remove TXT
 * records through provider_present / provider_cleanup.
 *
 * Settings per type (config | secret):
 *   rfc2136  : server ("ip[:port]", optional: the zone's primary master), zone (optional),
 *              key_name (required), algorithm (hmac-sha256 default, hmac-sha384,
 *              hmac-sha512, hmac-sha224, hmac-sha1, hmac-md5) | key_secret (base64, required)
 *   powerdns : api_url (http(s) URL of the PowerDNS API, required), server_id ("localhost")
 *              | api_key (required)
 *   exec     : program (required; must be listed by the operator in [dns] exec_programs),
 *              timeout_s (1..300, default 60) | none
 *   manual   : none | none (the panel publishes the record itself)
 */
#ifndef CM_PROVIDER_H
#define CM_PROVIDER_H

#include "base/buf.h"
#include "base/config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum provider_type { PROVIDER_RFC2136 = 0, PROVIDER_POWERDNS, PROVIDER_EXEC, PROVIDER_MANUAL, PROVIDER_TYPE_COUNT };

/* Same names as the SQL CHECK and the API's "type"; -1 when unknown. */
int provider_type_parse(const char *s);
const char *provider_type_name(enum provider_type t);

/*
 * Checks a provider's settings as the API receives them (config and secret are JSON
 * objects, secret may be NULL). On failure: false, *field names the offending member
 * ("config.key_name", "secret.key_secret", ...) and err says why, for a 422 problem.
 * Fills in defaults in config (algorithm, server_id, timeout_s).
 */
bool provider_check(enum provider_type t, json_t *config, const json_t *secret, const struct config *cfg,
                    char *field, size_t fieldlen, char *err, size_t errlen);

/* One provider, ready to use: type, settings, decrypted secret. */
struct provider {
    enum provider_type type;
    const json_t *config;
    const json_t *secret;         /* NULL when none */
    const struct config *cfg;     /* [dns] settings: resolvers, ports, timeouts, exec_programs */
    struct buf *output;           /* when not NULL, an exec program's output is appended here */
};

/* The TXT record of one DNS-01 challenge. */
struct provider_record {
    const char *name;             /* the owner name to publish at (CNAMEs already followed) */
    const char *zone;             /* its zone when known, NULL to let the provider find it */
    const char *value;            /* base64url SHA-256 of the key authorization */
    int ttl;
};

/* Publishes the record; false with a reason (no secrets in it) on failure. */
bool provider_present(const struct provider *p, const struct provider_record *r, char *err, size_t errlen);
/* Removes exactly that record value (other values at the name stay). */
bool provider_cleanup(const struct provider *p, const struct provider_record *r, char *err, size_t errlen);

#endif
