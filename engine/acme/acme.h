/*
 * acme — an RFC 8555 client on libcurl, OpenSSL and jansson.
 *
 * It knows nothing of PostgreSQL or FastCGI: each call performs one protocol action
 * (a few HTTP requests at most) and returns what the CA said, so the worker can store
 * it and decide what happens next. Every response is size-limited; every request has
 * a timeout; badNonce is retried a bounded number of times inside the call.
 */
#ifndef CM_ACME_H
#define CM_ACME_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ACME_MAX_RESPONSE (1024 * 1024) /* bytes of any one CA response */
/* badNonce is retried inside one call up to this many times, and for at most this long. */
#define ACME_MAX_BADNONCE_RETRIES 10
#define ACME_MAX_BADNONCE_MS 30000

enum acme_rc {
    ACME_OK = 0,
    ACME_ERR_TRANSPORT, /* connection, TLS, timeout, oversize response: retry later */
    ACME_ERR_PROBLEM,   /* the CA answered with an RFC 8555/7807 problem: see res->problem */
    ACME_ERR_PROTOCOL,  /* the CA's answer was not what RFC 8555 says: retry later, then fail */
    ACME_ERR_LOCAL,     /* our side (signing, encoding) failed */
};

struct acme_problem {
    char *type;   /* e.g. "urn:ietf:params:acme:error:rateLimited"; NULL when none */
    char *detail;
    int status;   /* HTTP status of the problem */
};

/* What one call ended with, beyond its return code. */
struct acme_result {
    int http_status;          /* last HTTP status seen, 0 when none */
    long retry_after;         /* seconds from Retry-After, -1 when absent */
    struct acme_problem problem;
    char error[256];          /* human text for transport/protocol errors */
    char *location;           /* Location header of the last response (caller may steal) */
};

struct acme_opts {
    const char *directory_url;
    const char *trust_file;   /* CA bundle for the CA's TLS; NULL: system store */
    long timeout_ms;          /* per request */
    const char *user_agent;   /* NULL: "certmill/<version>" */
};

struct acme_client;           /* one per CA per process: directory, nonce, keep-alive */

struct acme_order {
    char *url;                /* the order URL (Location of newOrder) */
    char *status;             /* pending, ready, processing, valid, invalid */
    char **authz_urls;
    size_t n_authz;
    char *finalize_url;
    char *certificate_url;    /* once valid */
    struct acme_problem error;/* order's "error" field, when invalid */
};

struct acme_challenge {
    char *type;               /* "http-01", "dns-01", "tls-alpn-01", ... */
    char *url;
    char *token;              /* checked as base64url by the parser */
    char *status;
    struct acme_problem error;
};

struct acme_authz {
    char *identifier;         /* identifier value (for a wildcard, without "*."; an address in canonical text) */
    bool ip;                  /* identifier type "ip" (RFC 8738) */
    bool wildcard;
    char *status;             /* pending, valid, invalid, deactivated, expired, revoked */
    struct acme_challenge *challenges;
    size_t n_challenges;
};

struct acme_client *acme_client_new(const struct acme_opts *opts);
void acme_client_free(struct acme_client *c);

/* Fetches the directory once (later calls reuse it). */
enum acme_rc acme_directory_load(struct acme_client *c, struct acme_result *res);

/*
 * newAccount with termsOfServiceAgreed (contact may be NULL). On success *kid is the
 * account URL. An existing account for the key is returned too (200 instead of 201).
 */
enum acme_rc acme_account_new(struct acme_client *c, EVP_PKEY *key, const char *contact, char **kid,
                              struct acme_result *res);

/* External Account Binding credentials a CA hands out (RFC 8555 §7.3.4). */
struct acme_eab {
    const char *kid;              /* the key identifier */
    const unsigned char *hmac_key; /* the MAC key, decoded from base64url */
    size_t keylen;
    const char *alg;              /* "HS256" (also for NULL), "HS384" or "HS512" */
};
/* acme_account_new with an External Account Binding when eab is not NULL. */
enum acme_rc acme_account_new_eab(struct acme_client *c, EVP_PKEY *key, const char *contact,
                                  const struct acme_eab *eab, char **kid, struct acme_result *res);

