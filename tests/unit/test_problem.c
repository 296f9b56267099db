/*
 * test_problem — the API's error vocabulary: each code's status, title and type, the
 * RFC 9457 JSON, the headers a problem implies, and the request checks that map
 * inputs to problems without a database (routes, body, fields, query, cursor).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/config.h"
#include "body.h"
#include "fields.h"
#include "order_input.h"
#include "paging.h"
#include "problem.h"
#include "query.h"
#include "request.h"
#include "response.h"
#include "router.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* The contract: code string, HTTP status, title, retryable. */
static const struct {
    enum fcgi_problem p;
    const char *code;
    int status;
    const char *title;
    bool retryable;
} problem_expect[] = {
    { FCGI_PROB_MALFORMED_JSON, "malformed_json", 400, "Malformed JSON", false },
    { FCGI_PROB_UNKNOWN_FIELD, "unknown_field", 400, "Unknown field", false },
    { FCGI_PROB_INVALID_FIELD, "invalid_field", 422, "Invalid field", false },
    { FCGI_PROB_INVALID_DOMAIN, "invalid_domain", 422, "Invalid domain name", false },
    { FCGI_PROB_DUPLICATE_DOMAIN, "duplicate_domain", 422, "Duplicate domain name", false },
    { FCGI_PROB_TOO_MANY_DOMAINS, "too_many_domains", 422, "Too many domain names", false },
    { FCGI_PROB_NO_DOMAINS, "no_domains", 422, "No domain names", false },
    { FCGI_PROB_UNSUPPORTED_CHALLENGE, "unsupported_challenge", 422, "Unsupported challenge type", false },
    { FCGI_PROB_WILDCARD_REQUIRES_DNS01, "wildcard_requires_dns01", 422, "Wildcard requires dns-01", false },
    { FCGI_PROB_INVALID_IP, "invalid_ip", 422, "Invalid IP address", false },
    { FCGI_PROB_IP_WILDCARD, "ip_wildcard", 422, "Wildcard IP address", false },
    { FCGI_PROB_IP_DNS01_UNSUPPORTED, "ip_dns01_unsupported", 422, "IP address needs http-01 or tls-alpn-01", false },
    { FCGI_PROB_UNKNOWN_CA, "unknown_ca", 422, "Unknown CA", false },
    { FCGI_PROB_PROFILE_UNKNOWN, "profile_unknown", 422, "Unknown profile", false },
    { FCGI_PROB_INVALID_CSR, "invalid_csr", 422, "Invalid CSR", false },
    { FCGI_PROB_CSR_NAMES_MISMATCH, "csr_names_mismatch", 422, "CSR names differ from domains", false },
    { FCGI_PROB_CSR_KEY_UNSUPPORTED, "csr_key_unsupported", 422, "CSR key not supported", false },
    { FCGI_PROB_IDEMPOTENCY_CONFLICT, "idempotency_conflict", 422, "Idempotency key reused", false },
    { FCGI_PROB_UNKNOWN_DNS_PROVIDER, "unknown_dns_provider", 422, "Unknown DNS provider", false },
    { FCGI_PROB_INVALID_PROVIDER_CONFIG, "invalid_provider_config", 422, "Invalid provider settings", false },
    { FCGI_PROB_PROVIDER_TEST_FAILED, "provider_test_failed", 422, "Provider test failed", false },
    { FCGI_PROB_WEBHOOK_DESTINATION_REFUSED, "webhook_destination_refused", 422, "Webhook destination refused",
      false },
    { FCGI_PROB_BODY_TOO_LARGE, "body_too_large", 413, "Content Too Large", false },
    { FCGI_PROB_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415, "Unsupported Media Type", false },
    { FCGI_PROB_UNAUTHORIZED, "unauthorized", 401, "Unauthorized", false },
    { FCGI_PROB_NOT_FOUND, "not_found", 404, "Not Found", false },
    { FCGI_PROB_KEY_NOT_AVAILABLE, "key_not_available", 404, "Key not available", false },
    { FCGI_PROB_METHOD_NOT_ALLOWED, "method_not_allowed", 405, "Method Not Allowed", false },
    { FCGI_PROB_CONFLICT, "conflict", 409, "Conflict", false },
    { FCGI_PROB_PROVIDER_IN_USE, "provider_in_use", 409, "Provider in use", false },
    { FCGI_PROB_ORDER_NOT_WAITING, "order_not_waiting", 409, "Order not waiting", false },
    { FCGI_PROB_ALREADY_REVOKED, "already_revoked", 409, "Already revoked", false },
    { FCGI_PROB_RENEWAL_IN_PROGRESS, "renewal_in_progress", 409, "Renewal in progress", false },
    { FCGI_PROB_CERTIFICATE_SUPERSEDED, "certificate_superseded", 409, "Certificate superseded", false },
    { FCGI_PROB_IDEMPOTENCY_IN_FLIGHT, "idempotency_in_flight", 409, "Idempotency key in use", true },
    { FCGI_PROB_ORDER_NOT_CANCELLABLE, "order_not_cancellable", 409, "Order not cancellable", false },
    { FCGI_PROB_ORDER_NOT_RETRYABLE, "order_not_retryable", 409, "Order not retryable", false },
    { FCGI_PROB_QUOTA_EXCEEDED, "quota_exceeded", 403, "Quota exceeded", false },
    { FCGI_PROB_RATE_LIMITED, "rate_limited", 429, "Too Many Requests", true },
    { FCGI_PROB_SERVICE_UNAVAILABLE, "service_unavailable", 503, "Service Unavailable", true },
    { FCGI_PROB_INTERNAL, "internal", 500, "Internal Server Error", false },
};

