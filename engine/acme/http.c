/* acme/http.c — the libcurl transport: one reusable handle, bounded responses, the headers ACME needs. */
#include "acme/internal.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define ACME_HEADER_VALUE_MAX 8192 /* longest header value we keep */

/* Starts an empty response. */
void acme_http_resp_init(struct acme_http_resp *r)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->body, ACME_MAX_RESPONSE);
    r->retry_after = -1;
}

/* Forgets the captured headers (a new status line starts a new header block). */
static void acme_http_headers_clear(struct acme_http_resp *r)
{
    free(r->location);
    free(r->nonce);
    free(r->content_type);
    free(r->retry_after_raw);
    for (size_t i = 0; i < r->n_links; i++)
        free(r->links[i]);
    r->location = r->nonce = r->content_type = r->retry_after_raw = NULL;
    r->n_links = 0;
}

/* Frees what a response holds and makes it empty again. */
void acme_http_resp_free(struct acme_http_resp *r)
{
    acme_http_headers_clear(r);
    buf_free(&r->body);
    acme_http_resp_init(r);
}

/* curl write callback: appends to the body, and cuts the transfer when it passes the limit. */
static size_t acme_http_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct acme_http_resp *r = ud;
    size_t n = size * nmemb;
    if (!buf_append(&r->body, ptr, n)) {
        r->oversize = true;
        return 0; /* anything but n makes curl abort with CURLE_WRITE_ERROR */
    }
    return n;
}

/* Replaces *slot with a copy of the value. */
static void acme_http_set(char **slot, const char *v, size_t n)
{
    free(*slot);
    *slot = xstrndup(v, n);
}

/* curl header callback: keeps Location, Replay-Nonce, Retry-After, Link and Content-Type. */
static size_t acme_http_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct acme_http_resp *r = ud;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        /* Headers of an interim (1xx) response must not leak into the final one. */
        acme_http_headers_clear(r);
        return n;
    }
    const char *colon = memchr(ptr, ':', n);
    if (!colon)
        return n;
    size_t namelen = (size_t)(colon - ptr);
    const char *v = colon + 1, *end = ptr + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);
    if (vlen > ACME_HEADER_VALUE_MAX || memchr(v, '\0', vlen))
        return n; /* not something a CA would send: ignore rather than trust it */
#define ACME_HDR_IS(s) (namelen == sizeof(s) - 1 && strncasecmp(ptr, s, namelen) == 0)
    if (ACME_HDR_IS("Location"))
        acme_http_set(&r->location, v, vlen);
    else if (ACME_HDR_IS("Replay-Nonce"))
        acme_http_set(&r->nonce, v, vlen);
    else if (ACME_HDR_IS("Content-Type"))
        acme_http_set(&r->content_type, v, vlen);
    else if (ACME_HDR_IS("Retry-After"))
        acme_http_set(&r->retry_after_raw, v, vlen);
    else if (ACME_HDR_IS("Link") && r->n_links < ACME_MAX_LINKS)
        r->links[r->n_links++] = xstrndup(v, vlen);
#undef ACME_HDR_IS
    return n;
}

/* Seconds to wait from a Retry-After value (delta-seconds or HTTP-date) at time now; -1 if unreadable. */
long acme_retry_after_parse(const char *value, time_t now)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (!*value)
        return -1;
    if (isdigit((unsigned char)*value)) {
        long secs = 0;
        const char *p = value;
        for (; isdigit((unsigned char)*p); p++) {
            secs = secs * 10 + (*p - '0');
            if (secs > ACME_RETRY_AFTER_MAX)
                secs = ACME_RETRY_AFTER_MAX; /* stays there: no overflow however long the number */
        }
        while (*p == ' ' || *p == '\t')
            p++;
        return *p ? -1 : secs;
    }
    /* RFC 9110 HTTP-date; curl_getdate also reads the obsolete RFC 850 and asctime forms. */
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1)
        return -1;
    if (t <= now)
        return 0;
    if (t - now > ACME_RETRY_AFTER_MAX)
        return ACME_RETRY_AFTER_MAX;
    return (long)(t - now);
}

