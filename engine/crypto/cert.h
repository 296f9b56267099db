/* cert — reading what the CA issued: split the chain, serial, validity, names. */
#ifndef CM_CERT_H
#define CM_CERT_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct cert_info {
    char *leaf_pem;      /* first certificate of the chain */
    char *chain_pem;     /* the rest (issuers), possibly "" */
    char *fullchain_pem; /* leaf + chain, normalised */
    char *serial;        /* lowercase hex, no leading zeros */
    time_t not_before;
    time_t not_after;
    char **names;        /* dNSName and iPAddress SANs (as canonical text, ident/ip.h), in SAN order */
    size_t n_names;
};

/* Parses a PEM chain as the CA sends it; false when there is no certificate in it. */
bool cert_parse_chain(const char *pem, size_t len, struct cert_info *out);
/* True when the leaf's public key is key's. */
bool cert_matches_key(const char *leaf_pem, EVP_PKEY *key);
/* The DER of the first certificate of a PEM text (caller frees *der); false when there is none. */
bool cert_leaf_der(const char *pem, unsigned char **der, size_t *len);
void cert_info_free(struct cert_info *ci);

#endif
