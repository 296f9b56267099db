/*
 * netpolicy — where webhooks may connect (SSRF protection): the class of an address
 * (loopback, private RFC 1918 / ULA, link-local, CGNAT, cloud metadata, unspecified,
 * multicast, reserved, or public) and the operator's allow list of CIDR ranges
 * ([webhooks] allow_destinations). Only public addresses and allowed ranges pass.
 */
#ifndef CM_WEBHOOK_NETPOLICY_H
#define CM_WEBHOOK_NETPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define WH_ALLOW_MAX 32 /* CIDR ranges in allow_destinations */

enum wh_addr_class {
    WH_ADDR_PUBLIC = 0,
    WH_ADDR_LOOPBACK,
    WH_ADDR_PRIVATE,     /* RFC 1918, IPv6 ULA fc00::/7 */
    WH_ADDR_LINK_LOCAL,  /* 169.254.0.0/16, fe80::/10 */
    WH_ADDR_CGNAT,       /* 100.64.0.0/10 */
    WH_ADDR_METADATA,    /* 169.254.169.254, fd00:ec2::254, 100.100.100.200 */
    WH_ADDR_UNSPECIFIED, /* 0.0.0.0/8, :: */
    WH_ADDR_MULTICAST,
    WH_ADDR_RESERVED     /* broadcast, 240/4, benchmarking, documentation, other special ranges */
};

/* One CIDR range. */
struct wh_cidr {
    int family;          /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int prefix;
};

struct wh_allow {
    size_t n;
    struct wh_cidr r[WH_ALLOW_MAX];
};

/* The class of an IPv4 or IPv6 address (IPv4-mapped and NAT64 IPv6 by their IPv4 part). */
enum wh_addr_class wh_addr_classify(const struct sockaddr *sa);
/* "loopback", "private", ... for messages. */
const char *wh_addr_class_name(enum wh_addr_class c);
/* Parses "127.0.0.0/8 ::1/128 ..." (spaces or commas; an address alone is a /32 or /128). */
bool wh_allow_parse(const char *text, struct wh_allow *out, char *err, size_t errlen);
/* True when the address may be connected: public, or inside an allowed range. */
bool wh_addr_permitted(const struct wh_allow *allow, const struct sockaddr *sa);
/* Writes the address as text (no port) into buf. */
const char *wh_addr_text(const struct sockaddr *sa, char *buf, size_t buflen);

#endif