/* Every code maps to its status, title, type and back. */
static void test_problem_table(void **state)
{
    (void)state;
    size_t n = sizeof problem_expect / sizeof problem_expect[0];
    assert_int_equal(n, FCGI_PROB_COUNT);
    for (size_t i = 0; i < n; i++) {
        const struct fcgi_problem_info *pi = fcgi_problem_info(problem_expect[i].p);
        assert_string_equal(pi->code, problem_expect[i].code);
        assert_int_equal(pi->status, problem_expect[i].status);
        assert_string_equal(pi->title, problem_expect[i].title);
        assert_int_equal(pi->retryable, problem_expect[i].retryable);
        assert_non_null(pi->detail);
        assert_int_equal(fcgi_problem_from_code(problem_expect[i].code), problem_expect[i].p);
    }
    assert_int_equal(fcgi_problem_from_code("no_such_code"), -1);
    /* out of range falls back to internal, never crashes */
    assert_string_equal(fcgi_problem_info((enum fcgi_problem)999)->code, "internal");
}

/* The JSON object: members, values, field only when given. */
static void test_problem_json(void **state)
{
    (void)state;
    json_t *o = fcgi_problem_json(FCGI_PROB_INVALID_DOMAIN, "domains[1] \"a_b.com\" is bad", "domains[1]");
    assert_string_equal(json_string_value(json_object_get(o, "type")), "urn:certmill:problem:invalid_domain");
    assert_string_equal(json_string_value(json_object_get(o, "title")), "Invalid domain name");
    assert_int_equal(json_integer_value(json_object_get(o, "status")), 422);
    assert_string_equal(json_string_value(json_object_get(o, "detail")), "domains[1] \"a_b.com\" is bad");
    assert_string_equal(json_string_value(json_object_get(o, "code")), "invalid_domain");
    assert_string_equal(json_string_value(json_object_get(o, "field")), "domains[1]");
    assert_true(json_is_false(json_object_get(o, "retryable")));
    char *s = json_dumps(o, JSON_COMPACT);
    assert_string_equal(s, "{\"type\":\"urn:certmill:problem:invalid_domain\",\"title\":\"Invalid domain name\","
                           "\"status\":422,\"detail\":\"domains[1] \\\"a_b.com\\\" is bad\",\"code\":"
                           "\"invalid_domain\",\"field\":\"domains[1]\",\"retryable\":false}");
    free(s);
    json_decref(o);

    o = fcgi_problem_json(FCGI_PROB_NOT_FOUND, NULL, NULL);
    assert_null(json_object_get(o, "field"));
    assert_string_equal(json_string_value(json_object_get(o, "detail")), "no such resource");
    json_decref(o);

    /* invalid UTF-8 in a detail falls back to the table's text rather than losing the member */
    o = fcgi_problem_json(FCGI_PROB_MALFORMED_JSON, "bad \xff byte", NULL);
    assert_string_equal(json_string_value(json_object_get(o, "detail")),
                        fcgi_problem_info(FCGI_PROB_MALFORMED_JSON)->detail);
    json_decref(o);
}

