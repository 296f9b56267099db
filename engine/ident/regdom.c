/* regdom — registered domains through libpsl, and IP addresses as their own. */
#include "ident/regdom.h"

#include <arpa/inet.h>
#include <libpsl.h>
#include <stdio.h>
#include <string.h>

/* The list, loaded once per process (the workers are single-threaded). */
static const psl_ctx_t *regdom_psl;

/* The newest list: the system's (psl_latest reads the distribution's file), else the built-in one. */
static const psl_ctx_t *regdom_ctx(void)
{
    if (!regdom_psl) {
        psl_ctx_t *latest = psl_latest(NULL);
        regdom_psl = latest ? latest : psl_builtin();
    }
    return regdom_psl;
}

/* Copies s to out when it fits. */
static bool regdom_copy(const char *s, char *out, size_t n)
{
    size_t len = strlen(s);
    if (len >= n)
        return false;
    memcpy(out, s, len + 1);
    return true;
}

/* Registered domain of a name or address. */
bool regdom_of(const char *name, char *out, size_t n)
{
    unsigned char a6[16], a4[4];
    if (strncmp(name, "*.", 2) == 0)
        name += 2;
    if (inet_pton(AF_INET, name, a4) == 1)
        return regdom_copy(name, out, n);
    if (inet_pton(AF_INET6, name, a6) == 1) {
        /* Let's Encrypt counts an IPv6 /64 as one registered domain. */
        char text[INET6_ADDRSTRLEN];
        memset(a6 + 8, 0, 8);
        if (!inet_ntop(AF_INET6, a6, text, sizeof text))
            return false;
        int w = snprintf(out, n, "%s/64", text);
        return w > 0 && (size_t)w < n;
    }
    const psl_ctx_t *psl = regdom_ctx();
    const char *reg = psl ? psl_registrable_domain(psl, name) : NULL;
    /* NULL: the name is a public suffix itself (or no list at all): count it as its own. */
    return regdom_copy(reg ? reg : name, out, n);
}