/* newOrder for DNS and IP identifiers (a wildcard name is sent as "*.example.com"; an address as type "ip"). */
enum acme_rc acme_order_new(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *const *names,
                            size_t n, struct acme_order *out, struct acme_result *res);
/* POST-as-GET the order. */
enum acme_rc acme_order_get(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                            struct acme_order *out, struct acme_result *res);
/* POST-as-GET an authorization. */
enum acme_rc acme_authz_get(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                            struct acme_authz *out, struct acme_result *res);
/* POST {} to a challenge URL: tells the CA to validate. */
enum acme_rc acme_challenge_respond(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                                    struct acme_challenge *out, struct acme_result *res);
/* POST {"csr": ...} to the finalize URL; *out is the order as returned. */
enum acme_rc acme_order_finalize(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *finalize_url,
                                 const unsigned char *csr_der, size_t csr_len, struct acme_order *out,
                                 struct acme_result *res);
/* POST-as-GET the certificate URL; *pem is the PEM chain (application/pem-certificate-chain). */
enum acme_rc acme_cert_download(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                                char **pem, struct acme_result *res);

/*
 * As acme_cert_download, then, when preferred_issuer_cn is set and the default chain's
 * top certificate is neither issued by nor named preferred_issuer_cn (exact match),
 * POST-as-GET the alternates the CA offered (Link: rel="alternate", at most
 * ACME_MAX_ALTERNATES) and keep the first that is; none matching keeps the default.
 */
#define ACME_MAX_ALTERNATES 8
enum acme_rc acme_cert_download_preferred(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                                          const char *preferred_issuer_cn, char **pem, struct acme_result *res);

/* The issuer CN of a PEM chain's last certificate (the root it chains to); false when unreadable. */
bool acme_chain_top_issuer(const char *pem, char *cn, size_t cnlen);
/* True when the chain's last certificate is issued by, or is, the CA named preferred_cn (exact match). */
bool acme_chain_matches(const char *pem, const char *preferred_cn);

/*
 * POST {"certificate": base64url(DER), "reason": n} to revokeCert, signed with the account
 * key (RFC 8555 §7.6); reason is an RFC 5280 CRLReason code. A certificate the CA had
 * revoked already ends in ACME_ERR_PROBLEM with type alreadyRevoked.
 */
enum acme_rc acme_cert_revoke(struct acme_client *c, EVP_PKEY *key, const char *kid, const unsigned char *cert_der,
                              size_t len, int reason, struct acme_result *res);
/*
 * Account deactivation (RFC 8555 §7.3.6): on ACME_OK the CA has marked the account
 * deactivated and refuses every later request signed by it.
 */
enum acme_rc acme_account_deactivate(struct acme_client *c, EVP_PKEY *key, const char *kid, struct acme_result *res);
/*
 * Account key rollover (RFC 8555 §7.3.5): on ACME_OK the account kid is bound to new_key
 * and the CA refuses requests signed with old_key.
 */
enum acme_rc acme_key_change(struct acme_client *c, EVP_PKEY *old_key, const char *kid, EVP_PKEY *new_key,
                             struct acme_result *res);
/*
 * The inner JWS of a key change (pure, for tests): protected {"alg", "jwk" of new_key,
 * "url"} without a nonce, payload {"account": kid, "oldKey": jwk of old_key}; caller frees.
 */
char *acme_key_change_inner(EVP_PKEY *old_key, const char *kid, EVP_PKEY *new_key, const char *url);

/* Parsers, separate from the transport so the fuzzers and unit tests can reach them. */
bool acme_parse_order(const char *json, size_t len, struct acme_order *out);
bool acme_parse_authz(const char *json, size_t len, struct acme_authz *out);
bool acme_parse_challenge(const char *json, size_t len, struct acme_challenge *out);
bool acme_parse_problem(const char *json, size_t len, struct acme_problem *out);

/* True when the problem type is urn:ietf:params:acme:error:<name>. */
bool acme_problem_is(const struct acme_problem *p, const char *name);

void acme_order_free(struct acme_order *o);
void acme_authz_free(struct acme_authz *a);
void acme_challenge_free(struct acme_challenge *ch);
void acme_problem_free(struct acme_problem *p);
/* Frees what res holds and resets it for the next call. */
void acme_result_clear(struct acme_result *res);
void acme_result_init(struct acme_result *res);

#endif
