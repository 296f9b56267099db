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
#include <openssl/x509.h>
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
    char **identifiers;       /* the identifier values, as the CA lists them ("*.x" for a wildcard) */
    size_t n_identifiers;
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

/*
 * Told after every HTTP exchange with the CA (for metrics): the ACME endpoint (one of a
 * fixed set: "directory", "newNonce", "newAccount", "account", "orders", "newOrder",
 * "order", "authz", "challenge", "finalize", "certificate", "revokeCert", "keyChange",
 * "renewalInfo", "other"), the result ("2xx" .. "5xx", or "timeout", "oversize",
 * "transport" when no answer came) and the seconds it took. ud is the caller's.
 */
typedef void (*acme_observer_fn)(void *ud, const char *endpoint, const char *result, double seconds);
/* Sets (fn NULL: removes) the client's observer. */
void acme_client_observe(struct acme_client *c, acme_observer_fn fn, void *ud);

/* Fetches the directory once (later calls reuse it). */
enum acme_rc acme_directory_load(struct acme_client *c, struct acme_result *res);

/* Profiles (draft-aaron-acme-profiles): the directory's meta.profiles, name -> description. */
#define ACME_MAX_PROFILES 32       /* profiles kept from one directory; more are ignored */
#define ACME_MAX_PROFILE_NAME 64   /* longer names are ignored (the API takes no longer ones) */
#define ACME_MAX_PROFILE_DESC 512  /* descriptions are cut there */
struct acme_profile {
    char *name;
    char *description;
};
/* The profiles the loaded directory offers (*out NULL and 0 when none or not loaded). */
size_t acme_directory_profiles(const struct acme_client *c, const struct acme_profile **out);
/* True when the loaded directory offers the profile name. */
bool acme_directory_has_profile(const struct acme_client *c, const char *name);
/* True when the loaded directory says newAccount needs External Account Binding (meta.externalAccountRequired). */
bool acme_directory_eab_required(const struct acme_client *c);
/* True when the loaded directory has a renewalInfo URL (RFC 9773). */
bool acme_directory_has_renewal_info(const struct acme_client *c);

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
/* What newOrder may carry besides the identifiers; NULL members are left out. */
struct acme_order_opts {
    const char *profile;  /* "profile" (draft-aaron-acme-profiles) */
    const char *replaces; /* "replaces": the ARI certificate identifier of the certificate renewed (RFC 9773 §5) */
};
/* acme_order_new with the options (opts may be NULL). */
enum acme_rc acme_order_new_opts(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *const *names,
                                 size_t n, const struct acme_order_opts *opts, struct acme_order *out,
                                 struct acme_result *res);
/*
 * The order URLs the CA lists for the account kid (RFC 8555 §7.1.2.1: the account's
 * "orders" URL, followed through its rel="next" pages; at most max URLs). *urls is the
 * caller's (free each, then the array).
 */
enum acme_rc acme_account_orders(struct acme_client *c, EVP_PKEY *key, const char *kid, size_t max, char ***urls,
                                 size_t *n, struct acme_result *res);
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

/*
 * ACME Renewal Information (RFC 9773). The certificate identifier is
 * base64url(AKI keyIdentifier) "." base64url(serial's DER INTEGER content octets).
 */
#define ACME_ARI_MAX_RESPONSE (16 * 1024)  /* bytes of a renewalInfo answer */
#define ACME_ARI_MAX_ID 512                /* characters of a certificate identifier */
#define ACME_ARI_RETRY_MIN 3600L           /* Retry-After is clamped to 1 h ... */
#define ACME_ARI_RETRY_MAX 86400L          /* ... 1 day */
#define ACME_ARI_RETRY_DEFAULT 21600L      /* 6 h when Retry-After is absent or unreadable */
struct acme_ari {
    time_t start;           /* suggestedWindow.start */
    time_t end;             /* suggestedWindow.end (>= start) */
    char *explanation_url;  /* NULL when none */
    long retry_after;       /* seconds until the next check, already clamped */
};
/* The identifier from the raw AKI keyIdentifier and serial content octets (caller frees); NULL when empty. */
char *acme_ari_cert_id_raw(const unsigned char *aki, size_t akilen, const unsigned char *serial, size_t seriallen);
/* The identifier of the first certificate of a PEM text (caller frees); NULL when unreadable or without AKI. */
char *acme_ari_cert_id(const char *pem, size_t len);
/* The identifier of a parsed certificate (caller frees); NULL without AKI keyIdentifier. */
char *acme_ari_cert_id_x509(const X509 *x);
/* Parses a renewalInfo answer (at most ACME_ARI_MAX_RESPONSE bytes); retry_after is left to the caller. */
bool acme_ari_parse(const char *json, size_t len, struct acme_ari *out);
/* Seconds until the next renewalInfo check from a Retry-After value (NULL: absent), clamped. */
long acme_ari_retry_seconds(const char *retry_after, time_t now);
/* The same from seconds already parsed (negative: none), clamped to [ACME_ARI_RETRY_MIN, ACME_ARI_RETRY_MAX]. */
long acme_ari_retry_clamp(long secs);
/*
 * Picks the renewal time: a uniformly random second in [start, end]; one already past is
 * now (RFC 9773 §4.2: renew at once). False when end is before start.
 */
bool acme_ari_pick(time_t start, time_t end, time_t now, time_t *out);
/*
 * Unauthenticated GET renewalInfo/{cert_id} (RFC 9773 §4.1). ACME_ERR_LOCAL when the
 * directory has no renewalInfo; res->retry_after is the raw Retry-After in seconds.
 */
enum acme_rc acme_ari_get(struct acme_client *c, const char *cert_id, struct acme_ari *out, struct acme_result *res);
void acme_ari_free(struct acme_ari *a);

/* Parsers, separate from the transport so the fuzzers and unit tests can reach them. */
bool acme_parse_order(const char *json, size_t len, struct acme_order *out);
bool acme_parse_authz(const char *json, size_t len, struct acme_authz *out);
bool acme_parse_challenge(const char *json, size_t len, struct acme_challenge *out);
bool acme_parse_problem(const char *json, size_t len, struct acme_problem *out);

/* An account object (RFC 8555 §7.1.2) as a CA answers newAccount or a POST to the account URL. */
#define ACME_MAX_CONTACTS 16
struct acme_account {
    char *status;       /* "valid", "deactivated" or "revoked"; NULL when the CA left it out */
    char **contacts;    /* n_contacts URLs such as mailto:... */
    size_t n_contacts;
    char *orders_url;   /* NULL when absent (Let's Encrypt leaves it out) */
    bool tos_agreed;    /* termsOfServiceAgreed, false when absent */
};
bool acme_parse_account(const char *json, size_t len, struct acme_account *out);
void acme_account_free(struct acme_account *a);

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
