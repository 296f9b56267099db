/* acme/post.c — the signed POST (RFC 8555 §6.2) with its bounded badNonce retry. */
#include "acme/internal.h"
#include "base/clock.h"
#include "base/log.h"
#include "crypto/jws.h"

#include <stdlib.h>
#include <time.h>

/* Checks the arguments every signed call needs and clears res; ACME_ERR_LOCAL when one is missing. */
enum acme_rc acme_call_begin(struct acme_client *c, EVP_PKEY *key, const char *url, struct acme_result *res)
{
    if (!res)
        return ACME_ERR_LOCAL;
    acme_result_clear(res);
    if (!c || !key)
        return acme_fail(res, ACME_ERR_LOCAL, "call", url ? url : "-", "no client or no key");
    if (!url)
        return acme_fail(res, ACME_ERR_LOCAL, "call", "-", "no URL");
    return ACME_OK;
}

/*
 * One request signed by an account (kid) that expects 200: the common opening of the calls
 * on an existing account. payload NULL is a POST-as-GET; accept NULL takes any type;
 * have_out false (the caller has nowhere to put the answer) is a local error.
 */
enum acme_rc acme_kid_post(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                           const char *payload, const char *accept, const char *what, bool have_out,
                           struct acme_http_resp *resp, struct acme_result *res)
{
    enum acme_rc rc = acme_call_begin(c, key, url, res);
    if (rc != ACME_OK)
        return rc;
    if (!have_out || !kid)
        return acme_fail(res, ACME_ERR_LOCAL, what, url, "no account or no output");
    return acme_post_expect(c, key, kid, url, payload, accept, what, 200, 0, resp, res);
}

/* True when a response is the CA's badNonce problem (RFC 8555 §6.5), which a new nonce cures. */
static bool acme_is_bad_nonce(const struct acme_http_resp *resp)
{
    if (resp->status != 400 || resp->body.len == 0)
        return false;
    struct acme_problem p;
    bool bad = acme_parse_problem(resp->body.data, resp->body.len, &p) && acme_problem_is(&p, "badNonce");
    acme_problem_free(&p);
    return bad;
}

/*
 * Signs payload for url and posts it. A badNonce answer is retried with the nonce that
 * came with it, at most ACME_MAX_BADNONCE_RETRIES times and ACME_MAX_BADNONCE_MS long:
 * the CA may reject any nonce (Pebble rejects 5% on purpose) and RFC 8555 §6.5 makes
 * that the client's to retry, but a CA rejecting every nonce must not hold a worker.
 * ACME_OK means a response below 400 is in resp; the caller judges its status.
 */
enum acme_rc acme_post(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url, const char *payload,
                       const char *accept, struct acme_http_resp *resp, struct acme_result *res)
{
    enum acme_rc rc = acme_directory_load(c, res);
    long long deadline = clock_now_ms() + ACME_MAX_BADNONCE_MS;
    for (int attempt = 0; rc == ACME_OK; attempt++) {
        char *nonce = NULL;
        rc = acme_nonce_take(c, &nonce, res);
        if (rc != ACME_OK)
            break;
        char *jws = jws_sign(key, kid, nonce, url, payload);
        free(nonce);
        if (!jws) {
            rc = acme_fail(res, ACME_ERR_LOCAL, "sign", url, "could not sign the request");
            break;
        }
        rc = acme_http_request(c, ACME_POST, url, jws, accept, resp, res);
        free(jws);
        if (rc != ACME_OK)
            break;
        if (resp->status < 400) {
            acme_result_take_response(res, resp);
            break;
        }
        if (acme_is_bad_nonce(resp) && attempt < ACME_MAX_BADNONCE_RETRIES && clock_now_ms() < deadline) {
            char safe_url[160];
            log_debug("acme: POST %s: badNonce, retrying (%d of %d)", log_safe(safe_url, sizeof safe_url, url),
                      attempt + 1, ACME_MAX_BADNONCE_RETRIES);
            continue;
        }
        rc = acme_response_error(resp, "POST", url, res);
    }
    return rc;
}

/* acme_post, then ACME_OK only for HTTP status ok1 or ok2 (0: none), else acme_response_error(). */
enum acme_rc acme_post_expect(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                              const char *payload, const char *accept, const char *what, long ok1, long ok2,
                              struct acme_http_resp *resp, struct acme_result *res)
{
    /* Names the call for the observer; the directory and nonce requests under it are told apart by URL. */
    c->endpoint = what;
    enum acme_rc rc = acme_post(c, key, kid, url, payload, accept, resp, res);
    c->endpoint = NULL;
    if (rc != ACME_OK)
        return rc;
    if (resp->status != ok1 && (ok2 == 0 || resp->status != ok2))
        return acme_response_error(resp, what, url, res);
    return ACME_OK;
}
