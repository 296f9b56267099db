/*
 * test_acme_ari — ACME Renewal Information (RFC 9773) with recorded CA answers: the
 * certificate identifier (RFC 9773's own example and a certificate Pebble issued), the
 * renewalInfo answer (a window, one in the past, malformed, incomplete, oversize),
 * Retry-After clamping, the random renewal time, and acme_ari_get against a loopback
 * double of the CA (Debian's Pebble 2.4 has no renewalInfo).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "acme/acme.h"
#include "acme/internal.h"
#include "base/buf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* 2026-12-20T10:00:00Z and 2026-12-22T10:00:00Z, 2025-01-02T04:00:00Z and 2025-01-03T04:00:00Z. */
#define WIN_START 1797760800
#define WIN_END 1797933600
#define PAST_START 1735790400
#define PAST_END 1735876800

/* Reads fixtures/<name> (tests run from tests/unit). */
static char *fixture(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "fixtures/%s", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct buf b;
    buf_init(&b, 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_true(buf_append(&b, chunk, n));
    fclose(f);
    *len = b.len;
    return buf_steal(&b);
}

/* The identifier of a PEM fixture. */
static char *cert_id_of(const char *name)
{
    size_t len;
    char *pem = fixture(name, &len);
    char *id = acme_ari_cert_id(pem, len);
    free(pem);
    return id;
}

/* RFC 9773 §4.1: AKI 69:88:5B:... and serial 0x87654321 (DER content 00 87 65 43 21). */
static void test_cert_id_rfc_values(void **state)
{
    (void)state;
    static const unsigned char aki[] = { 0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3,
                                         0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4 };
    static const unsigned char serial[] = { 0x00, 0x87, 0x65, 0x43, 0x21 };
    char *id = acme_ari_cert_id_raw(aki, sizeof aki, serial, sizeof serial);
    assert_string_equal(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    free(id);
    assert_null(acme_ari_cert_id_raw(aki, 0, serial, sizeof serial));
    assert_null(acme_ari_cert_id_raw(aki, sizeof aki, NULL, 0));
}

/* RFC 9773 Appendix A's certificate: the leading 00 of the serial's DER content is kept. */
static void test_cert_id_rfc_certificate(void **state)
{
    (void)state;
    char *id = cert_id_of("ari/rfc9773-example.pem");
    assert_string_equal(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    free(id);
}

/*
 * A leaf Pebble issued on the test stack; expected value from `openssl x509 -serial -ext
 * authorityKeyIdentifier` (AKI F0:D9:DA:D9:..., serial 414C55969DF3D9D5) encoded by hand.
 */
static void test_cert_id_pebble_certificate(void **state)
{
    (void)state;
    char *id = cert_id_of("ari/pebble-leaf.pem");
    assert_string_equal(id, "8Nna2cdTCeyEglyJwb83XCN3L00.QUxVlp3z2dU");
    free(id);
}

/* Not a certificate, or a certificate without AKI: no identifier. */
static void test_cert_id_none(void **state)
{
    (void)state;
    const char *junk = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert_null(acme_ari_cert_id(junk, strlen(junk)));
    assert_null(acme_ari_cert_id("", 0));
    assert_null(acme_ari_cert_id(NULL, 10));
    /* Pebble's root is self-signed without AKI. */
    size_t len;
    char *pem = fixture("ari/pebble-root-no-aki.pem", &len);
    assert_null(acme_ari_cert_id(pem, len));
    free(pem);
}

/* Parses a fixture as a renewalInfo answer. */
static bool ari_of(const char *name, struct acme_ari *a)
{
    size_t len;
    char *text = fixture(name, &len);
    bool ok = acme_ari_parse(text, len, a);
    free(text);
    return ok;
}

/* A normal answer: window and explanation. */
static void test_parse_window(void **state)
{
    (void)state;
    struct acme_ari a;
    assert_true(ari_of("ari/renewal-info.json", &a));
    assert_int_equal(a.start, WIN_START);
    assert_int_equal(a.end, WIN_END);
    assert_string_equal(a.explanation_url, "https://acme.example.test/docs/ari");
    acme_ari_free(&a);
}

/* A window in the past parses; the renewal time is then now (renew at once). */
static void test_parse_past_window(void **state)
{
    (void)state;
    struct acme_ari a;
    assert_true(ari_of("ari/renewal-info-past.json", &a));
    assert_int_equal(a.start, PAST_START);
    assert_int_equal(a.end, PAST_END);
    assert_null(a.explanation_url);
    time_t now = PAST_END + 86400 * 300, at = 0;
    assert_true(acme_ari_pick(a.start, a.end, now, &at));
    assert_int_equal(at, now);
    acme_ari_free(&a);
}

/* Malformed JSON, missing members, a reversed window: refused whole. */
static void test_parse_refused(void **state)
{
    (void)state;
    static const char *const bad[] = { "ari/renewal-info-malformed.json", "ari/renewal-info-missing-end.json",
                                       "ari/renewal-info-reversed.json", "ari/renewal-info-no-window.json" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct acme_ari a;
        assert_false(ari_of(bad[i], &a));
        assert_null(a.explanation_url);
        assert_int_equal(a.start, 0);
        assert_int_equal(a.end, 0);
    }
    static const char *const inline_bad[] = {
        "[]",
        "{\"suggestedWindow\": \"2026-12-20T10:00:00Z\"}",
        "{\"suggestedWindow\": {\"start\": 1797760800, \"end\": 1797933600}}",
        "{\"suggestedWindow\": {\"start\": \"2026-12-20 10:00:00\", \"end\": \"2026-12-22T10:00:00Z\"}}",
        "{\"suggestedWindow\": {\"start\": \"2026-13-20T10:00:00Z\", \"end\": \"2026-12-22T10:00:00Z\"}}",
        "{\"suggestedWindow\": {\"start\": \"2026-12-20T10:00:00\", \"end\": \"2026-12-22T10:00:00Z\"}}",
        "{\"suggestedWindow\": {\"start\": \"2026-12-20T10:00:00Zjunk\", \"end\": \"2026-12-22T10:00:00Z\"}}",
        "{\"suggestedWindow\": {\"start\": \"2026-12-20T10:00:00Z\", \"start\": \"2026-12-21T10:00:00Z\","
        " \"end\": \"2026-12-22T10:00:00Z\"}}",
    };
    for (size_t i = 0; i < sizeof inline_bad / sizeof inline_bad[0]; i++) {
        struct acme_ari a;
        assert_false(acme_ari_parse(inline_bad[i], strlen(inline_bad[i]), &a));
    }
}

/* Offsets and fractions of RFC 3339; a bad explanationURL is dropped, the window kept. */
static void test_parse_time_forms(void **state)
{
    (void)state;
    const char *j = "{\"suggestedWindow\": {\"start\": \"2026-12-20T12:00:00.123456+02:00\","
                    " \"end\": \"2026-12-22t05:00:00-05:00\"}, \"explanationURL\": \"javascript:alert(1)\"}";
    struct acme_ari a;
    assert_true(acme_ari_parse(j, strlen(j), &a));
    assert_int_equal(a.start, WIN_START);
    assert_int_equal(a.end, WIN_END);
    assert_null(a.explanation_url);
    acme_ari_free(&a);
}

/* An answer past ACME_ARI_MAX_RESPONSE is refused even when it is valid JSON. */
static void test_parse_oversize(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_true(buf_puts(&b, "{\"suggestedWindow\": {\"start\": \"2026-12-20T10:00:00Z\", \"end\":"
                             " \"2026-12-22T10:00:00Z\"}, \"padding\": \""));
    while (b.len <= ACME_ARI_MAX_RESPONSE)
        assert_true(buf_puts(&b, "xxxxxxxxxxxxxxxx"));
    assert_true(buf_puts(&b, "\"}"));
    struct acme_ari a;
    assert_false(acme_ari_parse(b.data, b.len, &a));
    /* The same answer cut below the limit would pass: the limit is what refused it. */
    const char *small = "{\"suggestedWindow\": {\"start\": \"2026-12-20T10:00:00Z\", \"end\": \"2026-12-22T10:00:00Z\"}}";
    assert_true(acme_ari_parse(small, strlen(small), &a));
    acme_ari_free(&a);
    buf_free(&b);
}

/* Retry-After: clamped to 1 h ... 1 day, 6 h when absent or unreadable, HTTP-dates read. */
static void test_retry_after(void **state)
{
    (void)state;
    time_t now = 1797000000;
    assert_int_equal(acme_ari_retry_seconds("21600", now), 21600);
    assert_int_equal(acme_ari_retry_seconds("7200", now), 7200);
    assert_int_equal(acme_ari_retry_seconds("0", now), ACME_ARI_RETRY_MIN);
    assert_int_equal(acme_ari_retry_seconds("60", now), ACME_ARI_RETRY_MIN);
    assert_int_equal(acme_ari_retry_seconds("604800", now), ACME_ARI_RETRY_MAX);
    assert_int_equal(acme_ari_retry_seconds("99999999999999999999", now), ACME_ARI_RETRY_MAX);
    assert_int_equal(acme_ari_retry_seconds(NULL, now), ACME_ARI_RETRY_DEFAULT);
    assert_int_equal(acme_ari_retry_seconds("soon", now), ACME_ARI_RETRY_DEFAULT);
    assert_int_equal(acme_ari_retry_seconds("-5", now), ACME_ARI_RETRY_DEFAULT);
    assert_int_equal(acme_ari_retry_seconds("", now), ACME_ARI_RETRY_DEFAULT);
    /* HTTP-dates: three hours ahead, and one already past. */
    char date[64];
    time_t later = now + 3 * 3600;
    struct tm tm;
    gmtime_r(&later, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_int_equal(acme_ari_retry_seconds(date, now), 3 * 3600);
    time_t past = now - 3600;
    gmtime_r(&past, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_int_equal(acme_ari_retry_seconds(date, now), ACME_ARI_RETRY_MIN);
    assert_int_equal(acme_ari_retry_clamp(-1), ACME_ARI_RETRY_DEFAULT);
    assert_int_equal(acme_ari_retry_clamp(90000), ACME_ARI_RETRY_MAX);
}

/* The renewal time: inside the window, spread over it, never before now; a reversed window is an error. */
static void test_pick(void **state)
{
    (void)state;
    time_t now = WIN_START - 86400, at;
    time_t mid = WIN_START + (WIN_END - WIN_START) / 2;
    int low = 0, high = 0;
    for (int i = 0; i < 2000; i++) {
        assert_true(acme_ari_pick(WIN_START, WIN_END, now, &at));
        assert_true(at >= WIN_START && at < WIN_END);
        if (at < mid)
            low++;
        else
            high++;
    }
    /* Uniform: each half gets about 1000 of 2000; 800 is more than 8 standard deviations away. */
    assert_true(low > 800 && high > 800);
    assert_true(acme_ari_pick(WIN_START, WIN_START, now, &at));
    assert_int_equal(at, WIN_START);
    assert_false(acme_ari_pick(WIN_END, WIN_START, now, &at));
    /* A window that started already: a point not before now. */
    now = mid;
    for (int i = 0; i < 200; i++) {
        assert_true(acme_ari_pick(WIN_START, WIN_END, now, &at));
        assert_true(at >= now && at < WIN_END);
    }
}

/* ---- acme_ari_get against a loopback double of the CA ---- */

struct fake_ca {
    int fd;
    int port;
    pthread_t th;
    const char *answer;       /* status line, headers and body of the renewalInfo answer */
    bool renewal_info;        /* whether the directory offers renewalInfo */
    char request[2048];       /* the last request head that was not for the directory */
    int requests;
};

/* Reads a request head (up to the blank line) into buf. */
static void fake_read_head(int c, char *buf, size_t len)
{
    size_t n = 0;
    while (n + 1 < len) {
        ssize_t r = read(c, buf + n, len - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    buf[n] = '\0';
}

/* Writes all of s. */
static void fake_write(int c, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = send(c, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Serves connections, one request each: the directory at /dir, the canned answer elsewhere. */
static void *fake_serve(void *arg)
{
    struct fake_ca *f = arg;
    for (;;) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char head[2048];
        fake_read_head(c, head, sizeof head);
        if (strncmp(head, "GET /dir ", 9) == 0) {
            char body[600], ri[100] = "", resp[900];
            if (f->renewal_info)
                snprintf(ri, sizeof ri, ",\"renewalInfo\":\"http://127.0.0.1:%d/renewal-info\"", f->port);
            snprintf(body, sizeof body,
                     "{\"newNonce\":\"http://127.0.0.1:%d/nonce\",\"newAccount\":\"http://127.0.0.1:%d/acct\","
                     "\"newOrder\":\"http://127.0.0.1:%d/order\"%s}",
                     f->port, f->port, f->port, ri);
            snprintf(resp, sizeof resp,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     strlen(body), body);
            fake_write(c, resp);
        } else {
            snprintf(f->request, sizeof f->request, "%s", head);
            f->requests++;
            fake_write(c, f->answer);
        }
        close(c);
    }
}

/* Starts the double on a free loopback port. */
static void fake_start(struct fake_ca *f, const char *answer, bool renewal_info)
{
    memset(f, 0, sizeof *f);
    f->answer = answer;
    f->renewal_info = renewal_info;
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(f->fd, 8), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &al), 0);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->th, NULL, fake_serve, f), 0);
}

/* Stops the double. */
static void fake_stop(struct fake_ca *f)
{
    shutdown(f->fd, SHUT_RDWR);
    close(f->fd);
    pthread_join(f->th, NULL);
}

/* A client of the double. */
static struct acme_client *fake_client(const struct fake_ca *f)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/dir", f->port);
    struct acme_opts o = { .directory_url = url, .timeout_ms = 5000 };
    struct acme_client *c = acme_client_new(&o);
    assert_non_null(c);
    return c;
}

/* An answer with the fixture's body and the given extra header lines (caller frees). */
static char *answer_with(const char *status, const char *headers, const char *body)
{
    char *out = NULL;
    assert_true(asprintf(&out, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n%s", status,
                         strlen(body), headers, body) > 0);
    return out;
}

#define ID "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

/* A plain unauthenticated GET of renewalInfo/{certID}; window and clamped Retry-After come back. */
static void test_get_window(void **state)
{
    (void)state;
    size_t len;
    char *body = fixture("ari/renewal-info.json", &len);
    char *answer = answer_with("200 OK", "Content-Type: application/json\r\nRetry-After: 21600\r\n", body);
    struct fake_ca f;
    fake_start(&f, answer, true);
    struct acme_client *c = fake_client(&f);
    struct acme_result res;
    acme_result_init(&res);
    struct acme_ari a;
    assert_int_equal(acme_ari_get(c, ID, &a, &res), ACME_OK);
    assert_int_equal(a.start, WIN_START);
    assert_int_equal(a.end, WIN_END);
    assert_int_equal(a.retry_after, 21600);
    assert_string_equal(a.explanation_url, "https://acme.example.test/docs/ari");
    assert_int_equal(f.requests, 1);
    assert_true(strncmp(f.request, "GET /renewal-info/" ID " HTTP/1.1\r\n", strlen("GET /renewal-info/" ID) + 11) == 0);
    /* RFC 9773 §4.1: a GET, not a POST-as-GET: no JWS body, no content type. */
    assert_null(strcasestr(f.request, "Content-Type"));
    assert_null(strcasestr(f.request, "Content-Length"));
    acme_ari_free(&a);
    acme_result_clear(&res);
    acme_client_free(c);
    fake_stop(&f);
    free(answer);
    free(body);
}

/* Retry-After of a minute and of a week are clamped; none is the default. */
static void test_get_retry_after_clamped(void **state)
{
    (void)state;
    size_t len;
    char *body = fixture("ari/renewal-info.json", &len);
    static const struct {
        const char *header;
        long want;
    } cases[] = {
        { "Retry-After: 60\r\n", ACME_ARI_RETRY_MIN },
        { "Retry-After: 604800\r\n", ACME_ARI_RETRY_MAX },
        { "", ACME_ARI_RETRY_DEFAULT },
        { "Retry-After: tomorrow\r\n", ACME_ARI_RETRY_DEFAULT },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *answer = answer_with("200 OK", cases[i].header, body);
        struct fake_ca f;
        fake_start(&f, answer, true);
        struct acme_client *c = fake_client(&f);
        struct acme_result res;
        acme_result_init(&res);
        struct acme_ari a;
        assert_int_equal(acme_ari_get(c, ID, &a, &res), ACME_OK);
        assert_int_equal(a.retry_after, cases[i].want);
        acme_ari_free(&a);
        acme_result_clear(&res);
        acme_client_free(c);
        fake_stop(&f);
        free(answer);
    }
    free(body);
}

/* The CA's problem (404 for a certificate it does not know), bad and oversize answers. */
static void test_get_failures(void **state)
{
    (void)state;
    const char *problem = "{\"type\":\"urn:ietf:params:acme:error:malformed\",\"detail\":\"no such certificate\"}";
    char *answer = answer_with("404 Not Found", "Content-Type: application/problem+json\r\nRetry-After: 120\r\n",
                               problem);
    struct fake_ca f;
    fake_start(&f, answer, true);
    struct acme_client *c = fake_client(&f);
    struct acme_result res;
    acme_result_init(&res);
    struct acme_ari a;
    assert_int_equal(acme_ari_get(c, ID, &a, &res), ACME_ERR_PROBLEM);
    assert_true(acme_problem_is(&res.problem, "malformed"));
    assert_int_equal(res.retry_after, 120); /* the caller clamps it for the next check */
    assert_int_equal(acme_ari_retry_clamp(res.retry_after), ACME_ARI_RETRY_MIN);
    acme_result_clear(&res);
    acme_client_free(c);
    fake_stop(&f);
    free(answer);

    size_t len;
    char *body = fixture("ari/renewal-info-malformed.json", &len);
    answer = answer_with("200 OK", "Content-Type: application/json\r\n", body);
    free(body);
    fake_start(&f, answer, true);
    c = fake_client(&f);
    assert_int_equal(acme_ari_get(c, ID, &a, &res), ACME_ERR_PROTOCOL);
    assert_null(a.explanation_url);
    acme_result_clear(&res);
    acme_client_free(c);
    fake_stop(&f);
    free(answer);

    struct buf big;
    buf_init(&big, 0);
    assert_true(buf_puts(&big, "{\"suggestedWindow\": {\"start\": \"2026-12-20T10:00:00Z\", \"end\":"
                               " \"2026-12-22T10:00:00Z\"}, \"padding\": \""));
    while (big.len < ACME_ARI_MAX_RESPONSE + 100)
        assert_true(buf_puts(&big, "yyyyyyyyyyyyyyyy"));
    assert_true(buf_puts(&big, "\"}"));
    answer = answer_with("200 OK", "Content-Type: application/json\r\n", big.data);
    buf_free(&big);
    fake_start(&f, answer, true);
    c = fake_client(&f);
    assert_int_equal(acme_ari_get(c, ID, &a, &res), ACME_ERR_PROTOCOL);
    assert_non_null(strstr(res.error, "larger than"));
    acme_result_clear(&res);
    acme_client_free(c);
    fake_stop(&f);
    free(answer);
}

/* A CA without renewalInfo (Debian's Pebble 2.4) is never asked; a bad identifier neither. */
static void test_get_not_offered(void **state)
{
    (void)state;
    struct fake_ca f;
    fake_start(&f, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false);
    struct acme_client *c = fake_client(&f);
    struct acme_result res;
    acme_result_init(&res);
    struct acme_ari a;
    assert_int_equal(acme_ari_get(c, ID, &a, &res), ACME_ERR_LOCAL);
    assert_false(acme_directory_has_renewal_info(c));
    assert_int_equal(acme_ari_get(c, "../../etc/passwd", &a, &res), ACME_ERR_LOCAL);
    assert_int_equal(acme_ari_get(c, "nodot", &a, &res), ACME_ERR_LOCAL);
    assert_int_equal(acme_ari_get(c, ".AIdlQyE", &a, &res), ACME_ERR_LOCAL);
    assert_int_equal(f.requests, 0);
    acme_result_clear(&res);
    acme_client_free(c);
    fake_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cert_id_rfc_values),
        cmocka_unit_test(test_cert_id_rfc_certificate),
        cmocka_unit_test(test_cert_id_pebble_certificate),
        cmocka_unit_test(test_cert_id_none),
        cmocka_unit_test(test_parse_window),
        cmocka_unit_test(test_parse_past_window),
        cmocka_unit_test(test_parse_refused),
        cmocka_unit_test(test_parse_time_forms),
        cmocka_unit_test(test_parse_oversize),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_get_window),
        cmocka_unit_test(test_get_retry_after_clamped),
        cmocka_unit_test(test_get_failures),
        cmocka_unit_test(test_get_not_offered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
