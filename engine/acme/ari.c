/*
 * acme/ari.c — ACME Renewal Information (RFC 9773): the certificate identifier, the
 * renewalInfo answer (suggested window, explanation, Retry-After), the renewal time.
 */
#include "acme/internal.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/b64.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* base64url(aki) "." base64url(serial); NULL when a part is empty or the result too long. */
char *acme_ari_cert_id_raw(const unsigned char *aki, size_t akilen, const unsigned char *serial, size_t seriallen)
{
    if (!aki || akilen == 0 || !serial || seriallen == 0)
        return NULL;
    char *a = b64url_encode(aki, akilen);
    char *s = b64url_encode(serial, seriallen);
    char *out = a && s ? xasprintf("%s.%s", a, s) : NULL;
    free(a);
    free(s);
    if (out && strlen(out) > ACME_ARI_MAX_ID) {
        free(out);
        out = NULL;
    }
    return out;
}

/*
 * The content octets of the serial's DER INTEGER: what RFC 9773 §4.1 names, including
 * the leading 00 that DER puts before a serial whose top bit is set.
 */
static bool acme_ari_serial(const X509 *x, unsigned char **out, size_t *len)
{
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    unsigned char *der = NULL;
    int n = sn ? i2d_ASN1_INTEGER(sn, &der) : -1;
    if (n <= 0)
        return false;
    const unsigned char *p = der;
    long clen = 0;
    int tag = 0, cls = 0;
    int r = ASN1_get_object(&p, &clen, &tag, &cls, n);
    bool ok = !(r & 0x80) && tag == V_ASN1_INTEGER && cls == V_ASN1_UNIVERSAL && clen > 0 && p + clen == der + n;
    if (ok) {
        *out = xmalloc((size_t)clen);
        memcpy(*out, p, (size_t)clen);
        *len = (size_t)clen;
    }
    OPENSSL_free(der);
    return ok;
}

/* The identifier of the first certificate of a PEM text. */
char *acme_ari_cert_id(const char *pem, size_t len)
{
    if (!pem || len == 0 || len > INT32_MAX)
        return NULL;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    char *id = x ? acme_ari_cert_id_x509(x) : NULL;
    X509_free(x);
    return id;
}

/* The identifier of a parsed certificate: base64url(AKI keyIdentifier) "." base64url(serial). */
char *acme_ari_cert_id_x509(const X509 *x)
{
    char *id = NULL;
    unsigned char *serial = NULL;
    size_t slen = 0;
    /* Only keyIdentifier counts: a certificate without it (or without AKI) has no ARI identifier. */
    const ASN1_OCTET_STRING *kid = X509_get0_authority_key_id((X509 *)x);
    if (kid && acme_ari_serial(x, &serial, &slen))
        id = acme_ari_cert_id_raw(ASN1_STRING_get0_data(kid), (size_t)ASN1_STRING_length(kid), serial, slen);
    free(serial);
    return id;
}

/* Reads n decimal digits at s; -1 when one is not a digit. */
static int acme_ari_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Parses an RFC 3339 date-time (fractions ignored, any offset) into *out. */
static bool acme_ari_time(const char *s, time_t *out)
{
    if (!s || strlen(s) < 20 || strlen(s) > 40)
        return false;
    int year = acme_ari_digits(s, 4), mon = acme_ari_digits(s + 5, 2), day = acme_ari_digits(s + 8, 2);
    int hour = acme_ari_digits(s + 11, 2), min = acme_ari_digits(s + 14, 2), sec = acme_ari_digits(s + 17, 2);
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return false;
    if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || min < 0 || min > 59 ||
        sec < 0 || sec > 60)
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh = acme_ari_digits(p + 1, 2), om = p[1] && p[2] && p[3] == ':' ? acme_ari_digits(p + 4, 2) : -1;
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return false;
        offset = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    struct tm tm = { 0 };
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    *out = t - offset;
    return true;
}

/* Frees what the answer holds. */
void acme_ari_free(struct acme_ari *a)
{
    if (!a)
        return;
    free(a->explanation_url);
    memset(a, 0, sizeof *a);
}

