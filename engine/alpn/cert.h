/*
 * alpn/cert — the TLS-ALPN-01 challenge certificate (RFC 8737 §3): self-signed, for
 * exactly one dNSName (the name the CA validates) or, for an IP identifier, exactly one
 * iPAddress (RFC 8738 §6), carrying the critical
 * acmeIdentifier extension whose value is the SHA-256 of the key authorization.
 */
#ifndef CM_ALPN_CERT_H
#define CM_ALPN_CERT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* id-pe-acmeIdentifier (RFC 8737 §6.1); OpenSSL 3.0 has no NID for it. */
#define ALPN_ACME_IDENTIFIER_OID "1.3.6.1.5.5.7.1.31"
/* The ALPN protocol of the challenge (RFC 8737 §6.2), without its length byte. */
#define ALPN_ACME_TLS_1 "acme-tls/1"
/* Validity of a challenge certificate: long enough for any clock skew, useless after. */
#define ALPN_CERT_BACKDATE_S 3600
#define ALPN_CERT_LIFETIME_S 86400

/*
 * Builds the challenge certificate for name (a normalised DNS name, or an IP address
 * in canonical text, ident/ip.h) and
 * key_authorization ("token.thumbprint"), signed with key, whose public half it
 * certifies. A pure function: no global state is touched. NULL on failure (logged).
 */
X509 *alpn_cert_build(const char *name, const char *key_authorization, EVP_PKEY *key);

#endif
