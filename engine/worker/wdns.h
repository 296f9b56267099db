/* wdns — what the worker asks of DNS for DNS-01, on top of engine/dns. */
#ifndef CM_WDNS_H
#define CM_WDNS_H

#include "worker.h"

#include <stdbool.h>
#include <stddef.h>

/* Makes the worker's DNS context from [dns]; false (logged) when the settings are unusable. */
bool wdns_init(struct worker *w);
void wdns_free(struct worker *w);
/*
 * Where a DNS-01 record really lives: record_name after CNAMEs (acme-dns style delegation)
 * and that name's zone (zone_hint, when the provider names one, is trusted instead).
 */
bool wdns_locate(struct worker *w, const char *record_name, const char *zone_hint, char **target, char **zone,
                 char *err, size_t errlen);
/* True when every authoritative server of zone serves value at name; otherwise report says who answered what. */
bool wdns_propagated(struct worker *w, const char *zone, const char *name, const char *value, char *report,
                     size_t reportlen);

#endif