/* The rendered responses carry the media type and the headers the code implies. */
static void test_problem_response(void **state)
{
    (void)state;
    struct fcgi_resp r;
    fcgi_resp_init(&r);
    fcgi_resp_problem(&r, FCGI_PROB_UNAUTHORIZED, NULL, NULL);
    char *out = fcgi_resp_render(&r, false);
    assert_non_null(strstr(out, "Status: 401 Unauthorized\r\n"));
    assert_non_null(strstr(out, "Content-Type: application/problem+json\r\n"));
    assert_non_null(strstr(out, "WWW-Authenticate: Bearer"));
    assert_null(strstr(out, "Retry-After"));
    assert_non_null(strstr(out, "\"code\":\"unauthorized\""));
    free(out);

    fcgi_resp_problem(&r, FCGI_PROB_SERVICE_UNAVAILABLE, NULL, NULL);
    out = fcgi_resp_render(&r, false);
    assert_non_null(strstr(out, "Status: 503 Service Unavailable\r\n"));
    assert_non_null(strstr(out, "Retry-After: 2\r\n"));
    assert_null(strstr(out, "WWW-Authenticate")); /* a new problem replaces the old headers */
    assert_non_null(strstr(out, "\"retryable\":true"));
    free(out);

    fcgi_resp_problemf(&r, FCGI_PROB_BODY_TOO_LARGE, NULL, "over %d bytes", 65536);
    out = fcgi_resp_render(&r, true);
    assert_non_null(strstr(out, "Status: 413 Content Too Large\r\n"));
    assert_null(strstr(out, "over 65536")); /* HEAD: no body */
    free(out);
    assert_non_null(strstr(r.body.data, "\"detail\":\"over 65536 bytes\""));

    /* header injection is refused */
    fcgi_resp_header(&r, "X-Test", "a\r\nSet-Cookie: x");
    assert_null(strstr(r.headers.data ? r.headers.data : "", "Set-Cookie"));
    fcgi_resp_free(&r);
}

