/* csr — PKCS#10 certificate signing requests for an order's names. */
#include "crypto/csr.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "ident/ip.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#define CSR_MAX_NAMES 1000
#define CSR_MAX_NAME_LEN 253
#define CSR_CN_MAX 64 /* ub-common-name (RFC 5280) */

/* Logs the newest OpenSSL error with what we were doing, then empties the error queue. */
static void csr_log_ossl(const char *what)
{
    char msg[256];
    unsigned long e = ERR_peek_last_error();
    ERR_error_string_n(e, msg, sizeof msg);
    log_error("csr: %s failed: %s", what, e ? msg : "unknown error");
    ERR_clear_error();
}

/* True for a name we may put in a dNSName: 1..253 printable ASCII characters, no spaces. */
static bool csr_name_ok(const char *s)
{
    size_t n = s ? strnlen(s, CSR_MAX_NAME_LEN + 1) : 0;
    if (n == 0 || n > CSR_MAX_NAME_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

/* One SAN entry: an iPAddress for an address in canonical text (RFC 8738 §3), else a dNSName. */
static GENERAL_NAME *csr_general_name(const char *name)
{
    GENERAL_NAME *gen = GENERAL_NAME_new();
    ASN1_STRING *v = NULL;
    struct ip_addr ip;
    if (!gen)
        return NULL;
    if (ip_is_canonical(name) && ip_normalize(name, strlen(name), &ip) == IP_OK) {
        v = ASN1_OCTET_STRING_new();
        if (v && ASN1_OCTET_STRING_set(v, ip.bytes, ip.version == 4 ? 4 : 16) == 1) {
            GENERAL_NAME_set0_value(gen, GEN_IPADD, v);
            return gen;
        }
    } else {
        v = ASN1_IA5STRING_new();
        if (v && ASN1_STRING_set(v, name, (int)strlen(name)) == 1) {
            GENERAL_NAME_set0_value(gen, GEN_DNS, v);
            return gen;
        }
    }
    ASN1_STRING_free(v);
    GENERAL_NAME_free(gen);
    return NULL;
}

/* Builds the subjectAltName extension: a dNSName per DNS name, an iPAddress per address. */
static X509_EXTENSION *csr_san_ext(const char *const *names, size_t n)
{
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    X509_EXTENSION *ext = NULL;
    if (!gens)
        goto done;
    for (size_t i = 0; i < n; i++) {
        GENERAL_NAME *gen = csr_general_name(names[i]);
        if (!gen)
            goto done;
        if (!sk_GENERAL_NAME_push(gens, gen)) {
            GENERAL_NAME_free(gen);
            goto done;
        }
    }
    /* Built from structures, not from an "DNS:a,DNS:b" config string a name could inject into. */
    ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
done:
    GENERAL_NAMES_free(gens);
    return ext;
}

/*
 * The name to put in the CN: the first DNS name when it fits in ub-common-name (an
 * address stays in the SAN only, as CAs put it there); NULL: no CN.
 */
static const char *csr_cn_name(const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ip_is_canonical(names[i]))
            return strlen(names[i]) <= CSR_CN_MAX ? names[i] : NULL;
    return NULL;
}

/* DER CSR with every name as a dNSName SAN (first also as CN when it fits); caller frees *der. */
bool csr_make(EVP_PKEY *key, const char *const *names, size_t n, unsigned char **der, size_t *derlen)
{
    X509_REQ *req = NULL;
    X509_EXTENSION *ext = NULL;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    unsigned char *p = NULL;
    bool ok = false;
    if (!key || !names || n == 0 || n > CSR_MAX_NAMES || !der || !derlen) {
        log_error("csr: bad arguments (%zu names)", n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!csr_name_ok(names[i])) {
            log_error("csr: name %zu is not a valid DNS name", i);
            return false;
        }
    }
    req = X509_REQ_new();
    if (!req || X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1) {
        csr_log_ossl("CSR allocation");
        goto done;
    }
    /* The CN is optional for ACME; a name longer than ub-common-name is only in the SAN. */
    const char *cn = csr_cn_name(names, n);
    if (cn) {
        X509_NAME *subj = X509_REQ_get_subject_name(req);
        if (!subj ||
            X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) != 1) {
            csr_log_ossl("CSR subject");
            goto done;
        }
    }
    ext = csr_san_ext(names, n);
    exts = sk_X509_EXTENSION_new_null();
    if (!ext || !exts || !sk_X509_EXTENSION_push(exts, ext)) {
        csr_log_ossl("CSR subjectAltName");
        goto done;
    }
    ext = NULL; /* now owned by exts */
    if (X509_REQ_add_extensions(req, exts) != 1) {
        csr_log_ossl("CSR extensions");
        goto done;
    }
    if (X509_REQ_set_pubkey(req, key) != 1) {
        csr_log_ossl("CSR public key");
        goto done;
    }
    if (X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
        csr_log_ossl("CSR signature");
        goto done;
    }
    int len = i2d_X509_REQ(req, NULL);
    if (len <= 0) {
        csr_log_ossl("CSR encoding");
        goto done;
    }
    p = xmalloc((size_t)len);
    unsigned char *q = p;
    if (i2d_X509_REQ(req, &q) != len) {
        csr_log_ossl("CSR encoding");
        goto done;
    }
    *der = p;
    *derlen = (size_t)len;
    p = NULL;
    ok = true;
done:
    free(p);
    X509_EXTENSION_free(ext);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    return ok;
}
