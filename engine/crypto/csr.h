/* csr — PKCS#10 certificate signing requests for an order's names. */
#ifndef CM_CSR_H
#define CM_CSR_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

/* DER CSR with every name as a dNSName SAN (first also as CN when it fits); caller frees *der. */
bool csr_make(EVP_PKEY *key, const char *const *names, size_t n, unsigned char **der, size_t *derlen);

#endif