/* Routes: known path + method, wrong method (405 + Allow), unknown path, {id} capture. */
static void test_problem_routes(void **state)
{
    (void)state;
    struct fcgi_req req;
    const struct fcgi_route *route;
    char allow[128];
    memset(&req, 0, sizeof req);
    assert_int_equal(fcgi_route_match("GET", "/v1/orders/ord_1", &req, &route, allow, sizeof allow), FCGI_ROUTE_OK);
    assert_int_equal(req.n_params, 1);
    assert_string_equal(req.params[0], "ord_1");
    assert_true(route->needs_auth);
    free(req.params[0]);
    memset(&req, 0, sizeof req);
    assert_int_equal(fcgi_route_match("HEAD", "/healthz", &req, &route, allow, sizeof allow), FCGI_ROUTE_OK);
    assert_false(route->needs_auth);
    assert_int_equal(fcgi_route_match("DELETE", "/v1/orders", &req, &route, allow, sizeof allow),
                     FCGI_ROUTE_BAD_METHOD);
    assert_string_equal(allow, "POST, GET, HEAD");
    assert_int_equal(fcgi_route_match("PUT", "/v1/certificates/x/key", &req, &route, allow, sizeof allow),
                     FCGI_ROUTE_BAD_METHOD);
    assert_int_equal(fcgi_route_match("GET", "/v1/nothing", &req, &route, allow, sizeof allow), FCGI_ROUTE_NOT_FOUND);
    assert_int_equal(fcgi_route_match("GET", "/v1/orders/", &req, &route, allow, sizeof allow), FCGI_ROUTE_NOT_FOUND);
    assert_int_equal(fcgi_route_match("GET", "/v1/orders/a/b", &req, &route, allow, sizeof allow),
                     FCGI_ROUTE_NOT_FOUND);
    assert_int_equal(fcgi_route_match("GET", "", &req, &route, allow, sizeof allow), FCGI_ROUTE_NOT_FOUND);
    assert_int_equal(req.n_params, 0);
}

/* Parses text as a request body and returns the problem code it gets, or "ok". */
static const char *body_code(const char *text, struct fcgi_resp *r)
{
    struct fcgi_req req;
    memset(&req, 0, sizeof req);
    buf_init(&req.body, 0);
    buf_puts(&req.body, text);
    fcgi_resp_init(r);
    json_t *v = fcgi_body_json(&req, r);
    buf_free(&req.body);
    json_decref(v);
    return v ? "ok" : fcgi_problem_info((enum fcgi_problem)r->problem)->code;
}

/* Bodies: malformed, non-object, duplicate keys, nesting at and past the limit. */
static void test_problem_body(void **state)
{
    (void)state;
    struct fcgi_resp r;
    const struct {
        const char *body;
        const char *code;
    } cases[] = {
        { "{\"domains\":[\"a.example\"]}", "ok" },
        { "", "malformed_json" },
        { "{", "malformed_json" },
        { "{\"a\":1} x", "malformed_json" },
        { "[1,2]", "malformed_json" },
        { "\"text\"", "malformed_json" },
        { "{\"a\":1,\"a\":2}", "malformed_json" },
        { "{\"a\":\"x\\u0000y\"}", "malformed_json" }, /* jansson refuses NUL without JSON_ALLOW_NUL */
        { "{\"a\":[[[[[[[1]]]]]]]}", "ok" },          /* 8 levels */
        { "{\"a\":[[[[[[[[1]]]]]]]]}", "malformed_json" }, /* 9 levels */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = body_code(cases[i].body, &r);
        if (strcmp(got, cases[i].code) != 0)
            fail_msg("body %s: got %s, want %s", cases[i].body, got, cases[i].code);
        fcgi_resp_free(&r);
    }
}

/* Runs the order table on body text; returns the problem code and the field (or NULL). */
static const char *order_code(const struct config *cfg, const char *text, char *field, size_t fieldlen)
{
    struct fcgi_resp r;
    struct fcgi_order_input in;
    static char code[64];
    fcgi_resp_init(&r);
    json_t *body = json_loads(text, 0, NULL);
    assert_non_null(body);
    bool ok = fcgi_order_input_parse(cfg, body, &in, &r);
    field[0] = '\0';
    if (ok) {
        strcpy(code, "ok");
    } else {
        json_t *p = json_loadb(r.body.data, r.body.len, 0, NULL);
        snprintf(code, sizeof code, "%s", json_string_value(json_object_get(p, "code")));
        const char *f = json_string_value(json_object_get(p, "field"));
        if (f)
            snprintf(field, fieldlen, "%s", f);
        json_decref(p);
    }
    fcgi_order_input_free(&in);
    json_decref(body);
    fcgi_resp_free(&r);
    return code;
}

