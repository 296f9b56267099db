/* provider_impl — the provider types' implementations, for present.c only. */
#ifndef CM_PROVIDER_IMPL_H
#define CM_PROVIDER_IMPL_H

#include "provider.h"

/* RFC 2136 dynamic update with TSIG (add or delete exactly the value). */
bool provider_rfc2136_update(const struct provider *p, const struct provider_record *r, bool add, char *err,
                             size_t errlen);
/* PowerDNS HTTP API: merge the value into (or out of) the name's TXT RRset. */
bool provider_powerdns_update(const struct provider *p, const struct provider_record *r, bool add, char *err,
                              size_t errlen);
/* Runs the operator's program: PROGRAM present|cleanup FQDN. VALUE, with a timeout. */
bool provider_exec_run(const struct provider *p, const struct provider_record *r, const char *action, char *err,
                       size_t errlen);

#endif
