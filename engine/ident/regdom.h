/*
 * regdom — the registered domain of a name (what a CA counts certificates per, e.g.
 * Let's Encrypt's "New Certificates per Registered Domain"), from the Public Suffix List
 * through libpsl: the system's list (Debian's publicsuffix package) when present, else
 * libpsl's built-in copy. ICANN and private sections both count, as at Let's Encrypt.
 */
#ifndef CM_REGDOM_H
#define CM_REGDOM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Writes the registered domain of name (a normalised name, "*." allowed) to out:
 * "www.example.co.uk" -> "example.co.uk"; a name under no listed suffix falls to the
 * PSL's default rule "*" (its last two labels: "a.b.example.test" -> "example.test");
 * an IPv4 address is its own; an IPv6 address counts as its /64 ("2001:db8:1:2::/64").
 * A name that is itself a public suffix is its own registered domain. False when out
 * is too small.
 */
bool regdom_of(const char *name, char *out, size_t n);

#endif
