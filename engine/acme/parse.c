/*
 * acme/parse.c — reading the CA's JSON objects, defensively: the CA is a remote party,
 * so a wrong type, a missing member, an unknown status or an oversized array makes the
 * whole object invalid (false), and *out is left empty.
 */
#include "acme/internal.h"
#include "base/xalloc.h"
#include "crypto/b64.h"
#include "ident/ip.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PARSE_MAX_AUTHZ 1000     /* authorizations per order (Let's Encrypt allows 100 names) */
#define PARSE_MAX_CHALLENGES 32  /* challenges per authorization (RFC 8555 knows 3 types) */
#define PARSE_MAX_URL 2048
#define PARSE_MAX_TOKEN 256
#define PARSE_MAX_SHORT 64       /* status, challenge type, identifier type */
#define PARSE_MAX_IDENT 255      /* identifier value */
#define PARSE_MAX_TEXT 4096      /* problem type and detail */

static const char *const order_states[] = { "pending", "ready", "processing", "valid", "invalid", NULL };
static const char *const authz_states[] = { "pending", "valid", "invalid", "deactivated", "expired", "revoked", NULL };
static const char *const chall_states[] = { "pending", "processing", "valid", "invalid", NULL };
static const char *const account_states[] = { "valid", "deactivated", "revoked", NULL };

/* True when s has only printable ASCII (no controls, no spaces when nospace). */
static bool parse_printable(const char *s, bool nospace)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch >= 0x7f || (nospace && ch == ' '))
            return false;
    }
    return true;
}

/* True for an absolute https:// (or http://) URL of sane length without spaces or controls. */
bool acme_url_ok(const char *s)
{
    if (!s)
        return false;
    size_t n = strnlen(s, PARSE_MAX_URL + 1);
    size_t scheme = strncasecmp(s, "https://", 8) == 0 ? 8 : strncasecmp(s, "http://", 7) == 0 ? 7 : 0;
    return scheme && n > scheme && n <= PARSE_MAX_URL && parse_printable(s, true);
}

/* Loads text as a JSON object; NULL when it is not one. */
static json_t *parse_load(const char *json, size_t len)
{
    if (!json || len == 0 || len > ACME_MAX_RESPONSE)
        return NULL;
    json_error_t err;
    /* Duplicate members are refused: two readers could otherwise see two different objects. */
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/*
 * Copies the string member key of o into *out. Absent: true only when !required.
 * Present: must be a string of 1..maxlen printable characters without NULs.
 */
static bool parse_str(json_t *o, const char *key, bool required, size_t maxlen, bool nospace, char **out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return !required;
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > maxlen || strlen(s) != n || !parse_printable(s, nospace))
        return false;
    *out = xstrdup(s);
    return true;
}

/* Copies the URL member key of o into *out (see parse_str for absent members). */
static bool parse_url(json_t *o, const char *key, bool required, char **out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return !required;
    if (!json_is_string(v) || !acme_url_ok(json_string_value(v)) || strlen(json_string_value(v)) != json_string_length(v))
        return false;
    *out = xstrdup(json_string_value(v));
    return true;
}

/* Copies the required "status" member of o into *out when it is one of the allowed states. */
static bool parse_status(json_t *o, const char *const *allowed, char **out)
{
    const char *s = json_string_value(json_object_get(o, "status"));
    if (!s)
        return false;
    for (; *allowed; allowed++) {
        if (strcmp(s, *allowed) == 0) {
            *out = xstrdup(s);
            return true;
        }
    }
    return false;
}

/* Reads a problem object (RFC 7807); type, detail and status are each optional. */
static bool parse_problem_obj(json_t *o, struct acme_problem *p)
{
    if (!json_is_object(o))
        return false;
    if (!parse_str(o, "type", false, PARSE_MAX_TEXT, true, &p->type))
        return false;
    /* A detail is prose for humans: kept when it is a string, cut to a bounded length. */
    json_t *d = json_object_get(o, "detail");
    if (d && !json_is_string(d))
        return false;
    if (d)
        p->detail = xstrndup(json_string_value(d), PARSE_MAX_TEXT);
    json_t *st = json_object_get(o, "status");
    if (st) {
        if (!json_is_integer(st) || json_integer_value(st) < 100 || json_integer_value(st) > 599)
            return false;
        p->status = (int)json_integer_value(st);
    }
    return true;
}

/* Reads an optional "error" member (a problem) of o into p. */
static bool parse_error_member(json_t *o, struct acme_problem *p)
{
    json_t *e = json_object_get(o, "error");
    return !e || parse_problem_obj(e, p);
}