/* The order fields: each bad input gets its code and field. */
static void test_problem_order_fields(void **state)
{
    (void)state;
    struct config_ca ca = { .name = "local" };
    struct config cfg = { .max_names = 3, .default_ca = "local", .cas = &ca, .n_cas = 1 };
    const struct {
        const char *body;
        const char *code;
        const char *field;
    } cases[] = {
        { "{\"domains\":[\"a.example\"]}", "ok", "" },
        { "{\"domains\":[\"a.example\"],\"challenge\":\"http-01\",\"key_type\":\"rsa-2048\",\"ca\":\"local\","
          "\"profile\":\"tlsserver\",\"auto_renew\":false,\"customer_ref\":\"c-1\",\"csr\":null}",
          "ok", "" },
        { "{}", "invalid_field", "domains" },
        { "{\"domains\":[]}", "no_domains", "domains" },
        { "{\"domains\":\"a.example\"}", "invalid_field", "domains" },
        { "{\"domains\":[\"a.example\",\"b.example\",\"c.example\",\"d.example\"]}", "too_many_domains", "domains" },
        { "{\"domains\":[\"a.example\",7]}", "invalid_field", "domains[1]" },
        { "{\"domains\":[\"a.example\",\"a_b.example\"]}", "invalid_domain", "domains[1]" },
        { "{\"domains\":[\"A.example\",\"a.example.\"]}", "duplicate_domain", "domains[1]" },
        { "{\"domains\":[\"xn--bcher-kva.example\",\"b\\u00fccher.example\"]}", "duplicate_domain", "domains[1]" },
        { "{\"domains\":[\"a.example\"],\"colour\":1}", "unknown_field", "colour" },
        { "{\"domains\":[\"a.example\"],\"challenge\":\"dns-01\"}", "ok", "" },
        { "{\"domains\":[\"a.example\"],\"challenge\":\"tls-alpn-01\"}", "ok", "" },
        { "{\"domains\":[\"a.example\",\"*.a.example\"],\"challenge\":\"dns-01\"}", "ok", "" },
        { "{\"domains\":[\"*.a.example\"],\"challenge\":\"tls-alpn-01\"}", "wildcard_requires_dns01", "domains[0]" },
        { "{\"domains\":[\"a.example\"],\"challenge\":\"dns-01\",\"dns_provider\":\"dnp_1\"}", "ok", "" },
        { "{\"domains\":[\"a.example\"],\"challenge\":\"dns-01\",\"dns_provider\":null}", "ok", "" },
        { "{\"domains\":[\"a.example\"],\"challenge\":\"dns-01\",\"dns_provider\":7}", "invalid_field",
          "dns_provider" },
        { "{\"domains\":[\"a.example\"],\"challenge\":\"dns-01\",\"dns_provider\":\"a/b\"}",
          "unknown_dns_provider", "dns_provider" },
        { "{\"domains\":[\"a.example\"],\"dns_provider\":\"dnp_1\"}", "invalid_field", "dns_provider" },
        { "{\"domains\":[\"a.example\"],\"challenge\":\"tls-alpn-01\",\"dns_provider\":\"dnp_1\"}",
          "invalid_field", "dns_provider" },
        { "{\"domains\":[\"a.example\"],\"challenge\":\"http-02\"}", "invalid_field", "challenge" },
        { "{\"domains\":[\"a.example\",\"*.a.example\"]}", "wildcard_requires_dns01", "domains[1]" },
        { "{\"domains\":[\"a.example\"],\"key_type\":\"dsa\"}", "invalid_field", "key_type" },
        { "{\"domains\":[\"a.example\"],\"key_type\":256}", "invalid_field", "key_type" },
        { "{\"domains\":[\"a.example\"],\"csr\":\"-----BEGIN\"}", "invalid_csr", "csr" },
        { "{\"domains\":[\"a.example\"],\"csr\":7}", "invalid_field", "csr" },
        { "{\"domains\":[\"a.example\"],\"ca\":\"nope\"}", "unknown_ca", "ca" },
        { "{\"domains\":[\"a.example\"],\"auto_renew\":\"yes\"}", "invalid_field", "auto_renew" },
        { "{\"domains\":[\"a.example\"],\"profile\":\"\"}", "invalid_field", "profile" },
    };
    char field[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *code = order_code(&cfg, cases[i].body, field, sizeof field);
        if (strcmp(code, cases[i].code) != 0 || strcmp(field, cases[i].field) != 0)
            fail_msg("%s: got %s/%s, want %s/%s", cases[i].body, code, field, cases[i].code, cases[i].field);
    }
    /* customer_ref: 200 characters pass (multi-byte counted as one), 201 fail */
    char body[1600], ref[1300] = "";
    for (int i = 0; i < 200; i++)
        strcat(ref, "\\u00e9");
    snprintf(body, sizeof body, "{\"domains\":[\"a.example\"],\"customer_ref\":\"%s\"}", ref);
    assert_string_equal(order_code(&cfg, body, field, sizeof field), "ok");
    strcat(ref, "x");
    snprintf(body, sizeof body, "{\"domains\":[\"a.example\"],\"customer_ref\":\"%s\"}", ref);
    assert_string_equal(order_code(&cfg, body, field, sizeof field), "invalid_field");
}

