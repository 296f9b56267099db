/* list_filters — checks of the filter values lists take (domain, expires_before): 422 when bad. */
#ifndef CM_FCGI_LIST_FILTERS_H
#define CM_FCGI_LIST_FILTERS_H

#include "ident/ident.h"
#include "response.h"

#include <stdbool.h>

#define FCGI_FILTER_TIME_MAX 40 /* characters of an RFC 3339 time */

/* Normalises a domain filter as the names were stored (IDNA, case); false with 422 invalid_field. */
bool fcgi_filter_domain(const char *v, struct ident_name *dn, struct fcgi_resp *resp);
/* True when v is an RFC 3339 date-time (with seconds and an offset or Z); else 422 naming field. */
bool fcgi_filter_time(const char *field, const char *v, struct fcgi_resp *resp);

#endif