/* True when the Content-Type value names mime (parameters and case ignored). */
bool acme_http_type_is(const char *content_type, const char *mime)
{
    if (!content_type || !mime)
        return false;
    size_t n = strlen(mime);
    if (strncasecmp(content_type, mime, n) != 0)
        return false;
    char next = content_type[n];
    return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

/* Makes a Location absolute: kept verbatim when it already is, else resolved against the request URL. */
static char *acme_http_resolve(const char *base, const char *ref)
{
    if (strncasecmp(ref, "https://", 8) == 0 || strncasecmp(ref, "http://", 7) == 0)
        return xstrdup(ref);
    CURLU *u = curl_url();
    char *s = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
        out = xstrdup(s);
    curl_free(s);
    curl_url_cleanup(u);
    return out;
}

/*
 * Each connection to the CA closes with a reset (SO_LINGER 0): a request abandoned at its
 * timeout leaves no bytes in the kernel's send queue to reach the CA later, after another
 * worker has taken the step over (worker/ca.c keeps the timeout under the lease).
 */
static int acme_http_sockopt(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
    (void)clientp;
    if (purpose == CURLSOCKTYPE_IPCXN) {
        struct linger l = { .l_onoff = 1, .l_linger = 0 };
        if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0)
            return CURL_SOCKOPT_ERROR;
    }
    return CURL_SOCKOPT_OK;
}

/* Sets the options every request shares; false when libcurl refuses one. */
bool acme_http_setup(struct acme_client *c)
{
    CURL *h = c->curl;
    long timeout = c->timeout_ms > 0 ? c->timeout_ms : 30000;
    long connect = timeout < 10000 ? timeout : 10000;
    bool ok = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, acme_http_write) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, acme_http_header) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
              /* The CA's URLs are followed only over HTTP(S): never file://, gopher://, ... */
              curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->allow_http ? "https,http" : "https") == CURLE_OK &&
              /* Redirects are not part of ACME, and would make Location ambiguous. */
              curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ACME_MAX_RESPONSE) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, acme_http_sockopt) == CURLE_OK;
    if (ok && c->trust_file)
        ok = curl_easy_setopt(h, CURLOPT_CAINFO, c->trust_file) == CURLE_OK;
    return ok;
}

/* Sets the per-request method and body. */
static bool acme_http_method(CURL *h, enum acme_method m, const char *body)
{
    switch (m) {
    case ACME_HEAD:
        return curl_easy_setopt(h, CURLOPT_NOBODY, 1L) == CURLE_OK;
    case ACME_POST:
        return curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
               curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body)) == CURLE_OK &&
               curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) == CURLE_OK;
    case ACME_GET:
    default:
        return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    }
}

/* The endpoint an exchange belongs to, from a fixed set (the observer's label values stay bounded). */
static const char *acme_http_endpoint(const struct acme_client *c, enum acme_method m, const char *url)
{
    static const char *const named[] = { "newAccount", "account", "orders", "newOrder", "order", "authz",
                                         "challenge", "finalize", "certificate", "revokeCert", "keyChange" };
    /* By URL first: a signed call fetches the directory and a nonce on its way. */
    if (c->directory_url && strcmp(url, c->directory_url) == 0)
        return "directory";
    if (m == ACME_HEAD || (c->dir.new_nonce && strcmp(url, c->dir.new_nonce) == 0))
        return "newNonce";
    if (c->dir.renewal_info && strncmp(url, c->dir.renewal_info, strlen(c->dir.renewal_info)) == 0)
        return "renewalInfo";
    if (c->endpoint) {
        if (strcmp(c->endpoint, "deactivate account") == 0)
            return "account";
        for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
            if (strcmp(c->endpoint, named[i]) == 0)
                return named[i];
    }
    return "other";
}

