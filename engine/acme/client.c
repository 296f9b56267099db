/* acme/client.c — creating and freeing the per-CA client. */
#include "acme/internal.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef CERTMILL_VERSION
#define CERTMILL_VERSION "0.1"
#endif

/* Makes a client for one CA; NULL (logged) when the options are unusable or libcurl fails. */
struct acme_client *acme_client_new(const struct acme_opts *opts)
{
    if (!opts || !acme_url_ok(opts->directory_url)) {
        log_error("acme: no usable directory URL");
        return NULL;
    }
    /* Reference-counted, and thread-safe in libcurl >= 7.84. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("acme: libcurl initialisation failed");
        return NULL;
    }
    struct acme_client *c = xcalloc(1, sizeof *c);
    c->directory_url = xstrdup(opts->directory_url);
    c->trust_file = opts->trust_file ? xstrdup(opts->trust_file) : NULL;
    c->user_agent = opts->user_agent ? xstrdup(opts->user_agent) : xstrdup("certmill/" CERTMILL_VERSION);
    c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    /* Plain HTTP only for a plain-HTTP directory: a test double on loopback, never a real CA. */
    c->allow_http = strncasecmp(opts->directory_url, "http://", 7) == 0;
    c->curl = curl_easy_init();
    if (!c->curl || !acme_http_setup(c)) {
        log_error("acme: libcurl handle set-up failed");
        acme_client_free(c);
        return NULL;
    }
    return c;
}

/* Sets the observer told of every exchange. */
void acme_client_observe(struct acme_client *c, acme_observer_fn fn, void *ud)
{
    c->observer = fn;
    c->observer_ud = ud;
}

/* Frees the client, its connection and what it kept (directory, nonce). */
void acme_client_free(struct acme_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    acme_dir_clear(&c->dir);
    free(c->nonce);
    free(c->directory_url);
    free(c->trust_file);
    free(c->user_agent);
    free(c);
    curl_global_cleanup();
}
