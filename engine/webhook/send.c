/* send — webhook POSTs through libcurl with the destination checked on the connected address. */
#include "webhook/send.h"

#include <curl/curl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <unistd.h>

/* What the callbacks of one transfer share. */
struct wh_xfer {
    const struct wh_allow *allow;
    bool refused;
    char refused_addr[64];
    enum wh_addr_class refused_class;
    size_t got;               /* response bytes read */
};

/* Called by curl before each connection: refuses (no socket, so nothing is sent) an address not permitted. */
static curl_socket_t wh_opensocket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
    struct wh_xfer *x = clientp;
    (void)purpose;
    if (!wh_addr_permitted(x->allow, &address->addr)) {
        x->refused = true;
        x->refused_class = wh_addr_classify(&address->addr);
        wh_addr_text(&address->addr, x->refused_addr, sizeof x->refused_addr);
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype, address->protocol);
}

/* Reads the response body up to WH_RESPONSE_MAX bytes; beyond that the transfer stops. */
static size_t wh_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct wh_xfer *x = userdata;
    (void)ptr;
    size_t n = size * nmemb;
    x->got += n;
    return x->got > WH_RESPONSE_MAX ? 0 : n;
}

/* One POST; the result says what happened. */
bool wh_send(const struct wh_send_req *req, struct wh_send_result *res)
{
    memset(res, 0, sizeof *res);
    struct wh_xfer x = { .allow = req->allow };
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(res->error, sizeof res->error, "cannot start a transfer");
        return false;
    }
    char h_id[160], h_ts[64], *h_sig = NULL;
    snprintf(h_id, sizeof h_id, "webhook-id: %s", req->msg_id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", req->timestamp);
    size_t siglen = strlen(req->signature) + 32;
    h_sig = malloc(siglen);
    if (!h_sig) {
        curl_easy_cleanup(c);
        snprintf(res->error, sizeof res->error, "out of memory");
        return false;
    }
    snprintf(h_sig, siglen, "webhook-signature: %s", req->signature);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, h_id);
    h = curl_slist_append(h, h_ts);
    h = curl_slist_append(h, h_sig);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "certmill-webhooks/1");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, wh_opensocket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, wh_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    res->code = code;
    bool ok = false;
    if (x.refused) {
        res->refused = true;
        res->code = 0;
        snprintf(res->error, sizeof res->error, "destination %s is a %s address: not allowed ([webhooks] "
                 "allow_destinations)", x.refused_addr, wh_addr_class_name(x.refused_class));
    } else if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && code >= 200 && code < 300)) {
        /* A 2xx whose body ran past the limit is still the acknowledgement. */
        snprintf(res->error, sizeof res->error, "%s", curl_easy_strerror(rc));
    } else if (code >= 200 && code < 300) {
        ok = true;
    } else {
        snprintf(res->error, sizeof res->error, "HTTP %ld%s", code,
                 code >= 300 && code < 400 ? " (redirects are not followed)" : "");
    }
    curl_slist_free_all(h);
    free(h_sig);
    curl_easy_cleanup(c);
    return ok;
}

/* Parses the URL with curl's parser and resolves its host (getaddrinfo) to check every address. */
enum wh_url_rc wh_url_check(const char *url, const struct wh_allow *allow, char *why, size_t whylen)
{
    enum wh_url_rc out = WH_URL_INVALID;
    char *scheme = NULL, *host = NULL;
    CURLU *u = curl_url();
    if (!u || strlen(url) > WH_URL_MAX || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
        snprintf(why, whylen, "url must be an absolute http or https URL with a host");
        goto done;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        snprintf(why, whylen, "url must use http or https");
        goto done;
    }
    /* curl gives an IPv6 literal in brackets; getaddrinfo wants it bare. */
    char name[300];
    size_t hl = strlen(host);
    if (hl >= sizeof name) {
        snprintf(why, whylen, "url's host is too long");
        goto done;
    }
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']')
        snprintf(name, sizeof name, "%.*s", (int)(hl - 2), host + 1);
    else
        snprintf(name, sizeof name, "%s", host);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    if (getaddrinfo(name, NULL, &hints, &ai) != 0 || !ai) {
        snprintf(why, whylen, "url's host %.200s does not resolve", name);
        out = WH_URL_UNRESOLVED;
        goto done;
    }
    out = WH_URL_OK;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        if (!wh_addr_permitted(allow, a->ai_addr)) {
            char t[64];
            snprintf(why, whylen, "url's host %.200s resolves to %s, a %s address; the operator's configuration "
                     "does not allow it", name, wh_addr_text(a->ai_addr, t, sizeof t),
                     wh_addr_class_name(wh_addr_classify(a->ai_addr)));
            out = WH_URL_REFUSED;
            break;
        }
    }
    freeaddrinfo(ai);
done:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return out;
}
