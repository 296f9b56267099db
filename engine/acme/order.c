/* acme/order.c — newOrder, order polling and finalize (RFC 8555 §7.4). */
#include "acme/internal.h"
#include "base/xalloc.h"
#include "crypto/b64.h"
#include "ident/ident.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The newOrder payload: one identifier per name, "ip" for an address (RFC 8738 §3), else "dns"; then
 * profile and replaces when given. */
char *acme_order_payload(const char *const *names, size_t n, const struct acme_order_opts *opts)
{
    json_t *ids = json_array();
    char *text = NULL;
    for (size_t i = 0; ids && i < n; i++) {
        if (!names[i] ||
            json_array_append_new(ids, json_pack("{s:s, s:s}", "type", ident_acme_type(names[i]), "value", names[i])) != 0)
            goto done;
    }
    json_t *o = json_pack("{s:O}", "identifiers", ids);
    if (o && opts && opts->profile && json_object_set_new(o, "profile", json_string(opts->profile)) != 0)
        goto fail;
    if (o && opts && opts->replaces && json_object_set_new(o, "replaces", json_string(opts->replaces)) != 0)
        goto fail;
    if (o)
        text = json_dumps(o, JSON_COMPACT);
fail:
    json_decref(o);
done:
    json_decref(ids);
    return text;
}

/* Reads an order from a response body into out; ACME_ERR_PROTOCOL when it is not one. */
static enum acme_rc acme_order_read(const struct acme_http_resp *resp, const char *what, const char *url,
                                    struct acme_order *out, struct acme_result *res)
{
    if (!acme_parse_order(resp->body.data, resp->body.len, out))
        return acme_fail(res, ACME_ERR_PROTOCOL, what, url, "the answer is not a valid order object");
    return ACME_OK;
}

/* newOrder for DNS and IP identifiers (a wildcard name is sent as "*.example.com"). */
enum acme_rc acme_order_new(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *const *names,
                            size_t n, struct acme_order *out, struct acme_result *res)
{
    return acme_order_new_opts(c, key, kid, names, n, NULL, out, res);
}

/* newOrder with a profile and/or the certificate it replaces. */
enum acme_rc acme_order_new_opts(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *const *names,
                                 size_t n, const struct acme_order_opts *opts, struct acme_order *out,
                                 struct acme_result *res)
{
    struct acme_http_resp resp;
    char *payload = NULL;
    acme_http_resp_init(&resp);
    if (out)
        memset(out, 0, sizeof *out);
    enum acme_rc rc = acme_call_begin(c, key, c ? c->directory_url : NULL, res);
    if (rc != ACME_OK)
        return rc;
    if (!out || !kid || !names || n == 0)
        return acme_fail(res, ACME_ERR_LOCAL, "newOrder", c->directory_url, "no account, output or names");
    if ((rc = acme_directory_load(c, res)) != ACME_OK)
        goto done;
    if (!(payload = acme_order_payload(names, n, opts))) {
        rc = acme_fail(res, ACME_ERR_LOCAL, "newOrder", c->dir.new_order, "could not build the payload");
        goto done;
    }
    rc = acme_post_expect(c, key, kid, c->dir.new_order, payload, NULL, "newOrder", 201, 0, &resp, res);
    if (rc != ACME_OK)
        goto done;
    /* Without its URL the order can be neither resumed nor polled: nothing else matters. */
    if (!resp.location || !acme_url_ok(resp.location)) {
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "newOrder", c->dir.new_order, "no order URL in Location");
        goto done;
    }
    if ((rc = acme_order_read(&resp, "newOrder", c->dir.new_order, out, res)) != ACME_OK)
        goto done;
    out->url = xstrdup(resp.location);
done:
    free(payload);
    acme_http_resp_free(&resp);
    return rc;
}

/* POST-as-GET the order. */
enum acme_rc acme_order_get(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                            struct acme_order *out, struct acme_result *res)
{
    struct acme_http_resp resp;
    acme_http_resp_init(&resp);
    if (out)
        memset(out, 0, sizeof *out);
    enum acme_rc rc = acme_kid_post(c, key, kid, url, NULL, NULL, "order", out != NULL, &resp, res);
    if (rc == ACME_OK && (rc = acme_order_read(&resp, "order", url, out, res)) == ACME_OK)
        out->url = xstrdup(url);
    acme_http_resp_free(&resp);
    return rc;
}

/* POST {"csr": ...} to the finalize URL; *out is the order as returned. */
enum acme_rc acme_order_finalize(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *finalize_url,
                                 const unsigned char *csr_der, size_t csr_len, struct acme_order *out,
                                 struct acme_result *res)
{
    struct acme_http_resp resp;
    char *csr64 = NULL, *payload = NULL;
    json_t *o = NULL;
    acme_http_resp_init(&resp);
    if (out)
        memset(out, 0, sizeof *out);
    enum acme_rc rc = acme_call_begin(c, key, finalize_url, res);
    if (rc != ACME_OK)
        return rc;
    if (!out || !kid || !csr_der || csr_len == 0)
        return acme_fail(res, ACME_ERR_LOCAL, "finalize", finalize_url, "no account, CSR or output");
    csr64 = b64url_encode(csr_der, csr_len);
    o = json_pack("{s:s}", "csr", csr64);
    if (!o || !(payload = json_dumps(o, JSON_COMPACT))) {
        rc = acme_fail(res, ACME_ERR_LOCAL, "finalize", finalize_url, "could not build the payload");
        goto done;
    }
    rc = acme_post_expect(c, key, kid, finalize_url, payload, NULL, "finalize", 200, 0, &resp, res);
    if (rc != ACME_OK)
        goto done;
    if ((rc = acme_order_read(&resp, "finalize", finalize_url, out, res)) != ACME_OK)
        goto done;
    /* RFC 8555 §7.4 does not promise a Location here; the caller knows the order URL anyway. */
    if (resp.location && acme_url_ok(resp.location))
        out->url = xstrdup(resp.location);
done:
    json_decref(o);
    free(csr64);
    free(payload);
    acme_http_resp_free(&resp);
    return rc;
}