/* Tells the observer how an exchange went. */
static void acme_http_observe(const struct acme_client *c, enum acme_method m, const char *url, CURLcode cc,
                              const struct acme_http_resp *resp, const struct timespec *t0)
{
    if (!c->observer)
        return;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
    static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
    const char *result;
    if (resp->oversize || cc == CURLE_FILESIZE_EXCEEDED)
        result = "oversize";
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        result = "timeout";
    else if (cc != CURLE_OK || resp->status < 100 || resp->status > 599)
        result = "transport";
    else
        result = classes[resp->status / 100 - 1];
    c->observer(c->observer_ud, acme_http_endpoint(c, m, url), result, secs);
}

/*
 * Performs one request. ACME_OK means an HTTP response arrived (any status: the caller
 * judges it); ACME_ERR_TRANSPORT for connection, TLS, timeout or oversize.
 */
enum acme_rc acme_http_request(struct acme_client *c, enum acme_method m, const char *url, const char *body,
                               const char *accept, struct acme_http_resp *resp, struct acme_result *res)
{
    static const char *const method_names[] = { "GET", "HEAD", "POST" };
    const char *mname = method_names[m];
    struct curl_slist *hdrs = NULL, *tmp = NULL;
    char *accept_hdr = NULL;
    enum acme_rc rc = ACME_ERR_LOCAL;
    acme_http_resp_free(resp);
    if (!acme_url_ok(url) || (!c->allow_http && strncmp(url, "https://", 8) != 0))
        return acme_fail(res, ACME_ERR_PROTOCOL, mname, url, "refusing to request this URL");
    if (m == ACME_POST && !body)
        return acme_fail(res, ACME_ERR_LOCAL, mname, url, "no body to post");
    /* "Expect:" stops curl from waiting for a 100 Continue on larger bodies. */
    const char *fixed = m == ACME_POST ? "Content-Type: application/jose+json" : "Expect:";
    if (!(tmp = curl_slist_append(hdrs, fixed)))
        goto local;
    hdrs = tmp;
    if (m == ACME_POST) {
        if (!(tmp = curl_slist_append(hdrs, "Expect:")))
            goto local;
        hdrs = tmp;
    }
    if (accept) {
        accept_hdr = xasprintf("Accept: %s", accept);
        if (!(tmp = curl_slist_append(hdrs, accept_hdr)))
            goto local;
        hdrs = tmp;
    }
    if (curl_easy_setopt(c->curl, CURLOPT_URL, url) != CURLE_OK || !acme_http_method(c->curl, m, body) ||
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
        curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, resp) != CURLE_OK ||
        curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, resp) != CURLE_OK)
        goto local;
    c->curl_err[0] = '\0';
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CURLcode cc = curl_easy_perform(c->curl);
    /* The list is freed below: the handle must not keep pointing at it. */
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    /* Also after a cut transfer: the status tells the caller what kind of answer it was. */
    if (curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status) != CURLE_OK)
        resp->status = 0;
    res->http_status = (int)resp->status;
    acme_http_observe(c, m, url, cc, resp, &t0);
    if (resp->oversize || cc == CURLE_FILESIZE_EXCEEDED) {
        rc = acme_fail(res, ACME_ERR_TRANSPORT, mname, url, "response larger than %d bytes", ACME_MAX_RESPONSE);
        goto done;
    }
    if (cc != CURLE_OK) {
        rc = acme_fail(res, ACME_ERR_TRANSPORT, mname, url, "%s", c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc));
        goto done;
    }
    if (resp->location) {
        char *abs = acme_http_resolve(url, resp->location);
        free(resp->location);
        resp->location = abs;
    }
    resp->retry_after = acme_retry_after_parse(resp->retry_after_raw, time(NULL));
    /* Every response may carry a fresh nonce; keeping it saves a newNonce round trip. */
    if (resp->nonce)
        acme_nonce_keep(c, resp->nonce);
    char safe_url[160];
    log_debug("acme: %s %s -> %ld (%zu bytes)", mname, log_safe(safe_url, sizeof safe_url, url), resp->status,
              resp->body.len);
    rc = ACME_OK;
    goto done;
local:
    rc = acme_fail(res, ACME_ERR_LOCAL, mname, url, "could not set up the request");
done:
    curl_slist_free_all(hdrs);
    free(accept_hdr);
    return rc;
}
