/* powerdns — the "powerdns" provider: the PowerDNS Authoritative HTTP API (/api/v1). */
#include "provider_impl.h"

#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PDNS_MAX_RESPONSE (4 * 1024 * 1024) /* a zone's JSON can be large; still bounded */
#define PDNS_TIMEOUT_MS 15000L

/* curl write callback into a bounded buffer; refusing more ends the transfer. */
static size_t pdns_write(char *p, size_t size, size_t n, void *arg)
{
    return buf_append(arg, p, size * n) ? size * n : 0;
}

/* One API request: method, path under the server, optional JSON body. Returns the HTTP status (0: none). */
static long pdns_request(const struct provider *p, const char *method, const char *path, const char *body,
                         struct buf *out, char *err, size_t errlen)
{
    const char *base = json_string_value(json_object_get(p->config, "api_url"));
    const char *key = json_string_value(json_object_get(p->secret, "api_key"));
    if (!base || !key) {
        snprintf(err, errlen, "the powerdns provider lacks api_url or api_key");
        return 0;
    }
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    char *url = xasprintf("%.*s%s", (int)blen, base, path);
    char *hdr = xasprintf("X-API-Key: %s", key);
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, hdr);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json");
    buf_reset(out);
    long status = 0;
    if (c && h) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, PDNS_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, pdns_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
        if (body)
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        CURLcode rc = curl_easy_perform(c);
        if (rc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        else if (rc == CURLE_WRITE_ERROR)
            snprintf(err, errlen, "PowerDNS API %s %s: the answer is larger than %d bytes", method, path,
                     PDNS_MAX_RESPONSE);
        else
            snprintf(err, errlen, "PowerDNS API %s %s: %s", method, path, curl_easy_strerror(rc));
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    xfree_secret(hdr, strlen(hdr));
    free(url);
    return status;
}

/* Asks for one zone: 1 found (*zone_json set), 0 not a zone of this server, -1 failed (err says why). */
static int pdns_zone_get(const struct provider *p, const char *server, const char *zone, struct buf *out,
                         json_t **zone_json, char *err, size_t errlen)
{
    char *path = xasprintf("/api/v1/servers/%s/zones/%s.", server, zone);
    long st = pdns_request(p, "GET", path, NULL, out, err, errlen);
    int ret = -1;
    if (st == 200) {
        *zone_json = json_loadb(out->data ? out->data : "", out->len, 0, NULL);
        if (json_is_object(*zone_json))
            ret = 1;
        else
            snprintf(err, errlen, "PowerDNS API GET %s: the answer is not a JSON object", path);
    } else if (st == 404 || st == 422) {
        ret = 0; /* 404 "Not Found" (4.2 and later), 422 "Could not find domain" (older servers) */
    } else if (st == 401 || st == 403) {
        snprintf(err, errlen, "the PowerDNS API refused the API key (HTTP %ld)", st);
    } else if (st != 0) {
        char safe[200];
        snprintf(err, errlen, "PowerDNS API GET %s: HTTP %ld %s", path, st,
                 log_safe(safe, sizeof safe, out->data ? out->data : ""));
    }
    free(path);
    return ret;
}

/* Finds the zone holding name: the zone certmill found (hint) first, else walking up its labels. */
static char *pdns_zone_find(const struct provider *p, const char *server, const char *name, const char *hint,
                            json_t **zone_json, char *err, size_t errlen)
{
    struct buf out;
    buf_init(&out, PDNS_MAX_RESPONSE);
    char *found = NULL;
    int rc = 0;
    size_t nlen = strlen(name), hlen = hint ? strlen(hint) : 0;
    while (hlen && hint[hlen - 1] == '.')
        hlen--;
    /* The hint counts only when name is the zone or below it. */
    bool use_hint = hlen && nlen >= hlen && strncasecmp(name + nlen - hlen, hint, hlen) == 0 &&
                    (nlen == hlen || name[nlen - hlen - 1] == '.');
    if (use_hint) {
        char *zone = xasprintf("%.*s", (int)hlen, hint);
        if ((rc = pdns_zone_get(p, server, zone, &out, zone_json, err, errlen)) == 1)
            found = xasprintf("%s.", zone);
        free(zone);
    }
    for (const char *cand = name; rc == 0 && cand && *cand; cand = strchr(cand, '.') ? strchr(cand, '.') + 1 : NULL) {
        if (!strchr(cand, '.'))
            break; /* never a TLD */
        if (use_hint && strlen(cand) == hlen)
            continue; /* the hint: asked already (each candidate is a suffix of name) */
        if ((rc = pdns_zone_get(p, server, cand, &out, zone_json, err, errlen)) == 1)
            found = xasprintf("%s.", cand);
    }
    if (!found && rc == 0)
        snprintf(err, errlen, "no PowerDNS zone holds %s (server_id \"%s\")", name, server);
    buf_free(&out);
    return found;
}

