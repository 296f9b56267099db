/* csr_check — reading and checking a CSR a customer sends with an order (certmill never holds its key). */
#include "crypto/csr.h"
#include "crypto/key.h"
#include "base/xalloc.h"
#include "ident/ip.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSR_CHECK_MAX_NAMES 1000
#define CSR_CHECK_MAX_NAME_LEN 1024 /* bytes of one name as written (the API normalises it later) */

/* Frees what csr_parse filled in and empties it. */
void csr_info_free(struct csr_info *ci)
{
    if (!ci)
        return;
    for (size_t i = 0; i < ci->n_names; i++)
        free(ci->names[i]);
    free(ci->names);
    free(ci->der);
    memset(ci, 0, sizeof *ci);
}

/* Adds a name unless it is already there (ASCII case-insensitively); false when it is not printable ASCII. */
static bool csr_check_add_name(struct csr_info *ci, const unsigned char *d, int len)
{
    if (!d || len <= 0 || len > CSR_CHECK_MAX_NAME_LEN || ci->n_names >= CSR_CHECK_MAX_NAMES)
        return false;
    for (int i = 0; i < len; i++)
        if (d[i] <= 0x20 || d[i] >= 0x7f)
            return false;
    for (size_t i = 0; i < ci->n_names; i++)
        if (strlen(ci->names[i]) == (size_t)len && strncasecmp(ci->names[i], (const char *)d, (size_t)len) == 0)
            return true;
    ci->names = xrealloc(ci->names, (ci->n_names + 1) * sizeof *ci->names);
    ci->names[ci->n_names++] = xstrndup((const char *)d, (size_t)len);
    return true;
}

/* Collects the dNSName and iPAddress SANs; false (with err) on any other kind of name or a name that is not printable. */
static bool csr_check_sans(X509_REQ *req, struct csr_info *ci, char *err, size_t errlen)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
    bool ok = true;
    for (int i = 0; ok && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        struct ip_addr ip;
        if (g->type == GEN_IPADD) {
            /* RFC 8738 §3: 4 or 16 bytes; kept as text so the API compares it with the order's names. */
            if (!ip_from_bytes(ASN1_STRING_get0_data(g->d.iPAddress), (size_t)ASN1_STRING_length(g->d.iPAddress),
                               &ip) ||
                !csr_check_add_name(ci, (const unsigned char *)ip.text, (int)strlen(ip.text))) {
                snprintf(err, errlen, "an IP address of the CSR is neither 4 nor 16 bytes long");
                ok = false;
            }
        } else if (g->type != GEN_DNS) {
            snprintf(err, errlen, "the CSR asks for a subjectAltName that is neither a DNS name nor an IP address");
            ok = false;
        } else if (!csr_check_add_name(ci, ASN1_STRING_get0_data(g->d.dNSName), ASN1_STRING_length(g->d.dNSName))) {
            snprintf(err, errlen, "a DNS name of the CSR is empty, too long or not printable ASCII");
            ok = false;
        }
    }
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return ok;
}

/* Adds each commonName of the subject not already among the SANs (a CA would certify it too). */
static bool csr_check_cns(X509_REQ *req, struct csr_info *ci, char *err, size_t errlen)
{
    const X509_NAME *subj = X509_REQ_get_subject_name(req);
    for (int i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) {
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i)));
        bool ok = len > 0 && csr_check_add_name(ci, utf8, len);
        OPENSSL_free(utf8);
        if (!ok) {
            snprintf(err, errlen, "the CSR's common name is empty, too long or not printable ASCII");
            return false;
        }
    }
    return true;
}

/* Reads the one request of the PEM text; NULL when there is none. */
static X509_REQ *csr_check_read(const char *pem, size_t len)
{
    if (!pem || len == 0 || len > CSR_MAX_PEM)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509_REQ *req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return req;
}

/* Parses and checks a customer's PEM CSR: signature, names, key type, and keeps its DER. */
enum csr_rc csr_parse(const char *pem, size_t len, struct csr_info *out, char *err, size_t errlen)
{
    enum csr_rc rc = CSR_INVALID;
    memset(out, 0, sizeof *out);
    snprintf(err, errlen, "csr is not a PEM \"CERTIFICATE REQUEST\"");
    X509_REQ *req = csr_check_read(pem, len);
    EVP_PKEY *pub = req ? X509_REQ_get0_pubkey(req) : NULL;
    if (!pub)
        goto done;
    if (X509_REQ_verify(req, pub) != 1) {
        snprintf(err, errlen, "the CSR's signature does not verify with its own key");
        goto done;
    }
    out->key_type = key_type_of(pub);
    if (out->key_type < 0) {
        snprintf(err, errlen, "the CSR's key is not one of ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096");
        rc = CSR_KEY_UNSUPPORTED;
        goto done;
    }
    if (!csr_check_sans(req, out, err, errlen) || !csr_check_cns(req, out, err, errlen))
        goto done;
    if (out->n_names == 0) {
        snprintf(err, errlen, "the CSR names no domain (no subjectAltName and no common name)");
        goto done;
    }
    int n = i2d_X509_REQ(req, NULL);
    if (n <= 0)
        goto done;
    out->der = xmalloc((size_t)n);
    unsigned char *p = out->der;
    if (i2d_X509_REQ(req, &p) != n)
        goto done;
    out->der_len = (size_t)n;
    rc = CSR_OK;
    if (errlen > 0)
        err[0] = '\0';
done:
    if (rc != CSR_OK)
        csr_info_free(out);
    X509_REQ_free(req);
    ERR_clear_error();
    return rc;
}

/* The public key of a DER CSR; NULL when it does not parse. */
EVP_PKEY *csr_public_key(const unsigned char *der, size_t len)
{
    if (!der || len == 0 || len > INT_MAX)
        return NULL;
    const unsigned char *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
    EVP_PKEY *pub = req ? X509_REQ_get_pubkey(req) : NULL;
    X509_REQ_free(req);
    ERR_clear_error();
    return pub;
}
