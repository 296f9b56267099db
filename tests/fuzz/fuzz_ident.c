/*
 * fuzz_ident — the names an order may carry: domain names (IDNA through libidn2,
 * wildcards, length rules), IP addresses (canonical forms) and reverse-DNS names
 * (what certmill-alpn gets as SNI for an IP identifier).
 */
#include "fuzz_common.h"

#include "ident/domain.h"
#include "ident/ident.h"
#include "ident/ip.h"

#include <stdlib.h>
#include <string.h>

/* Normalises the input every way a name is read. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct domain_name dn;
    (void)domain_normalize(in, size, &dn);
    struct ident_name id, again;
    if (ident_normalize(in, size, &id, NULL) == IDENT_OK) {
        /* A name that passed once is its own normal form. */
        if (ident_normalize(id.name, strlen(id.name), &again, NULL) != IDENT_OK || strcmp(id.name, again.name) != 0)
            abort();
        (void)ident_acme_type(id.name);
    }
    struct ip_addr ip;
    if (ip_normalize(in, size, &ip) == IP_OK) {
        char rev[IP_REVERSE_MAX];
        struct ip_addr back;
        /* The reverse name of an address maps back to it, and its text is canonical. */
        if (!ip_reverse_name(&ip, rev, sizeof rev) || !ip_from_reverse_name(rev, &back) ||
            strcmp(back.text, ip.text) != 0 || !ip_is_canonical(ip.text))
            abort();
    }
    char *z = malloc(size + 1);
    if (z) {
        memcpy(z, data, size);
        z[size] = '\0';
        (void)ip_is_canonical(z);
        (void)ip_from_reverse_name(z, &ip);
        free(z);
    }
    return 0;
}
