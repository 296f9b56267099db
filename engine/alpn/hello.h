/*
 * alpn/hello — reading the two ClientHello extensions certmill-alpn decides on:
 * server_name (RFC 6066 §3) and application_layer_protocol_negotiation (RFC 7301
 * §3.1). Bounded readers over hostile bytes: they return false rather than read
 * past the end, and never allocate.
 */
#ifndef CM_ALPN_HELLO_H
#define CM_ALPN_HELLO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Finds proto in a ProtocolNameList body (the bytes after the list's 2-byte length,
 * as OpenSSL's ALPN select callback gets them). On true, *at (if not NULL) is the
 * offset of proto's first character in list. False when absent or malformed.
 */
bool alpn_hello_offers(const unsigned char *list, size_t len, const char *proto, size_t *at);

/* Finds proto in the whole ALPN extension body (2-byte length, then the list). */
bool alpn_hello_ext_offers(const unsigned char *ext, size_t len, const char *proto);

/*
 * Copies the host_name of a server_name extension body into name (NUL-terminated,
 * lowercase). False when the extension is malformed, has no host_name, or the name
 * is empty, longer than namelen - 1, or holds anything but letters, digits, '-' and
 * '.' (RFC 6066: an ASCII host name; IDNs arrive as A-labels).
 */
bool alpn_hello_sni(const unsigned char *ext, size_t len, char *name, size_t namelen);

/*
 * The name a challenge is stored under for the SNI host_name sni: for the reverse-DNS
 * name of an address ("1.0.0.127.in-addr.arpa", 32 nibbles + "ip6.arpa") the address
 * in canonical text (RFC 8738 §6: the CA sends that name for an IP identifier);
 * otherwise the normalised DNS name. False (name empty) for a wildcard or an invalid
 * name. name has room for DOMAIN_MAX_LEN + 1 bytes.
 */
bool alpn_hello_lookup_name(const char *sni, char *name, size_t namelen);

#endif
