/* cert — reading what the CA issued: split the chain, serial, validity, names. */
#ifndef CM_CERT_H
#define CM_CERT_H

#include <openssl/evp.h>
#include <openssl/x509.h>
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
    X509 *leaf;          /* the leaf, parsed: further checks need not parse it again */
};

/*
 * Parses a PEM chain as the CA sends it; false when there is no certificate in it. The
 * issuers are the same for thousands of certificates: a thread keeps the last chain it
 * read, and a chain of the same text is taken from there without parsing it again.
 */
bool cert_parse_chain(const char *pem, size_t len, struct cert_info *out);
/* True when the parsed leaf's public key is key's. */
bool cert_info_matches_key(const struct cert_info *ci, EVP_PKEY *key);
/* Forgets the chain this thread kept (at the thread's or the program's end). */
void cert_chain_forget(void);
/* The DER of the first certificate of a PEM text (caller frees *der); false when there is none. */
bool cert_leaf_der(const char *pem, unsigned char **der, size_t *len);
void cert_info_free(struct cert_info *ci);

#endif
