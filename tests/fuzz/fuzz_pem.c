/*
 * fuzz_pem — PEM from outside: a customer's CSR (POST /v1/orders "csr") and the
 * certificate chain a CA sends back (parsed before it is stored), and the ARI
 * identifier computed from a leaf.
 */
#include "fuzz_common.h"

#include "acme/acme.h"
#include "crypto/cert.h"
#include "crypto/csr.h"

#include <stdlib.h>

/* Reads the input as a CSR and as a chain. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *pem = (const char *)data;
    char err[256];
    struct csr_info csr;
    (void)csr_parse(pem, size, &csr, err, sizeof err);
    csr_info_free(&csr);
    struct cert_info ci;
    if (cert_parse_chain(pem, size, &ci))
        cert_info_free(&ci);
    free(acme_ari_cert_id(pem, size));
    return 0;
}