/* Query strings: unknown, repeated, bad escapes; limits and cursors. */
static void test_problem_query_paging(void **state)
{
    (void)state;
    static const char *const allowed[] = { "limit", "cursor", "status", NULL };
    struct fcgi_query q;
    struct fcgi_page pg;
    struct fcgi_resp r;
    fcgi_resp_init(&r);
    assert_true(fcgi_query_parse("limit=10&status=issued&&", allowed, &q, &r));
    assert_string_equal(fcgi_query_get(&q, "status"), "issued");
    assert_true(fcgi_page_parse(&q, &pg, &r));
    assert_int_equal(pg.db.limit, 10);
    assert_false(pg.db.has_cursor);
    fcgi_query_free(&q);

    assert_false(fcgi_query_parse("foo=1", allowed, &q, &r));
    assert_int_equal(r.problem, FCGI_PROB_UNKNOWN_FIELD);
    assert_false(fcgi_query_parse("limit=1&limit=2", allowed, &q, &r));
    assert_int_equal(r.problem, FCGI_PROB_INVALID_FIELD);
    assert_false(fcgi_query_parse("status=%zz", allowed, &q, &r));
    assert_int_equal(r.problem, FCGI_PROB_INVALID_FIELD);
    assert_false(fcgi_query_parse("status=%ff", allowed, &q, &r)); /* not UTF-8 */
    assert_false(fcgi_query_parse("status=a%", allowed, &q, &r));

    const char *bad_limits[] = { "limit=0", "limit=201", "limit=x", "limit=-1", "limit=", "cursor=abc",
                                 "cursor=!!" };
    for (size_t i = 0; i < sizeof bad_limits / sizeof bad_limits[0]; i++) {
        assert_true(fcgi_query_parse(bad_limits[i], allowed, &q, &r));
        assert_false(fcgi_page_parse(&q, &pg, &r));
        assert_int_equal(r.problem, FCGI_PROB_INVALID_FIELD);
        fcgi_query_free(&q);
    }

    char *c = fcgi_page_cursor_encode(1764366000123456LL, "ord_abc");
    long long us;
    char id[FCGI_MAX_ID + 1];
    assert_true(fcgi_page_cursor_decode(c, &us, id));
    assert_true(us == 1764366000123456LL);
    assert_string_equal(id, "ord_abc");
    free(c);

    /* three rows for limit 2: two come back and a cursor to the second */
    json_t *rows = json_pack("[{s:s,s:I},{s:s,s:I},{s:s,s:I}]", "id", "c", DB_API_CURSOR_KEY, (json_int_t)3, "id",
                             "b", DB_API_CURSOR_KEY, (json_int_t)2, "id", "a", DB_API_CURSOR_KEY, (json_int_t)1);
    json_t *page = fcgi_page_result(rows, 2);
    assert_int_equal(json_array_size(json_object_get(page, "data")), 2);
    assert_null(json_object_get(json_array_get(json_object_get(page, "data"), 0), DB_API_CURSOR_KEY));
    assert_true(fcgi_page_cursor_decode(json_string_value(json_object_get(page, "next_cursor")), &us, id));
    assert_true(us == 2);
    assert_string_equal(id, "b");
    json_decref(page);
    rows = json_pack("[{s:s,s:I}]", "id", "a", DB_API_CURSOR_KEY, (json_int_t)1);
    page = fcgi_page_result(rows, 2);
    assert_true(json_is_null(json_object_get(page, "next_cursor")));
    json_decref(page);
    fcgi_resp_free(&r);
}