/* Collects the TXT contents PowerDNS has at owner (a name with the final dot). */
static json_t *pdns_txt_records(const json_t *zone, const char *owner)
{
    json_t *records = json_array();
    size_t i;
    json_t *rr;
    json_array_foreach(json_object_get(zone, "rrsets"), i, rr)
    {
        const char *n = json_string_value(json_object_get(rr, "name"));
        const char *t = json_string_value(json_object_get(rr, "type"));
        if (!n || !t || strcasecmp(n, owner) != 0 || strcmp(t, "TXT") != 0)
            continue;
        size_t j;
        json_t *rec;
        json_array_foreach(json_object_get(rr, "records"), j, rec)
        {
            const char *content = json_string_value(json_object_get(rec, "content"));
            if (content)
                json_array_append_new(records, json_pack("{s:s,s:b}", "content", content, "disabled", 0));
        }
    }
    return records;
}

/* Adds or removes the value in the name's TXT RRset (REPLACE with the merged set, DELETE when empty). */
bool provider_powerdns_update(const struct provider *p, const struct provider_record *r, bool add, char *err,
                              size_t errlen)
{
    const char *server = json_string_value(json_object_get(p->config, "server_id"));
    if (!server)
        server = "localhost";
    err[0] = '\0';
    /* The API wants absolute names: exactly one final dot. */
    size_t nlen = strlen(r->name);
    while (nlen && r->name[nlen - 1] == '.')
        nlen--;
    char *name = xasprintf("%.*s", (int)nlen, r->name);
    json_t *zone = NULL;
    char *zname = pdns_zone_find(p, server, name, r->zone, &zone, err, errlen);
    if (!zname || !zone) {
        free(zname);
        json_decref(zone);
        if (!*err)
            snprintf(err, errlen, "cannot read the PowerDNS zone of %s", name);
        free(name);
        return false;
    }
    char *owner = xasprintf("%s.", name);
    char *content = xasprintf("\"%s\"", r->value); /* TXT content is a quoted character-string */
    json_t *records = pdns_txt_records(zone, owner);
    /* Drop our value (present again below when adding): no duplicates, and removal is exact. */
    for (size_t i = json_array_size(records); i-- > 0;)
        if (strcmp(json_string_value(json_object_get(json_array_get(records, i), "content")), content) == 0)
            json_array_remove(records, i);
    if (add)
        json_array_append_new(records, json_pack("{s:s,s:b}", "content", content, "disabled", 0));
    json_t *rrset = json_pack("{s:s,s:s,s:i,s:s,s:o}", "name", owner, "type", "TXT", "ttl", r->ttl > 0 ? r->ttl : 60,
                              "changetype", json_array_size(records) ? "REPLACE" : "DELETE", "records", records);
    json_t *patch = json_pack("{s:[o]}", "rrsets", rrset);
    char *body = json_dumps(patch, JSON_COMPACT);
    char *path = xasprintf("/api/v1/servers/%s/zones/%s", server, zname);
    struct buf out;
    buf_init(&out, PDNS_MAX_RESPONSE);
    long st = pdns_request(p, "PATCH", path, body, &out, err, errlen);
    bool ok = st == 204 || st == 200;
    if (!ok && st) {
        char safe[200];
        snprintf(err, errlen, "PowerDNS API PATCH zone %s: HTTP %ld %s", zname, st,
                 log_safe(safe, sizeof safe, out.data ? out.data : ""));
    }
    buf_free(&out);
    free(path);
    free(body);
    json_decref(patch);
    json_decref(zone);
    free(content);
    free(owner);
    free(zname);
    free(name);
    return ok;
}
