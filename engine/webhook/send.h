/*
 * send — one webhook POST with libcurl, and the URL check at creation. Only http and
 * https; no redirects followed; no proxy; every address curl is about to connect is
 * checked against the netpolicy first (CURLOPT_OPENSOCKETFUNCTION), so a name that
 * resolves differently at send time (DNS rebinding) is still refused before any packet.
 */
#ifndef CM_WEBHOOK_SEND_H
#define CM_WEBHOOK_SEND_H

#include "webhook/netpolicy.h"

#include <stdbool.h>
#include <stddef.h>

#define WH_URL_MAX 2048            /* characters of a webhook URL */
#define WH_RESPONSE_MAX 65536      /* bytes of a response body read (then the rest is not) */

struct wh_send_req {
    const char *url;
    const char *msg_id;        /* webhook-id */
    long long timestamp;       /* webhook-timestamp */
    const char *signature;     /* webhook-signature */
    const char *body;
    size_t body_len;
    long timeout_ms;
    const struct wh_allow *allow;
};

struct wh_send_result {
    long code;                 /* HTTP status; 0: none */
    bool refused;              /* the destination address is not permitted: nothing was sent */
    char error[256];           /* why it was not a 2xx, for the delivery's last_error */
};

/* POSTs the body; true when the answer was 2xx. */
bool wh_send(const struct wh_send_req *req, struct wh_send_result *res);

enum wh_url_rc { WH_URL_OK = 0, WH_URL_INVALID, WH_URL_UNRESOLVED, WH_URL_REFUSED };

/* Checks a URL for a new webhook: http(s), a host, and every address it resolves to permitted. */
enum wh_url_rc wh_url_check(const char *url, const struct wh_allow *allow, char *why, size_t whylen);

#endif