/* Request parameters are copied with caps; PATH_INFO falls back to REQUEST_URI's path. */
static void test_problem_request_params(void **state)
{
    (void)state;
    static char auth[FCGI_MAX_HEADER + 40] = "HTTP_AUTHORIZATION=Bearer ";
    memset(auth + strlen(auth), 'k', FCGI_MAX_HEADER);
    char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/v1/orders?x=1", "CONTENT_LENGTH=12", auth,
                    "HTTP_IDEMPOTENCY_KEY=abc", NULL };
    struct fcgi_req req;
    fcgi_request_from_env(&req, env);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.path, "/v1/orders");
    assert_string_equal(req.query, "");
    assert_int_equal(req.content_length, 12);
    assert_int_equal(strlen(req.authorization), FCGI_MAX_HEADER + 1); /* cut, but still visibly too long */
    assert_string_equal(req.idempotency_key, "abc");
    assert_null(req.content_type);
    /* over the body limit by Content-Length alone: refused before reading */
    assert_int_equal(fcgi_request_body(&req, 10), FCGI_BODY_TOO_LARGE);
    fcgi_request_free(&req);

    char *env2[] = { "REQUEST_METHOD=GETTING-TOO-LONG-A-METHOD", "PATH_INFO=/healthz", "CONTENT_LENGTH=-5", NULL };
    fcgi_request_from_env(&req, env2);
    assert_string_equal(req.method, "");
    assert_string_equal(req.path, "/healthz");
    assert_int_equal(fcgi_request_body(&req, 1024), FCGI_BODY_TOO_LARGE); /* unparsable length */
    fcgi_request_free(&req);
}

/* Text helpers used on hostile input. */
static void test_problem_text(void **state)
{
    (void)state;
    char out[16];
    assert_true(fcgi_text_utf8_valid("b\xc3\xbc" "cher", 7));
    assert_false(fcgi_text_utf8_valid("\xc0\xaf", 2));          /* overlong */
    assert_false(fcgi_text_utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
    assert_false(fcgi_text_utf8_valid("a\0b", 3));
    assert_int_equal(fcgi_text_utf8_chars("b\xc3\xbc" "cher"), 6);
    assert_true(fcgi_text_is_id("ord_0123abcd"));
    assert_false(fcgi_text_is_id("ord 1"));
    assert_false(fcgi_text_is_id(""));
    fcgi_text_snippet(out, sizeof out, "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc");
    assert_true(fcgi_text_utf8_valid(out, strlen(out)));
    assert_non_null(strstr(out, "..."));
    fcgi_text_snippet(out, sizeof out, "a\nb");
    assert_string_equal(out, "a?b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_problem_table),
        cmocka_unit_test(test_problem_json),
        cmocka_unit_test(test_problem_response),
        cmocka_unit_test(test_problem_routes),
        cmocka_unit_test(test_problem_body),
        cmocka_unit_test(test_problem_order_fields),
        cmocka_unit_test(test_problem_query_paging),
        cmocka_unit_test(test_problem_request_params),
        cmocka_unit_test(test_problem_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
