/*
 * acme/internal.h — what the files of engine/acme/ share with each other (and with the
 * unit tests). Not part of the contract: code outside engine/acme/ uses acme/acme.h.
 */
#ifndef CM_ACME_INTERNAL_H
#define CM_ACME_INTERNAL_H

#include "acme/acme.h"
#include "base/buf.h"

#include <curl/curl.h>

#define ACME_MAX_LINKS 16                   /* Link headers kept from one response */
#define ACME_RETRY_AFTER_MAX (7L * 86400L)  /* longest Retry-After we pass on, seconds */
#define ACME_NONCE_MAX 512                  /* longest Replay-Nonce we accept */

/* The CA's directory (RFC 8555 §7.1.1). */
struct acme_dir {
    bool loaded;
    char *new_nonce;
    char *new_account;
    char *new_order;
    char *revoke_cert;  /* optional ones are NULL when the CA does not offer them */
    char *key_change;
    char *renewal_info;
    char *terms_of_service;
    bool eab_required;
    struct acme_profile *profiles; /* meta.profiles, at most ACME_MAX_PROFILES; NULL when none */
    size_t n_profiles;
};

struct acme_client {
    char *directory_url;
    char *trust_file;
    char *user_agent;
    long timeout_ms;
    bool allow_http;    /* only when the directory itself is http:// (local test doubles) */
    CURL *curl;         /* one easy handle, reused, so the connection is kept alive */
    char curl_err[CURL_ERROR_SIZE];
    struct acme_dir dir;
    char *nonce;        /* from the last response, unused yet; NULL when none */
    acme_observer_fn observer; /* told of every exchange (metrics); NULL: none */
    void *observer_ud;
    const char *endpoint; /* the signed call under way ("newOrder", ...), for the observer; NULL: none */
};

/* One HTTP exchange as the transport saw it. */
struct acme_http_resp {
    long status;
    struct buf body;    /* limited to ACME_MAX_RESPONSE */
    bool oversize;      /* the body passed the limit and the transfer was cut */
    char *location;     /* absolute (resolved against the request URL) */
    char *nonce;        /* Replay-Nonce */
    char *content_type;
    char *retry_after_raw;
    long retry_after;   /* seconds, -1 when absent or unreadable */
    char *links[ACME_MAX_LINKS]; /* raw Link header values */
    size_t n_links;
};

enum acme_method { ACME_GET, ACME_HEAD, ACME_POST };

/* http.c */
void acme_http_resp_init(struct acme_http_resp *r);
void acme_http_resp_free(struct acme_http_resp *r);
bool acme_http_setup(struct acme_client *c);
enum acme_rc acme_http_request(struct acme_client *c, enum acme_method m, const char *url, const char *body,
                               const char *accept, struct acme_http_resp *resp, struct acme_result *res);
/* Seconds to wait from a Retry-After value (delta-seconds or HTTP-date) at time now; -1 if unreadable. */
long acme_retry_after_parse(const char *value, time_t now);
/* True when the Content-Type value names mime (parameters and case ignored). */
bool acme_http_type_is(const char *content_type, const char *mime);

/* nonce.c */
void acme_nonce_keep(struct acme_client *c, const char *nonce);
enum acme_rc acme_nonce_take(struct acme_client *c, char **nonce, struct acme_result *res);

/* directory.c */
void acme_dir_clear(struct acme_dir *d);
/* Reads a directory object into d; false (d cleared) when a required URL is missing or a member is bad. */
bool acme_dir_parse(const char *text, size_t len, struct acme_dir *d);

/* order.c */
/* The newOrder payload: one DNS identifier per name, and the options (opts may be NULL); caller frees. */
char *acme_order_payload(const char *const *names, size_t n, const struct acme_order_opts *opts);

/* post.c */
enum acme_rc acme_post(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url, const char *payload,
                       const char *accept, struct acme_http_resp *resp, struct acme_result *res);
/* acme_post, then ACME_OK only for HTTP status ok1 or ok2 (0: none), else acme_response_error(). */
enum acme_rc acme_post_expect(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                              const char *payload, const char *accept, const char *what, long ok1, long ok2,
                              struct acme_http_resp *resp, struct acme_result *res);
/* Checks the arguments every signed call needs and clears res; ACME_ERR_LOCAL when one is missing. */
enum acme_rc acme_call_begin(struct acme_client *c, EVP_PKEY *key, const char *url, struct acme_result *res);
/* acme_call_begin, then a kid-signed POST of payload (NULL: POST-as-GET) to url expecting 200. */
enum acme_rc acme_kid_post(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                           const char *payload, const char *accept, const char *what, bool have_out,
                           struct acme_http_resp *resp, struct acme_result *res);

/* problem.c */
enum acme_rc acme_fail(struct acme_result *res, enum acme_rc rc, const char *what, const char *url,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
enum acme_rc acme_response_error(const struct acme_http_resp *resp, const char *what, const char *url,
                                 struct acme_result *res);
void acme_result_take_response(struct acme_result *res, const struct acme_http_resp *resp);

/* chain.c */
/* URLs of Link: <url>;rel="alternate" in raw Link values, at most max (fresh strings); returns how many. */
size_t acme_link_alternates(char *const *links, size_t n_links, char **out, size_t max);
/* The same for any relation (e.g. "next" of a paged list). */
size_t acme_link_rel(char *const *links, size_t n_links, const char *rel, char **out, size_t max);

/* parse.c */
/* True for an absolute https:// (or http://) URL of sane length without spaces or controls. */
bool acme_url_ok(const char *s);

#endif
