/* csr — PKCS#10 certificate signing requests: made for an order's names, or checked when a customer sends one. */
#ifndef CM_CSR_H
#define CM_CSR_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#define CSR_MAX_PEM 16384 /* bytes of a customer's PEM CSR */

/*
 * DER CSR with every DNS name as a dNSName SAN and every IP address (canonical text,
 * ident/ip.h) as an iPAddress SAN; the first DNS name is also the CN when it fits (an
 * address never is). Caller frees *der.
 */
bool csr_make(EVP_PKEY *key, const char *const *names, size_t n, unsigned char **der, size_t *derlen);

/* What csr_parse found. */
enum csr_rc {
    CSR_OK = 0,
    CSR_INVALID,         /* not one PEM CERTIFICATE REQUEST, a bad self-signature, or a name neither DNS nor IP */
    CSR_KEY_UNSUPPORTED, /* a key other than ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096 */
};

/* A checked customer CSR. */
struct csr_info {
    unsigned char *der; /* the request as DER, to send to the CA */
    size_t der_len;
    char **names;       /* dNSName SANs as written (not normalised) and iPAddress SANs as text, then the CN
                           when it is not among them */
    size_t n_names;
    int key_type;       /* enum key_type */
};

/*
 * Parses a PEM "CERTIFICATE REQUEST", verifies its self-signature and reads its names
 * and key type; on failure err says why (safe to show) and out is empty.
 */
enum csr_rc csr_parse(const char *pem, size_t len, struct csr_info *out, char *err, size_t errlen);
void csr_info_free(struct csr_info *ci);
/* The public key of a DER CSR (to compare with the issued leaf); NULL when it does not parse. */
EVP_PKEY *csr_public_key(const unsigned char *der, size_t len);

#endif