/* True when a challenge of this type must carry a token (RFC 8555 §8.3, §8.4, RFC 8737). */
static bool parse_needs_token(const char *type)
{
    return strcmp(type, "http-01") == 0 || strcmp(type, "dns-01") == 0 || strcmp(type, "tls-alpn-01") == 0;
}

/* Reads one challenge object; its token, when present, must be base64url of at most 256 characters. */
static bool parse_challenge_obj(json_t *o, struct acme_challenge *ch)
{
    if (!json_is_object(o))
        return false;
    if (!parse_str(o, "type", true, PARSE_MAX_SHORT, true, &ch->type) || !parse_url(o, "url", true, &ch->url) ||
        !parse_status(o, chall_states, &ch->status) || !parse_error_member(o, &ch->error))
        return false;
    json_t *tok = json_object_get(o, "token");
    if (!tok)
        return !parse_needs_token(ch->type);
    /* The token ends up in a URL path, a DNS record and a file name: only base64url passes. */
    if (!json_is_string(tok) || !b64url_valid(json_string_value(tok), PARSE_MAX_TOKEN) ||
        strlen(json_string_value(tok)) != json_string_length(tok))
        return false;
    ch->token = xstrdup(json_string_value(tok));
    return true;
}

/* Reads the identifier and wildcard members of an authorization. */
static bool parse_identifier(json_t *o, struct acme_authz *a)
{
    json_t *id = json_object_get(o, "identifier");
    char *type = NULL;
    bool ok = json_is_object(id) && parse_str(id, "type", true, PARSE_MAX_SHORT, true, &type) &&
              parse_str(id, "value", true, PARSE_MAX_IDENT, true, &a->identifier);
    if (ok && strcmp(type, "ip") == 0) {
        /* Stored in the form the order has it, so the authorization row matches the order's name. */
        struct ip_addr ip;
        ok = ip_normalize(a->identifier, strlen(a->identifier), &ip) == IP_OK;
        if (ok) {
            free(a->identifier);
            a->identifier = xstrdup(ip.text);
            a->ip = true;
        }
    }
    free(type);
    if (!ok)
        return false;
    json_t *w = json_object_get(o, "wildcard");
    if (w && !json_is_boolean(w))
        return false;
    a->wildcard = json_is_true(w);
    return true;
}

/* Reads an order object; url stays NULL (it comes from Location, not from the body). */
bool acme_parse_order(const char *json, size_t len, struct acme_order *out)
{
    if (!out)
        return false;
    memset(out, 0, sizeof *out);
    json_t *root = parse_load(json, len);
    bool ok = false;
    if (!root || !parse_status(root, order_states, &out->status) || !parse_url(root, "finalize", true, &out->finalize_url) ||
        !parse_url(root, "certificate", false, &out->certificate_url) || !parse_error_member(root, &out->error))
        goto done;
    /* A valid order without its certificate URL is of no use and not what RFC 8555 says. */
    if (strcmp(out->status, "valid") == 0 && !out->certificate_url)
        goto done;
    json_t *az = json_object_get(root, "authorizations");
    if (!json_is_array(az) || json_array_size(az) > PARSE_MAX_AUTHZ)
        goto done;
    size_t n = json_array_size(az);
    out->authz_urls = xcalloc(n ? n : 1, sizeof *out->authz_urls);
    for (size_t i = 0; i < n; i++) {
        const char *u = json_string_value(json_array_get(az, i));
        if (!u || !acme_url_ok(u))
            goto done;
        out->authz_urls[i] = xstrdup(u);
        out->n_authz++;
    }
    /* The identifiers: what certmill compares when it looks for an order it lost (never trusted further). */
    json_t *ids = json_object_get(root, "identifiers");
    if (json_is_array(ids) && json_array_size(ids) <= PARSE_MAX_AUTHZ) {
        out->identifiers = xcalloc(json_array_size(ids) + 1, sizeof *out->identifiers);
        for (size_t i = 0; i < json_array_size(ids); i++) {
            const char *v = json_string_value(json_object_get(json_array_get(ids, i), "value"));
            if (v && strlen(v) <= 300)
                out->identifiers[out->n_identifiers++] = xstrdup(v);
        }
    }
    ok = true;
done:
    json_decref(root);
    if (!ok)
        acme_order_free(out);
    return ok;
}

