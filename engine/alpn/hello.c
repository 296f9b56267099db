/* alpn/hello — bounded readers for the server_name and ALPN ClientHello extensions. */
#include "alpn/hello.h"

#include "ident/domain.h"
#include "ident/ip.h"

#include <stdio.h>
#include <string.h>

/* Reads a big-endian 16-bit length at p (the caller has checked two bytes remain). */
static size_t alpn_hello_u16(const unsigned char *p)
{
    return ((size_t)p[0] << 8) | p[1];
}

/* Walks a ProtocolNameList; every entry must fit, and none may be empty (RFC 7301). */
bool alpn_hello_offers(const unsigned char *list, size_t len, const char *proto, size_t *at)
{
    size_t plen = strlen(proto), i = 0;
    bool found = false;
    if (!list || len == 0)
        return false;
    while (i < len) {
        size_t n = list[i++];
        if (n == 0 || n > len - i)
            return false;
        if (!found && n == plen && memcmp(list + i, proto, plen) == 0) {
            found = true;
            if (at)
                *at = i;
        }
        i += n;
    }
    return found;
}

/* Strips the extension's 2-byte list length, which must cover the rest exactly. */
bool alpn_hello_ext_offers(const unsigned char *ext, size_t len, const char *proto)
{
    if (!ext || len < 2 || alpn_hello_u16(ext) != len - 2)
        return false;
    return alpn_hello_offers(ext + 2, len - 2, proto, NULL);
}

/* Takes the first host_name entry of a ServerNameList and checks its characters. */
bool alpn_hello_sni(const unsigned char *ext, size_t len, char *name, size_t namelen)
{
    if (!ext || len < 2 || namelen == 0 || alpn_hello_u16(ext) != len - 2)
        return false;
    size_t i = 2;
    while (i < len) {
        if (len - i < 3)
            return false;
        unsigned type = ext[i];
        size_t n = alpn_hello_u16(ext + i + 1);
        i += 3;
        if (n > len - i)
            return false;
        if (type != 0) { /* a future name type: skip it */
            i += n;
            continue;
        }
        if (n == 0 || n >= namelen)
            return false;
        for (size_t k = 0; k < n; k++) {
            unsigned char c = ext[i + k];
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c - 'A' + 'a');
            else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
                return false;
            name[k] = (char)c;
        }
        name[n] = '\0';
        return true;
    }
    return false;
}

/* Maps the SNI to the stored name: an address for its reverse-DNS name, else the normalised DNS name. */
bool alpn_hello_lookup_name(const char *sni, char *name, size_t namelen)
{
    struct ip_addr ip;
    struct domain_name dn;
    if (namelen > 0)
        name[0] = '\0';
    if (!sni || namelen < DOMAIN_MAX_LEN + 1)
        return false;
    if (ip_from_reverse_name(sni, &ip)) {
        snprintf(name, namelen, "%s", ip.text);
        return true;
    }
    if (domain_normalize(sni, strlen(sni), &dn) != DOMAIN_OK || dn.wildcard)
        return false;
    snprintf(name, namelen, "%s", dn.name);
    return true;
}
