/* acme/account.c — newAccount (RFC 8555 §7.3). */
#include "acme/internal.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/jws.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The newAccount payload: terms agreed, and the contact when there is one. */
static char *acme_account_payload(const char *contact, const struct acme_eab *eab, const char *url,
                                  EVP_PKEY *key)
{
    json_t *o = json_pack("{s:b}", "termsOfServiceAgreed", 1);
    char *text = NULL;
    if (!o)
        return NULL;
    if (contact && *contact && json_object_set_new(o, "contact", json_pack("[s]", contact)) != 0)
        goto done;
    if (eab) {
        json_t *b = jws_sign_eab(eab->kid, eab->hmac_key, eab->keylen, eab->alg, url, key);
        if (!b || json_object_set_new(o, "externalAccountBinding", b) != 0)
            goto done;
    }
    text = json_dumps(o, JSON_COMPACT);
done:
    json_decref(o);
    return text;
}

/*
 * False when the account answer is unreadable or says the account is not usable
 * (deactivated or revoked). An empty body is taken as usable: the Location is the account.
 */
static bool acme_account_usable(const struct buf *body)
{
    if (body->len == 0)
        return true;
    struct acme_account a;
    if (!acme_parse_account(body->data, body->len, &a))
        return false;
    bool ok = !a.status || strcmp(a.status, "valid") == 0;
    acme_account_free(&a);
    return ok;
}

/*
 * newAccount with termsOfServiceAgreed (contact may be NULL). On success *kid is the
 * account URL. An existing account for the key is returned too (200 instead of 201).
 */
enum acme_rc acme_account_new(struct acme_client *c, EVP_PKEY *key, const char *contact, char **kid,
                              struct acme_result *res)
{
    return acme_account_new_eab(c, key, contact, NULL, kid, res);
}

/* newAccount, with the External Account Binding when eab is given. */
enum acme_rc acme_account_new_eab(struct acme_client *c, EVP_PKEY *key, const char *contact,
                                  const struct acme_eab *eab, char **kid, struct acme_result *res)
{
    struct acme_http_resp resp;
    char *payload = NULL;
    acme_http_resp_init(&resp);
    if (kid)
        *kid = NULL;
    enum acme_rc rc = acme_call_begin(c, key, c ? c->directory_url : NULL, res);
    if (rc != ACME_OK)
        return rc;
    if (!kid)
        return acme_fail(res, ACME_ERR_LOCAL, "newAccount", c->directory_url, "no place for the account URL");
    if ((rc = acme_directory_load(c, res)) != ACME_OK)
        goto done;
    if (c->dir.eab_required && !eab)
        log_warn("acme: the CA wants External Account Binding and none is configured for it");
    if (!(payload = acme_account_payload(contact, eab, c->dir.new_account, key))) {
        rc = acme_fail(res, ACME_ERR_LOCAL, "newAccount", c->dir.new_account, "could not build the payload");
        goto done;
    }
    rc = acme_post_expect(c, key, NULL, c->dir.new_account, payload, NULL, "newAccount", 201, 200, &resp, res);
    if (rc != ACME_OK)
        goto done;
    if (!resp.location || !acme_url_ok(resp.location)) {
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "newAccount", c->dir.new_account, "no account URL in Location");
        goto done;
    }
    if (!acme_account_usable(&resp.body)) {
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "newAccount", c->dir.new_account, "the account is not valid");
        goto done;
    }
    *kid = xstrdup(resp.location);
done:
    free(payload);
    acme_http_resp_free(&resp);
    return rc;
}

/* Deactivates the account (RFC 8555 §7.3.6): POST {"status": "deactivated"} to its URL, signed with its key. */
enum acme_rc acme_account_deactivate(struct acme_client *c, EVP_PKEY *key, const char *kid, struct acme_result *res)
{
    struct acme_http_resp resp;
    acme_http_resp_init(&resp);
    enum acme_rc rc = acme_kid_post(c, key, kid, kid, "{\"status\":\"deactivated\"}", NULL, "deactivate account",
                                    true, &resp, res);
    if (rc != ACME_OK)
        goto done;
    struct acme_account a;
    bool parsed = acme_parse_account(resp.body.data, resp.body.len, &a);
    /* A CA that answered 200 but kept the account valid did not do what was asked. */
    if (!parsed || !a.status || strcmp(a.status, "deactivated") != 0)
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "deactivate account", kid, "the account is not deactivated");
    if (parsed)
        acme_account_free(&a);
done:
    acme_http_resp_free(&resp);
    return rc;
}

/* Reads one page of an orders list: its URLs appended to *urls (up to max), *next the rel="next" page or NULL. */
static bool acme_orders_page(const struct acme_http_resp *resp, size_t max, char ***urls, size_t *n, char **next)
{
    json_t *root = resp->body.len ? json_loadb(resp->body.data, resp->body.len, 0, NULL) : NULL;
    json_t *list = json_object_get(root, "orders");
    bool ok = json_is_array(list);
    for (size_t i = 0; ok && i < json_array_size(list) && *n < max; i++) {
        const char *u = json_string_value(json_array_get(list, i));
        if (u && acme_url_ok(u)) {
            *urls = xrealloc(*urls, (*n + 1) * sizeof **urls);
            (*urls)[(*n)++] = xstrdup(u);
        }
    }
    json_decref(root);
    *next = NULL;
    if (ok && *n < max)
        acme_link_rel(resp->links, resp->n_links, "next", next, 1);
    return ok;
}

/* Lists the account's orders: the account object's "orders" URL, then its pages. */
enum acme_rc acme_account_orders(struct acme_client *c, EVP_PKEY *key, const char *kid, size_t max, char ***urls,
                                 size_t *n, struct acme_result *res)
{
    struct acme_http_resp resp;
    acme_http_resp_init(&resp);
    *urls = NULL;
    *n = 0;
    enum acme_rc rc = acme_kid_post(c, key, kid, kid, NULL, NULL, "account", true, &resp, res);
    char *page = NULL;
    if (rc == ACME_OK) {
        struct acme_account a;
        if (acme_parse_account(resp.body.data, resp.body.len, &a) && a.orders_url)
            page = xstrdup(a.orders_url);
        else
            rc = acme_fail(res, ACME_ERR_PROTOCOL, "account", kid, "the account has no orders URL");
        acme_account_free(&a);
    }
    /* Pages are followed while URLs are wanted, and never more than 100 (a loop of next links). */
    for (int pages = 0; rc == ACME_OK && page && pages < 100; pages++) {
        acme_http_resp_free(&resp);
        acme_http_resp_init(&resp);
        rc = acme_kid_post(c, key, kid, page, NULL, NULL, "orders", true, &resp, res);
        char *next = NULL;
        if (rc == ACME_OK && !acme_orders_page(&resp, max, urls, n, &next))
            rc = acme_fail(res, ACME_ERR_PROTOCOL, "orders", page, "the answer is not an orders list");
        free(page);
        page = next;
    }
    free(page);
    acme_http_resp_free(&resp);
    if (rc != ACME_OK) {
        for (size_t i = 0; i < *n; i++)
            free((*urls)[i]);
        free(*urls);
        *urls = NULL;
        *n = 0;
    }
    return rc;
}
