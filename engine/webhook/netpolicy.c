/* netpolicy — address classes and the allow list of webhook destinations. */
#include "webhook/netpolicy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True when the first prefix bits of a and b agree. */
static bool wh_prefix_eq(const unsigned char *a, const unsigned char *b, int prefix)
{
    int whole = prefix / 8, rest = prefix % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

/* A special IPv4 range and its class, most specific first. */
struct wh_range4 {
    unsigned char net[4];
    int prefix;
    enum wh_addr_class c;
};

static const struct wh_range4 wh_ranges4[] = {
    { { 169, 254, 169, 254 }, 32, WH_ADDR_METADATA },  /* AWS, GCP, Azure, OpenStack ... */
    { { 100, 100, 100, 200 }, 32, WH_ADDR_METADATA },  /* Alibaba Cloud */
    { { 0, 0, 0, 0 }, 8, WH_ADDR_UNSPECIFIED },        /* "this network" */
    { { 127, 0, 0, 0 }, 8, WH_ADDR_LOOPBACK },
    { { 10, 0, 0, 0 }, 8, WH_ADDR_PRIVATE },
    { { 172, 16, 0, 0 }, 12, WH_ADDR_PRIVATE },
    { { 192, 168, 0, 0 }, 16, WH_ADDR_PRIVATE },
    { { 169, 254, 0, 0 }, 16, WH_ADDR_LINK_LOCAL },
    { { 100, 64, 0, 0 }, 10, WH_ADDR_CGNAT },
    { { 192, 0, 0, 0 }, 24, WH_ADDR_RESERVED },        /* IETF protocol assignments */
    { { 192, 0, 2, 0 }, 24, WH_ADDR_RESERVED },        /* documentation */
    { { 198, 51, 100, 0 }, 24, WH_ADDR_RESERVED },
    { { 203, 0, 113, 0 }, 24, WH_ADDR_RESERVED },
    { { 198, 18, 0, 0 }, 15, WH_ADDR_RESERVED },       /* benchmarking */
    { { 224, 0, 0, 0 }, 4, WH_ADDR_MULTICAST },
    { { 240, 0, 0, 0 }, 4, WH_ADDR_RESERVED },         /* and 255.255.255.255 */
};

/* The class of an IPv4 address in network order. */
static enum wh_addr_class wh_classify4(const unsigned char a[4])
{
    for (size_t i = 0; i < sizeof wh_ranges4 / sizeof wh_ranges4[0]; i++)
        if (wh_prefix_eq(a, wh_ranges4[i].net, wh_ranges4[i].prefix))
            return wh_ranges4[i].c;
    return WH_ADDR_PUBLIC;
}

/* The class of an IPv6 address; embedded IPv4 (mapped, NAT64) by the IPv4 rules. */
static enum wh_addr_class wh_classify6(const unsigned char a[16])
{
    static const unsigned char zero[16], mapped[12] = { [10] = 0xff, [11] = 0xff },
                               nat64[12] = { 0x00, 0x64, 0xff, 0x9b },
                               ec2_meta[16] = { 0xfd, 0x00, 0x0e, 0xc2, [15] = 0x54, [14] = 0x02 },
                               doc[4] = { 0x20, 0x01, 0x0d, 0xb8 };
    if (memcmp(a, zero, 16) == 0)
        return WH_ADDR_UNSPECIFIED;
    if (memcmp(a, zero, 15) == 0 && a[15] == 1)
        return WH_ADDR_LOOPBACK;
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return wh_classify4(a + 12);
    if (memcmp(a, zero, 12) == 0) /* deprecated IPv4-compatible ::a.b.c.d */
        return wh_classify4(a + 12);
    if (memcmp(a, ec2_meta, 16) == 0)
        return WH_ADDR_METADATA;
    if ((a[0] & 0xfe) == 0xfc)
        return WH_ADDR_PRIVATE;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return WH_ADDR_LINK_LOCAL;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) /* site-local, deprecated */
        return WH_ADDR_PRIVATE;
    if (a[0] == 0xff)
        return WH_ADDR_MULTICAST;
    if (memcmp(a, doc, 4) == 0)
        return WH_ADDR_RESERVED;
    return WH_ADDR_PUBLIC;
}

/* Classifies by family; an unknown family counts as reserved (never connected). */
enum wh_addr_class wh_addr_classify(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return wh_classify4((const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr);
    if (sa->sa_family == AF_INET6)
        return wh_classify6(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
    return WH_ADDR_RESERVED;
}

/* Names a class. */
const char *wh_addr_class_name(enum wh_addr_class c)
{
    static const char *const names[] = { "public",  "loopback",    "private",   "link-local", "CGNAT",
                                         "metadata", "unspecified", "multicast", "reserved" };
    return (size_t)c < sizeof names / sizeof names[0] ? names[c] : "reserved";
}

/* Parses one "addr[/prefix]". */
static bool wh_cidr_parse(const char *s, struct wh_cidr *c)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof addr)
        return false;
    memcpy(addr, s, n);
    addr[n] = '\0';
    memset(c, 0, sizeof *c);
    int max;
    if (inet_pton(AF_INET, addr, c->addr) == 1) {
        c->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
        c->family = AF_INET6;
        max = 128;
    } else {
        return false;
    }
    c->prefix = max;
    if (slash) {
        char *end;
        long p = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || p < 0 || p > max)
            return false;
        c->prefix = (int)p;
    }
    return true;
}

/* Splits on spaces and commas. */
bool wh_allow_parse(const char *text, struct wh_allow *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *p = text ? text : "";
    while (*p) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, " \t,");
        if (n == 0)
            break;
        char item[80];
        bool ok = n < sizeof item && out->n < WH_ALLOW_MAX;
        if (ok) {
            memcpy(item, p, n);
            item[n] = '\0';
            ok = wh_cidr_parse(item, &out->r[out->n]);
        }
        if (!ok) {
            snprintf(err, errlen, "allow_destinations: '%.*s' is not an address or CIDR range (at most %d)",
                     (int)(n > 60 ? 60 : n), p, WH_ALLOW_MAX);
            return false;
        }
        out->n++;
        p += n;
    }
    return true;
}

/* Public, or inside an allowed range (an IPv4-mapped IPv6 address also matches IPv4 ranges). */
bool wh_addr_permitted(const struct wh_allow *allow, const struct sockaddr *sa)
{
    if (wh_addr_classify(sa) == WH_ADDR_PUBLIC)
        return true;
    const unsigned char *v4 = NULL, *v6 = NULL;
    if (sa->sa_family == AF_INET) {
        v4 = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (sa->sa_family == AF_INET6) {
        static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
        v6 = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        if (memcmp(v6, mapped, 12) == 0)
            v4 = v6 + 12;
    }
    for (size_t i = 0; allow && i < allow->n; i++) {
        const struct wh_cidr *c = &allow->r[i];
        if (c->family == AF_INET && v4 && wh_prefix_eq(v4, c->addr, c->prefix))
            return true;
        if (c->family == AF_INET6 && v6 && wh_prefix_eq(v6, c->addr, c->prefix))
            return true;
    }
    return false;
}

/* inet_ntop of either family. */
const char *wh_addr_text(const struct sockaddr *sa, char *buf, size_t buflen)
{
    const void *a = NULL;
    if (sa->sa_family == AF_INET)
        a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!a || !inet_ntop(sa->sa_family, a, buf, (socklen_t)buflen))
        snprintf(buf, buflen, "?");
    return buf;
}
