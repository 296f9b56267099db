/* ip — validates and normalises IP identifiers, and maps them to and from reverse-DNS names (see ip.h). */
#include "ident/ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Longest input looked at as an address: "[" + 45 characters of IPv6 text + "]", with room to spare. */
#define IP_MAX_INPUT 63

#define IP_V4_SUFFIX ".in-addr.arpa"
#define IP_V6_SUFFIX ".ip6.arpa"

/* Why each result was refused, phrased to follow the name in an API problem detail. */
static const struct {
    const char *name;
    const char *reason;
} ip_msgs[IP_ERR_COUNT] = {
    [IP_OK] = { "ok", "is a valid IP address" },
    [IP_NOT_IP] = { "not_ip", "is not an IP address" },
    [IP_ERR_V4_FORM] = { "ipv4_form",
                         "is not an IPv4 address in dotted-quad form (four numbers 0 to 255 without leading zeros "
                         "or a trailing dot, like 192.0.2.1)" },
    [IP_ERR_V6_FORM] = { "ipv6_form", "is not a valid IPv6 address (RFC 4291 text form, like 2001:db8::1)" },
    [IP_ERR_ZONE] = { "zone_id", "has a zone id (%...), which means nothing outside one host; leave it out" },
    [IP_ERR_MAPPED] = { "ipv4_mapped",
                        "is an IPv4-mapped or IPv4-compatible IPv6 address; write the IPv4 address itself" },
    [IP_ERR_WILDCARD] = { "wildcard", "is a wildcard over IP addresses, which certificates cannot name" },
};

/* The reason sentence of a result. */
const char *ip_reason(enum ip_rc rc)
{
    if ((int)rc < 0 || rc >= IP_ERR_COUNT)
        return "is not a valid IP address";
    return ip_msgs[rc].reason;
}

/* The short name of a result. */
const char *ip_rc_name(enum ip_rc rc)
{
    if ((int)rc < 0 || rc >= IP_ERR_COUNT)
        return "?";
    return ip_msgs[rc].name;
}

/* Fills out's text from its bytes (inet_ntop writes RFC 5952 form for IPv6). */
static bool ip_set_text(struct ip_addr *out)
{
    return inet_ntop(out->version == 4 ? AF_INET : AF_INET6, out->bytes, out->text, sizeof out->text) != NULL;
}

/* True for the IPv4-mapped (::ffff:0:0/96) and IPv4-compatible (::/96 but :: and ::1) forms. */
static bool ip_v6_embeds_v4(const unsigned char *b)
{
    static const unsigned char zeros[12];
    if (memcmp(b, zeros, 10) != 0)
        return false;
    if (b[10] == 0xff && b[11] == 0xff)
        return true;
    if (b[10] != 0 || b[11] != 0)
        return false;
    /* ::/96 itself: only the unspecified address and loopback are not IPv4-compatible forms. */
    return !(b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1);
}

/* Judges a text meant as IPv6 (it has a ':'). */
static enum ip_rc ip_normalize_v6(char *s, struct ip_addr *out)
{
    size_t n = strlen(s);
    if (strchr(s, '*'))
        return IP_ERR_WILDCARD;
    if (s[0] == '[') {
        /* The URL form: accepted, and the brackets dropped. */
        if (n < 3 || s[n - 1] != ']')
            return IP_ERR_V6_FORM;
        s[n - 1] = '\0';
        s++;
    }
    if (strchr(s, '%'))
        return IP_ERR_ZONE;
    if (inet_pton(AF_INET6, s, out->bytes) != 1)
        return IP_ERR_V6_FORM;
    if (ip_v6_embeds_v4(out->bytes))
        return IP_ERR_MAPPED;
    out->version = 6;
    return ip_set_text(out) ? IP_OK : IP_ERR_V6_FORM;
}

/* True when s is made of digits, dots and '*' only, with at least one digit and one dot. */
static bool ip_v4_like(const char *s)
{
    bool digit = false, dot = false;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digit = true;
        else if (*s == '.')
            dot = true;
        else if (*s != '*')
            return false;
    }
    return digit && dot;
}

