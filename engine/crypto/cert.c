/* cert — reading what the CA issued: split the chain, serial, validity, names. */
#include "crypto/cert.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "ident/ip.h"

#include <ctype.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#define CERT_MAX_CHAIN 10   /* certificates in one chain; real chains have 2-4 */
#define CERT_MAX_NAMES 1000 /* dNSName SANs of one certificate */

/* Appends the PEM encoding of x to b. */
static bool cert_pem_append(struct buf *b, X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    bool ok = false;
    char *data = NULL;
    if (bio && PEM_write_bio_X509(bio, x) == 1) {
        long n = BIO_get_mem_data(bio, &data);
        ok = n > 0 && data && buf_append(b, data, (size_t)n);
    }
    BIO_free(bio);
    return ok;
}

/* The serial as lowercase hex without leading zeros ("0" for zero). */
static char *cert_serial_hex(X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    char *out = NULL;
    if (hex) {
        const char *p = hex;
        bool neg = *p == '-';
        if (neg)
            p++;
        while (p[0] == '0' && p[1])
            p++;
        out = xasprintf("%s%s", neg ? "-" : "", p);
        for (char *q = out; *q; q++)
            *q = (char)tolower((unsigned char)*q);
    }
    OPENSSL_free(hex);
    BN_free(bn);
    return out;
}

/* Converts an ASN.1 time to time_t; false when it does not parse. */
static bool cert_time(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    *out = timegm(&tm);
    return true;
}

/*
 * Collects the dNSName SANs of x, and the iPAddress SANs as canonical text (so they
 * compare equal to an order's normalised addresses); names with embedded NULs or
 * control characters, and addresses of another length than 4 or 16, are skipped.
 */
static void cert_names(X509 *x, struct cert_info *out)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (!gens)
        return;
    int n = sk_GENERAL_NAME_num(gens);
    if (n > CERT_MAX_NAMES)
        n = CERT_MAX_NAMES;
    out->names = xcalloc((size_t)(n > 0 ? n : 1), sizeof *out->names);
    for (int i = 0; i < n; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        struct ip_addr ip;
        if (g && g->type == GEN_IPADD) {
            if (ip_from_bytes(ASN1_STRING_get0_data(g->d.iPAddress), (size_t)ASN1_STRING_length(g->d.iPAddress), &ip))
                out->names[out->n_names++] = xstrdup(ip.text);
            continue;
        }
        if (!g || g->type != GEN_DNS)
            continue;
        const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
        int len = ASN1_STRING_length(g->d.dNSName);
        bool ok = d && len > 0;
        for (int j = 0; ok && j < len; j++)
            ok = d[j] > 0x20 && d[j] < 0x7f;
        if (ok)
            out->names[out->n_names++] = xstrndup((const char *)d, (size_t)len);
    }
    GENERAL_NAMES_free(gens);
}

/* The last chain this thread read: the text after the leaf, as it came and as normalised. */
static _Thread_local struct {
    unsigned char sha256[32];
    char *chain_pem;
} cert_last_chain;

/* The SHA-256 of the text after the first PEM block (the issuers); false when there is none. */
static bool cert_chain_id(const char *pem, size_t len, size_t *leaf_len, unsigned char id[32])
{
    static const char end[] = "-----END ";
    const char *e = memmem(pem, len, end, sizeof end - 1);
    const char *nl = e ? memchr(e, '\n', len - (size_t)(e - pem)) : NULL;
    if (!nl)
        return false;
    *leaf_len = (size_t)(nl + 1 - pem);
    unsigned int n = 0;
    return *leaf_len < len && EVP_Digest(nl + 1, len - *leaf_len, id, &n, EVP_sha256(), NULL) == 1 && n == 32;
}

