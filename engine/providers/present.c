/* present — publishing and removing DNS-01 records: dispatch to the provider's type. */
#include "provider.h"
#include "provider_impl.h"

#include <stdio.h>

/* Publishes the TXT record through the provider's type. */
bool provider_present(const struct provider *p, const struct provider_record *r, char *err, size_t errlen)
{
    switch (p->type) {
    case PROVIDER_RFC2136:
        return provider_rfc2136_update(p, r, true, err, errlen);
    case PROVIDER_POWERDNS:
        return provider_powerdns_update(p, r, true, err, errlen);
    case PROVIDER_EXEC:
        return provider_exec_run(p, r, "present", err, errlen);
    case PROVIDER_MANUAL:
    default:
        snprintf(err, errlen, "a manual provider publishes nothing: the panel sets the record");
        return false;
    }
}

/* Removes the TXT record value through the provider's type. */
bool provider_cleanup(const struct provider *p, const struct provider_record *r, char *err, size_t errlen)
{
    switch (p->type) {
    case PROVIDER_RFC2136:
        return provider_rfc2136_update(p, r, false, err, errlen);
    case PROVIDER_POWERDNS:
        return provider_powerdns_update(p, r, false, err, errlen);
    case PROVIDER_EXEC:
        return provider_exec_run(p, r, "cleanup", err, errlen);
    case PROVIDER_MANUAL:
    default:
        /* The panel removes what it published. */
        return true;
    }
}