/* Reads {"suggestedWindow": {"start", "end"}, "explanationURL"?}; false when the window is missing or bad. */
bool acme_ari_parse(const char *json, size_t len, struct acme_ari *out)
{
    memset(out, 0, sizeof *out);
    out->retry_after = ACME_ARI_RETRY_DEFAULT;
    if (!json || len == 0 || len > ACME_ARI_MAX_RESPONSE)
        return false;
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *win = json_object_get(root, "suggestedWindow");
    bool ok = json_is_object(root) && json_is_object(win) &&
              acme_ari_time(json_string_value(json_object_get(win, "start")), &out->start) &&
              acme_ari_time(json_string_value(json_object_get(win, "end")), &out->end) && out->end >= out->start;
    if (ok) {
        /* Only informational: a bad one is dropped, the window still counts. */
        const char *url = json_string_value(json_object_get(root, "explanationURL"));
        if (url && acme_url_ok(url))
            out->explanation_url = xstrdup(url);
    } else {
        out->start = out->end = 0;
    }
    json_decref(root);
    return ok;
}

/* Clamps a wait in seconds to [ACME_ARI_RETRY_MIN, ACME_ARI_RETRY_MAX]; negative (none) is the default. */
long acme_ari_retry_clamp(long secs)
{
    if (secs < 0)
        return ACME_ARI_RETRY_DEFAULT;
    if (secs < ACME_ARI_RETRY_MIN)
        return ACME_ARI_RETRY_MIN;
    return secs > ACME_ARI_RETRY_MAX ? ACME_ARI_RETRY_MAX : secs;
}

/* Seconds until the next check from a Retry-After value: too soon or too late is clamped. */
long acme_ari_retry_seconds(const char *retry_after, time_t now)
{
    return acme_ari_retry_clamp(acme_retry_after_parse(retry_after, now));
}

/* A uniformly random second in the window (rejection sampling: no modulo bias), not before now. */
bool acme_ari_pick(time_t start, time_t end, time_t now, time_t *out)
{
    if (end < start)
        return false;
    uint64_t span = (uint64_t)(end - start);
    uint64_t r = 0;
    if (span > 0) {
        uint64_t limit = UINT64_MAX - UINT64_MAX % span;
        do {
            if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
                return false;
        } while (r >= limit);
        r %= span;
    }
    time_t t = start + (time_t)r;
    *out = t < now ? now : t;
    return true;
}

/* True for two non-empty base64url parts joined by one dot (what acme_ari_cert_id makes). */
static bool acme_ari_id_ok(const char *id)
{
    const char *dot = id ? strchr(id, '.') : NULL;
    if (!dot || strlen(id) > ACME_ARI_MAX_ID || dot == id)
        return false;
    char *first = xstrndup(id, (size_t)(dot - id));
    bool ok = b64url_valid(first, ACME_ARI_MAX_ID) && b64url_valid(dot + 1, ACME_ARI_MAX_ID);
    free(first);
    return ok;
}

/* GET renewalInfo/{cert_id}: unauthenticated (RFC 9773 §4.1), answer at most ACME_ARI_MAX_RESPONSE bytes. */
enum acme_rc acme_ari_get(struct acme_client *c, const char *cert_id, struct acme_ari *out, struct acme_result *res)
{
    if (!c || !out || !res)
        return ACME_ERR_LOCAL;
    memset(out, 0, sizeof *out);
    out->retry_after = ACME_ARI_RETRY_DEFAULT;
    acme_result_clear(res);
    if (!acme_ari_id_ok(cert_id))
        return acme_fail(res, ACME_ERR_LOCAL, "renewalInfo", c->directory_url, "not an ARI certificate identifier");
    enum acme_rc rc = acme_directory_load(c, res);
    if (rc != ACME_OK)
        return rc;
    if (!c->dir.renewal_info)
        return acme_fail(res, ACME_ERR_LOCAL, "renewalInfo", c->directory_url, "the CA offers no renewalInfo");
    size_t n = strlen(c->dir.renewal_info);
    char *url = xasprintf("%s%s%s", c->dir.renewal_info, n && c->dir.renewal_info[n - 1] == '/' ? "" : "/", cert_id);
    struct acme_http_resp resp;
    acme_http_resp_init(&resp);
    rc = acme_http_request(c, ACME_GET, url, NULL, "application/json", &resp, res);
    if (rc != ACME_OK)
        goto done;
    if (resp.status != 200) {
        rc = acme_response_error(&resp, "renewalInfo", url, res);
        goto done;
    }
    acme_result_take_response(res, &resp);
    if (resp.body.len > ACME_ARI_MAX_RESPONSE) {
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "renewalInfo", url, "answer larger than %d bytes",
                       ACME_ARI_MAX_RESPONSE);
        goto done;
    }
    if (!acme_ari_parse(resp.body.data, resp.body.len, out)) {
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "renewalInfo", url, "no valid suggestedWindow in the answer");
        goto done;
    }
    out->retry_after = acme_ari_retry_clamp(resp.retry_after);
done:
    acme_http_resp_free(&resp);
    free(url);
    return rc;
}
