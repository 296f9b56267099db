/*
 * ip — IP address identifiers (RFC 8738): the one validator of the IP literals an
 * order may name, and the reverse-DNS names TLS-ALPN-01 uses for them.
 *
 * ip_normalize() decides first whether a name is meant as an address at all:
 *   - a name with ':' is meant as IPv6 (no DNS name has one), optionally in brackets
 *     ("[2001:db8::1]"); it must parse with inet_pton and is kept in RFC 5952 form
 *     (lowercase, zeros compressed: inet_ntop); a zone id ("fe80::1%eth0") and the
 *     IPv4-mapped / IPv4-compatible forms ("::ffff:192.0.2.1", "::192.0.2.1") are
 *     refused: the CA validates the IPv4 address itself, written as such;
 *   - a name of digits and dots only is meant as IPv4 (it cannot be a DNS name: its
 *     top-level label would be all digits); it must be the dotted quad inet_pton
 *     accepts (four numbers 0-255, no leading zeros, no trailing dot);
 *   - either with a '*' ("*.192.0.2.1", "192.0.2.*") is an IP wildcard, which does not
 *     exist;
 *   - anything else is IP_NOT_IP: a DNS name for ident/domain.h to judge.
 */
#ifndef CM_IP_H
#define CM_IP_H

#include <stdbool.h>
#include <stddef.h>

#define IP_TEXT_MAX 46    /* INET6_ADDRSTRLEN: the longest canonical text plus NUL */
#define IP_REVERSE_MAX 74 /* "f.f. ... .ip6.arpa" (32 nibbles * 2 + 9) plus NUL */

enum ip_rc {
    IP_OK = 0,
    IP_NOT_IP,        /* not meant as an address: a DNS name (or garbage) for domain_normalize */
    IP_ERR_V4_FORM,   /* digits and dots, but not a dotted quad: "1.2.3", "010.0.0.1", "1.2.3.4." */
    IP_ERR_V6_FORM,   /* has ':' but is no IPv6 address: "2001:db8::g", "1::2::3" */
    IP_ERR_ZONE,      /* "fe80::1%eth0": a zone id means nothing outside one host */
    IP_ERR_MAPPED,    /* "::ffff:192.0.2.1", "::192.0.2.1": write the IPv4 address */
    IP_ERR_WILDCARD,  /* "*.192.0.2.1", "192.0.2.*", "*.::1" */
    IP_ERR_COUNT
};

/* A validated address: family (4 or 6), its bytes and its canonical text. */
struct ip_addr {
    int version;             /* 4 or 6 */
    unsigned char bytes[16]; /* 4 or 16 used */
    char text[IP_TEXT_MAX];  /* dotted quad, or RFC 5952 */
};

/*
 * Validates and normalises len bytes of in (need not be NUL-terminated). On IP_OK out
 * holds the address; otherwise out is zeroed.
 */
enum ip_rc ip_normalize(const char *in, size_t len, struct ip_addr *out);
/* A sentence saying why an address was refused, to follow the name in an API detail. */
const char *ip_reason(enum ip_rc rc);
/* A stable short identifier of the result ("ok", "zone_id", ...), for tests and logs. */
const char *ip_rc_name(enum ip_rc rc);

/* True when s is an address in exactly the canonical text ip_normalize produces. */
bool ip_is_canonical(const char *s);
/* The address of 4 or 16 raw bytes (an iPAddress SAN); false for any other length. */
bool ip_from_bytes(const unsigned char *b, size_t len, struct ip_addr *out);

/*
 * The reverse-DNS name of ip without a trailing dot (RFC 8738 §6, the TLS-ALPN-01
 * SNI): "1.0.0.127.in-addr.arpa", or 32 nibbles then "ip6.arpa". False when dst is
 * too small (IP_REVERSE_MAX always suffices).
 */
bool ip_reverse_name(const struct ip_addr *ip, char *dst, size_t dstlen);
/*
 * The address a reverse-DNS name stands for (case-insensitive, one trailing dot
 * allowed): exactly 4 decimal labels under in-addr.arpa or 32 hex nibbles under
 * ip6.arpa. False (out zeroed) for anything else, including partial names.
 */
bool ip_from_reverse_name(const char *name, struct ip_addr *out);

#endif
