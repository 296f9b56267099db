/* acme/directory.c — the CA's directory: where newNonce, newAccount, newOrder... live. */
#include "acme/internal.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Copies the URL member name of the directory into *out; false when required and missing or bad. */
static bool acme_dir_url(json_t *d, const char *name, bool required, char **out)
{
    json_t *v = json_object_get(d, name);
    if (!v)
        return !required;
    if (!json_is_string(v) || !acme_url_ok(json_string_value(v)))
        return false;
    *out = xstrdup(json_string_value(v));
    return true;
}

/* True for a profile name we keep: 1..ACME_MAX_PROFILE_NAME printable ASCII characters, no space. */
static bool acme_profile_name_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= ACME_MAX_PROFILE_NAME || s[n] <= 0x20 || s[n] >= 0x7f)
            return false;
    return n > 0;
}

/*
 * Keeps meta.profiles (object name -> description string). A CA's odd entry (bad name,
 * non-string description, past the count limit) is skipped, never the whole directory:
 * the directory is needed for every request, a profile only by the orders that name it.
 */
static void acme_dir_profiles(json_t *profiles, struct acme_dir *d)
{
    if (!json_is_object(profiles))
        return;
    size_t total = json_object_size(profiles);
    if (total == 0)
        return;
    d->profiles = xcalloc(total < ACME_MAX_PROFILES ? total : ACME_MAX_PROFILES, sizeof *d->profiles);
    const char *name;
    json_t *v;
    json_object_foreach(profiles, name, v) {
        if (d->n_profiles == ACME_MAX_PROFILES) {
            log_warn("acme: the directory offers more than %d profiles; the rest are ignored", ACME_MAX_PROFILES);
            break;
        }
        if (!acme_profile_name_ok(name) || !json_is_string(v))
            continue;
        struct acme_profile *p = &d->profiles[d->n_profiles++];
        p->name = xstrdup(name);
        p->description = xstrndup(json_string_value(v), ACME_MAX_PROFILE_DESC);
        /* A cut inside a UTF-8 sequence would make the text invalid for JSON later. */
        size_t n = strlen(p->description);
        if (n == ACME_MAX_PROFILE_DESC) {
            while (n > 0 && ((unsigned char)p->description[n - 1] & 0xC0) == 0x80)
                n--;
            if (n > 0 && ((unsigned char)p->description[n - 1] & 0x80))
                n--; /* the lead byte of the cut sequence */
            p->description[n] = '\0';
        }
    }
}

/* Frees the directory's URLs and marks it not loaded. */
void acme_dir_clear(struct acme_dir *d)
{
    for (size_t i = 0; i < d->n_profiles; i++) {
        free(d->profiles[i].name);
        free(d->profiles[i].description);
    }
    free(d->profiles);
    free(d->new_nonce);
    free(d->new_account);
    free(d->new_order);
    free(d->revoke_cert);
    free(d->key_change);
    free(d->renewal_info);
    free(d->terms_of_service);
    memset(d, 0, sizeof *d);
}

/* Reads the directory object; false when a required URL is missing or a member has the wrong type. */
bool acme_dir_parse(const char *text, size_t len, struct acme_dir *d)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    bool ok = false;
    if (!json_is_object(root))
        goto done;
    if (!acme_dir_url(root, "newNonce", true, &d->new_nonce) || !acme_dir_url(root, "newAccount", true, &d->new_account) ||
        !acme_dir_url(root, "newOrder", true, &d->new_order) ||
        !acme_dir_url(root, "revokeCert", false, &d->revoke_cert) ||
        !acme_dir_url(root, "keyChange", false, &d->key_change) ||
        !acme_dir_url(root, "renewalInfo", false, &d->renewal_info))
        goto done;
    json_t *meta = json_object_get(root, "meta");
    if (meta) {
        if (!json_is_object(meta))
            goto done;
        json_t *tos = json_object_get(meta, "termsOfService");
        if (json_is_string(tos))
            d->terms_of_service = xstrdup(json_string_value(tos));
        d->eab_required = json_is_true(json_object_get(meta, "externalAccountRequired"));
        acme_dir_profiles(json_object_get(meta, "profiles"), d);
    }
    d->loaded = true;
    ok = true;
done:
    json_decref(root);
    if (!ok)
        acme_dir_clear(d);
    return ok;
}

/* Fetches the directory once (later calls reuse it). */
enum acme_rc acme_directory_load(struct acme_client *c, struct acme_result *res)
{
    if (!c || !res)
        return ACME_ERR_LOCAL;
    if (c->dir.loaded)
        return ACME_OK;
    struct acme_http_resp resp;
    acme_http_resp_init(&resp);
    enum acme_rc rc = acme_http_request(c, ACME_GET, c->directory_url, NULL, "application/json", &resp, res);
    if (rc != ACME_OK)
        goto done;
    if (resp.status != 200) {
        rc = acme_response_error(&resp, "directory", c->directory_url, res);
        goto done;
    }
    if (!acme_dir_parse(resp.body.data, resp.body.len, &c->dir)) {
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "directory", c->directory_url,
                       "not an ACME directory (newNonce, newAccount, newOrder)");
        goto done;
    }
    if (c->dir.eab_required)
        log_info("acme: the CA at %s requires External Account Binding", c->directory_url);
done:
    acme_http_resp_free(&resp);
    return rc;
}

/* The profiles the loaded directory offers. */
size_t acme_directory_profiles(const struct acme_client *c, const struct acme_profile **out)
{
    *out = NULL;
    if (!c || !c->dir.loaded || c->dir.n_profiles == 0)
        return 0;
    *out = c->dir.profiles;
    return c->dir.n_profiles;
}

/* True when the loaded directory offers the profile. */
bool acme_directory_has_profile(const struct acme_client *c, const char *name)
{
    const struct acme_profile *p;
    size_t n = acme_directory_profiles(c, &p);
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(p[i].name, name) == 0)
            return true;
    return false;
}

/* True when the loaded directory has renewalInfo. */
bool acme_directory_has_renewal_info(const struct acme_client *c)
{
    return c && c->dir.loaded && c->dir.renewal_info;
}

/* True when the loaded directory says newAccount needs External Account Binding. */
bool acme_directory_eab_required(const struct acme_client *c)
{
    return c && c->dir.loaded && c->dir.eab_required;
}