/* Reads an authorization object with all its challenges. */
bool acme_parse_authz(const char *json, size_t len, struct acme_authz *out)
{
    if (!out)
        return false;
    memset(out, 0, sizeof *out);
    json_t *root = parse_load(json, len);
    bool ok = false;
    if (!root || !parse_identifier(root, out) || !parse_status(root, authz_states, &out->status))
        goto done;
    json_t *chs = json_object_get(root, "challenges");
    if (!json_is_array(chs) || json_array_size(chs) > PARSE_MAX_CHALLENGES)
        goto done;
    size_t n = json_array_size(chs);
    out->challenges = xcalloc(n ? n : 1, sizeof *out->challenges);
    for (size_t i = 0; i < n; i++) {
        /* Counted first so that acme_authz_free also frees a half-read challenge. */
        out->n_challenges++;
        if (!parse_challenge_obj(json_array_get(chs, i), &out->challenges[i]))
            goto done;
    }
    ok = true;
done:
    json_decref(root);
    if (!ok)
        acme_authz_free(out);
    return ok;
}

/* Reads a challenge object. */
bool acme_parse_challenge(const char *json, size_t len, struct acme_challenge *out)
{
    if (!out)
        return false;
    memset(out, 0, sizeof *out);
    json_t *root = parse_load(json, len);
    bool ok = root && parse_challenge_obj(root, out);
    json_decref(root);
    if (!ok)
        acme_challenge_free(out);
    return ok;
}

/* Reads a problem document (RFC 7807 / RFC 9457). */
bool acme_parse_problem(const char *json, size_t len, struct acme_problem *out)
{
    if (!out)
        return false;
    memset(out, 0, sizeof *out);
    json_t *root = parse_load(json, len);
    bool ok = root && parse_problem_obj(root, out);
    json_decref(root);
    if (!ok)
        acme_problem_free(out);
    return ok;
}

/* Reads the contact array of an account: at most ACME_MAX_CONTACTS printable strings without spaces. */
static bool parse_contacts(json_t *o, struct acme_account *a)
{
    json_t *arr = json_object_get(o, "contact");
    if (!arr)
        return true;
    if (!json_is_array(arr) || json_array_size(arr) > ACME_MAX_CONTACTS)
        return false;
    a->contacts = xcalloc(json_array_size(arr) ? json_array_size(arr) : 1, sizeof *a->contacts);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        if (!s || json_string_length(v) == 0 || json_string_length(v) > PARSE_MAX_URL || strlen(s) != json_string_length(v) ||
            !parse_printable(s, true))
            return false;
        a->contacts[a->n_contacts++] = xstrdup(s);
    }
    return true;
}

/*
 * Reads an account object. status is optional here (RFC 8555 requires it, but an
 * account answer without one has always been taken as usable), and when present must
 * be one of the three account states; orders is a URL when present.
 */
bool acme_parse_account(const char *json, size_t len, struct acme_account *out)
{
    if (!out)
        return false;
    memset(out, 0, sizeof *out);
    json_t *root = parse_load(json, len);
    bool ok = root != NULL;
    json_t *tos = ok ? json_object_get(root, "termsOfServiceAgreed") : NULL;
    if (ok && json_object_get(root, "status"))
        ok = parse_status(root, account_states, &out->status);
    ok = ok && parse_contacts(root, out) && parse_url(root, "orders", false, &out->orders_url);
    if (ok && tos) {
        ok = json_is_boolean(tos);
        out->tos_agreed = json_is_true(tos);
    }
    json_decref(root);
    if (!ok)
        acme_account_free(out);
    return ok;
}

/* Frees an account's strings and empties it. */
void acme_account_free(struct acme_account *a)
{
    if (!a)
        return;
    free(a->status);
    for (size_t i = 0; i < a->n_contacts; i++)
        free(a->contacts[i]);
    free(a->contacts);
    free(a->orders_url);
    memset(a, 0, sizeof *a);
}

/* Frees an order's strings and empties it. */
void acme_order_free(struct acme_order *o)
{
    if (!o)
        return;
    free(o->url);
    free(o->status);
    for (size_t i = 0; i < o->n_authz; i++)
        free(o->authz_urls[i]);
    free(o->authz_urls);
    for (size_t i = 0; i < o->n_identifiers; i++)
        free(o->identifiers[i]);
    free(o->identifiers);
    free(o->finalize_url);
    free(o->certificate_url);
    acme_problem_free(&o->error);
    memset(o, 0, sizeof *o);
}

/* Frees a challenge's strings and empties it. */
void acme_challenge_free(struct acme_challenge *ch)
{
    if (!ch)
        return;
    free(ch->type);
    free(ch->url);
    free(ch->token);
    free(ch->status);
    acme_problem_free(&ch->error);
    memset(ch, 0, sizeof *ch);
}

/* Frees an authorization, its challenges, and empties it. */
void acme_authz_free(struct acme_authz *a)
{
    if (!a)
        return;
    free(a->identifier);
    free(a->status);
    for (size_t i = 0; i < a->n_challenges; i++)
        acme_challenge_free(&a->challenges[i]);
    free(a->challenges);
    memset(a, 0, sizeof *a);
}
