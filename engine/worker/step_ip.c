/* step_ip — what the worker does differently for IP identifiers (RFC 8738): a CA's refusal of them. */
#include "step.h"

#include "ident/ident.h"

#include <string.h>

/* True when domains (the order's normalised names) holds at least one IP address. */
bool step_ip_any(const json_t *domains)
{
    size_t i;
    const json_t *e;
    json_array_foreach(domains, i, e)
        if (ident_is_ip(json_string_value(e)))
            return true;
    return false;
}

/*
 * True when the CA's problem refuses the identifiers of an order that has an IP address:
 * a CA without RFC 8738 support says unsupportedIdentifier (RFC 8555 §6.7), one whose
 * policy excludes addresses rejectedIdentifier. Asking the same CA again cannot help.
 */
bool step_ip_refusal(const struct acme_problem *pr, const json_t *domains)
{
    return pr && (acme_problem_is(pr, "unsupportedIdentifier") || acme_problem_is(pr, "rejectedIdentifier")) &&
           step_ip_any(domains);
}
