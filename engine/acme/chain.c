/* acme/chain.c — alternate chains (RFC 8555 §7.4.2): the Link headers that offer them, and which root each ends at. */
#include "acme/internal.h"
#include "base/xalloc.h"

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ACME_CHAIN_MAX_CERTS 16 /* certificates read from one chain */

/* Skips blank space. */
static const char *acme_link_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* True when the space-separated relation list [v, v+n) holds want (case ignored, RFC 8288 §2.1.1). */
static bool acme_link_rel_has(const char *v, size_t n, const char *want)
{
    size_t wlen = strlen(want);
    const char *p = v, *end = v + n;
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        const char *w = p;
        while (p < end && *p != ' ')
            p++;
        if ((size_t)(p - w) == wlen && strncasecmp(w, want, wlen) == 0)
            return true;
    }
    return false;
}

/*
 * Reads the parameters of one link value from p (just past '>') up to the ',' that ends
 * it or the end; *is_alt tells whether one of them is rel=<rel>. Returns where it stopped.
 */
static const char *acme_link_params(const char *p, const char *end, const char *rel, bool *is_alt)
{
    *is_alt = false;
    for (;;) {
        p = acme_link_ws(p, end);
        if (p >= end || *p == ',')
            return p;
        if (*p != ';')
            return NULL;
        p = acme_link_ws(p + 1, end);
        const char *name = p;
        while (p < end && *p != '=' && *p != ';' && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        size_t namelen = (size_t)(p - name);
        p = acme_link_ws(p, end);
        const char *val = NULL;
        size_t vallen = 0;
        if (p < end && *p == '=') {
            p = acme_link_ws(p + 1, end);
            if (p < end && *p == '"') {
                val = ++p;
                while (p < end && *p != '"')
                    p += (*p == '\\' && p + 1 < end) ? 2 : 1;
                if (p >= end)
                    return NULL; /* unterminated quoted string */
                vallen = (size_t)(p - val);
                p++;
            } else {
                val = p;
                while (p < end && *p != ';' && *p != ',' && *p != ' ' && *p != '\t')
                    p++;
                vallen = (size_t)(p - val);
            }
        }
        if (namelen == 3 && strncasecmp(name, "rel", 3) == 0 && val && acme_link_rel_has(val, vallen, rel))
            *is_alt = true;
    }
}

/*
 * Collects the URLs of Link: <url>;rel="<rel>" from raw Link header values (one header
 * may hold several links, comma-separated); at most max of them, each a fresh string in out.
 * Only absolute http(s) URLs are kept. Returns how many were stored.
 */
size_t acme_link_rel(char *const *links, size_t n_links, const char *rel, char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < n_links && n < max; i++) {
        if (!links[i])
            continue;
        const char *p = links[i], *end = links[i] + strlen(links[i]);
        while (p && p < end && n < max) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
                p++;
            if (p >= end || *p != '<')
                break; /* not a link value we can read: ignore the rest of this header */
            const char *u = p + 1, *gt = memchr(u, '>', (size_t)(end - u));
            if (!gt)
                break;
            bool is_alt = false;
            p = acme_link_params(gt + 1, end, rel, &is_alt);
            if (!p)
                break;
            if (is_alt) {
                char *url = xstrndup(u, (size_t)(gt - u));
                if (acme_url_ok(url))
                    out[n++] = url;
                else
                    free(url);
            }
        }
    }
    return n;
}

/* The URLs of Link: <url>;rel="alternate" (alternate chains, RFC 8555 §7.4.2). */
size_t acme_link_alternates(char *const *links, size_t n_links, char **out, size_t max)
{
    return acme_link_rel(links, n_links, "alternate", out, max);
}

/* Copies the first commonName of name into cn as UTF-8; false when none, empty, too long or holding a NUL. */
static bool acme_chain_cn(const X509_NAME *name, char *cn, size_t cnlen)
{
    int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
    if (i < 0)
        return false;
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    bool ok = len > 0 && (size_t)len < cnlen && !memchr(utf8, '\0', (size_t)len);
    if (ok) {
        memcpy(cn, utf8, (size_t)len);
        cn[len] = '\0';
    }
    OPENSSL_free(utf8);
    return ok;
}

/* The last certificate of a PEM chain (the one nearest the root); NULL when there is none. */
static X509 *acme_chain_top(const char *pem)
{
    size_t len = pem ? strlen(pem) : 0;
    if (len == 0 || len > ACME_MAX_RESPONSE)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *top = NULL, *x;
    for (int i = 0; bio && i < ACME_CHAIN_MAX_CERTS && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)); i++) {
        X509_free(top);
        top = x;
    }
    BIO_free(bio);
    return top;
}

/* The issuer CN of the chain's last certificate (the root it chains to); false when unreadable. */
bool acme_chain_top_issuer(const char *pem, char *cn, size_t cnlen)
{
    if (!cn || cnlen == 0)
        return false;
    cn[0] = '\0';
    X509 *top = acme_chain_top(pem);
    bool ok = top && acme_chain_cn(X509_get_issuer_name(top), cn, cnlen);
    X509_free(top);
    return ok;
}

/* True when the chain's top certificate is issued by, or is, the CA named preferred_cn (exact match). */
bool acme_chain_matches(const char *pem, const char *preferred_cn)
{
    char cn[256];
    if (!preferred_cn || !*preferred_cn)
        return false;
    X509 *top = acme_chain_top(pem);
    bool ok = top && ((acme_chain_cn(X509_get_issuer_name(top), cn, sizeof cn) && strcmp(cn, preferred_cn) == 0) ||
                      (acme_chain_cn(X509_get_subject_name(top), cn, sizeof cn) && strcmp(cn, preferred_cn) == 0));
    X509_free(top);
    return ok;
}