/* Parses a PEM chain as the CA sends it; false when there is no certificate in it. */
bool cert_parse_chain(const char *pem, size_t len, struct cert_info *out)
{
    X509 *certs[CERT_MAX_CHAIN];
    size_t n = 0;
    struct buf leaf, chain;
    bool ok = false;
    BIO *bio = NULL;
    buf_init(&leaf, 0);
    buf_init(&chain, 0);
    if (!out)
        return false;
    memset(out, 0, sizeof *out);
    if (!pem || len == 0 || len > INT_MAX)
        goto done;
    /* The same issuers as last time: only the leaf is parsed. */
    size_t leaf_len = 0;
    unsigned char id[32];
    bool known = cert_chain_id(pem, len, &leaf_len, id) && cert_last_chain.chain_pem &&
                 memcmp(id, cert_last_chain.sha256, sizeof id) == 0;
    bio = BIO_new_mem_buf(pem, (int)(known ? leaf_len : len));
    if (!bio)
        goto done;
    while (n < CERT_MAX_CHAIN) {
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!x)
            break;
        certs[n++] = x;
    }
    /* The loop ends on "no more PEM": that is an error in the queue we do not care about. */
    ERR_clear_error();
    if (n == 0 || (known && n != 1)) {
        log_warn("cert: no certificate in the chain");
        goto done;
    }
    if (n == CERT_MAX_CHAIN) {
        X509 *extra = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        ERR_clear_error();
        if (extra) {
            X509_free(extra);
            log_warn("cert: chain longer than %d certificates", CERT_MAX_CHAIN);
            goto done;
        }
    }
    if (!cert_pem_append(&leaf, certs[0]))
        goto done;
    if (known)
        buf_puts(&chain, cert_last_chain.chain_pem);
    for (size_t i = 1; i < n; i++)
        if (!cert_pem_append(&chain, certs[i]))
            goto done;
    out->serial = cert_serial_hex(certs[0]);
    if (!out->serial || !cert_time(X509_get0_notBefore(certs[0]), &out->not_before) ||
        !cert_time(X509_get0_notAfter(certs[0]), &out->not_after)) {
        log_warn("cert: leaf has an unreadable serial or validity");
        goto done;
    }
    cert_names(certs[0], out);
    out->leaf_pem = buf_steal(&leaf);
    out->chain_pem = buf_steal(&chain);
    out->fullchain_pem = xasprintf("%s%s", out->leaf_pem, out->chain_pem);
    out->leaf = certs[0];
    certs[0] = NULL;
    if (!known && n > 1 && leaf_len) {
        free(cert_last_chain.chain_pem);
        cert_last_chain.chain_pem = xstrdup(out->chain_pem);
        memcpy(cert_last_chain.sha256, id, sizeof id);
    }
    ok = true;
done:
    for (size_t i = 0; i < n; i++)
        X509_free(certs[i]);
    BIO_free(bio);
    buf_free(&leaf);
    buf_free(&chain);
    if (!ok && out)
        cert_info_free(out);
    return ok;
}

/* Forgets the chain this thread kept. */
void cert_chain_forget(void)
{
    free(cert_last_chain.chain_pem);
    memset(&cert_last_chain, 0, sizeof cert_last_chain);
}

/* True when the parsed leaf's public key is key's. */
bool cert_info_matches_key(const struct cert_info *ci, EVP_PKEY *key)
{
    EVP_PKEY *pub = ci && ci->leaf ? X509_get0_pubkey(ci->leaf) : NULL;
    return pub && key && EVP_PKEY_eq(pub, key) == 1;
}

/* The DER of the first certificate of a PEM text (revokeCert sends it); false when there is none. */
bool cert_leaf_der(const char *pem, unsigned char **der, size_t *len)
{
    *der = NULL;
    *len = 0;
    size_t n = pem ? strlen(pem) : 0;
    if (n == 0 || n > INT_MAX)
        return false;
    BIO *bio = BIO_new_mem_buf(pem, (int)n);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    unsigned char *out = NULL;
    int dlen = x ? i2d_X509(x, &out) : -1;
    if (dlen > 0) {
        *der = xmalloc((size_t)dlen);
        memcpy(*der, out, (size_t)dlen);
        *len = (size_t)dlen;
    }
    OPENSSL_free(out);
    X509_free(x);
    BIO_free(bio);
    ERR_clear_error();
    return *der != NULL;
}

/* Frees what a cert_info holds and empties it. */
void cert_info_free(struct cert_info *ci)
{
    if (!ci)
        return;
    free(ci->leaf_pem);
    free(ci->chain_pem);
    free(ci->fullchain_pem);
    free(ci->serial);
    for (size_t i = 0; i < ci->n_names; i++)
        free(ci->names[i]);
    free(ci->names);
    X509_free(ci->leaf);
    memset(ci, 0, sizeof *ci);
}