/* Validates and normalises one name meant as an address. */
enum ip_rc ip_normalize(const char *in, size_t len, struct ip_addr *out)
{
    char raw[IP_MAX_INPUT + 1];
    memset(out, 0, sizeof *out);
    if (!in || len == 0 || memchr(in, '\0', len))
        return IP_NOT_IP;
    if (len > IP_MAX_INPUT) {
        /* Too long for any address; a ':' still says it was meant as one. */
        return memchr(in, ':', len) ? IP_ERR_V6_FORM : IP_NOT_IP;
    }
    memcpy(raw, in, len);
    raw[len] = '\0';
    enum ip_rc rc = IP_NOT_IP;
    if (strchr(raw, ':')) {
        rc = ip_normalize_v6(raw, out);
    } else if (ip_v4_like(raw)) {
        if (strchr(raw, '*'))
            rc = IP_ERR_WILDCARD;
        else if (inet_pton(AF_INET, raw, out->bytes) != 1) /* glibc: dotted quad only, no leading zeros */
            rc = IP_ERR_V4_FORM;
        else {
            out->version = 4;
            rc = ip_set_text(out) ? IP_OK : IP_ERR_V4_FORM;
        }
    }
    if (rc != IP_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

/* True when s is an address in exactly its canonical text. */
bool ip_is_canonical(const char *s)
{
    struct ip_addr a;
    return s && ip_normalize(s, strlen(s), &a) == IP_OK && strcmp(a.text, s) == 0;
}

/* The address of 4 or 16 raw bytes. */
bool ip_from_bytes(const unsigned char *b, size_t len, struct ip_addr *out)
{
    memset(out, 0, sizeof *out);
    if (!b || (len != 4 && len != 16))
        return false;
    out->version = len == 4 ? 4 : 6;
    memcpy(out->bytes, b, len);
    if (!ip_set_text(out)) {
        memset(out, 0, sizeof *out);
        return false;
    }
    return true;
}

/* The reverse-DNS name of ip, without a trailing dot. */
bool ip_reverse_name(const struct ip_addr *ip, char *dst, size_t dstlen)
{
    static const char hex[] = "0123456789abcdef";
    if (!ip || !dst || dstlen < IP_REVERSE_MAX)
        return false;
    if (ip->version == 4) {
        snprintf(dst, dstlen, "%u.%u.%u.%u" IP_V4_SUFFIX, ip->bytes[3], ip->bytes[2], ip->bytes[1], ip->bytes[0]);
        return true;
    }
    if (ip->version != 6)
        return false;
    /* Least significant nibble first (RFC 3596 §2.5). */
    size_t at = 0;
    for (int i = 15; i >= 0; i--) {
        dst[at++] = hex[ip->bytes[i] & 0x0f];
        dst[at++] = '.';
        dst[at++] = hex[ip->bytes[i] >> 4];
        dst[at++] = '.';
    }
    snprintf(dst + at, dstlen - at, "%s", &IP_V6_SUFFIX[1]); /* without its leading dot */
    return true;
}

/* Reads the 4 decimal labels before ".in-addr.arpa" (s is that prefix), most significant byte last. */
static bool ip_reverse_v4(const char *s, size_t n, struct ip_addr *out)
{
    int byte = 3;
    size_t i = 0;
    while (byte >= 0) {
        size_t start = i;
        unsigned v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        size_t digits = i - start;
        /* 1-3 digits, no leading zero, at most 255: the form Go and every resolver write. */
        if (digits == 0 || v > 255 || (digits > 1 && s[start] == '0'))
            return false;
        out->bytes[byte--] = (unsigned char)v;
        if (byte >= 0) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
    }
    if (i != n)
        return false;
    out->version = 4;
    return ip_set_text(out);
}

/* The value of a lowercase hex digit, or -1. */
static int ip_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Reads the 32 nibble labels before ".ip6.arpa" (s is that prefix, lowercased). */
static bool ip_reverse_v6(const char *s, size_t n, struct ip_addr *out)
{
    if (n != 63)
        return false;
    for (size_t k = 0; k < 32; k++) {
        int v = ip_hex_value(s[2 * k]);
        if (v < 0 || (k < 31 && s[2 * k + 1] != '.'))
            return false;
        /* Label k is nibble k from the least significant end. */
        size_t byte = 15 - k / 2;
        out->bytes[byte] |= (unsigned char)(k % 2 == 0 ? v : v << 4);
    }
    out->version = 6;
    return ip_set_text(out);
}

/* The address a reverse-DNS name stands for. */
bool ip_from_reverse_name(const char *name, struct ip_addr *out)
{
    char s[IP_REVERSE_MAX + 1];
    memset(out, 0, sizeof *out);
    size_t n = name ? strnlen(name, sizeof s) : sizeof s;
    if (n >= sizeof s || n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        s[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
    s[n] = '\0';
    if (s[n - 1] == '.')
        s[--n] = '\0';
    size_t l4 = strlen(IP_V4_SUFFIX), l6 = strlen(IP_V6_SUFFIX);
    bool ok = false;
    if (n > l4 && strcmp(s + n - l4, IP_V4_SUFFIX) == 0)
        ok = ip_reverse_v4(s, n - l4, out);
    else if (n > l6 && strcmp(s + n - l6, IP_V6_SUFFIX) == 0)
        ok = ip_reverse_v6(s, n - l6, out);
    if (!ok)
        memset(out, 0, sizeof *out);
    return ok;
}
