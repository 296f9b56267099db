/*
 * test_provider_check — the API's check of DNS provider settings: for each type, valid
 * settings pass with their defaults filled in, and each bad setting is refused naming
 * the member at fault ("config.key_name", "secret.key_secret", ...).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/config.h"
#include "providers/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A TSIG secret as tsig-keygen prints it (32 bytes). */
#define TSIG "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk="

/* One case: type, config and secret as JSON text (secret NULL: none), the field expected ("" = passes). */
struct check_case {
    const char *type;
    const char *config;
    const char *secret;
    const char *field;
};

static const struct check_case cases[] = {
    /* rfc2136 */
    { "rfc2136", "{\"key_name\":\"certmill-key\"}", "{\"key_secret\":\"" TSIG "\"}", "" },
    { "rfc2136", "{\"key_name\":\"tsig.example.net.\",\"algorithm\":\"hmac-sha512\",\"server\":\"192.0.2.53:5353\","
                 "\"zone\":\"example.net\"}",
      "{\"key_secret\":\"" TSIG "\"}", "" },
    { "rfc2136", "{\"key_name\":\"k\",\"server\":\"192.0.2.53\"}", "{\"key_secret\":\"" TSIG "\"}", "" },
    { "rfc2136", "{\"key_name\":\"k\",\"server\":\"2001:db8::53\"}", "{\"key_secret\":\"" TSIG "\"}", "" },
    { "rfc2136", "{\"key_name\":\"k\",\"server\":\"[2001:db8::53]:53\"}", "{\"key_secret\":\"" TSIG "\"}", "" },
    { "rfc2136", "{\"key_name\":\"k\",\"server\":\"[2001:db8::53]\"}", "{\"key_secret\":\"" TSIG "\"}", "" },
    { "rfc2136", "{\"key_name\":\"k\",\"zone\":null}", "{\"key_secret\":\"" TSIG "\"}", "" },
    { "rfc2136", "{\"key_name\":\"k\"}", "{\"key_secret\":\"YQ==\"}", "" }, /* one byte */
    { "rfc2136", "{}", "{\"key_secret\":\"" TSIG "\"}", "config.key_name" },
    { "rfc2136", "{\"key_name\":null}", "{\"key_secret\":\"" TSIG "\"}", "config.key_name" },
    { "rfc2136", "{\"key_name\":\"\"}", "{\"key_secret\":\"" TSIG "\"}", "config.key_name" },
    { "rfc2136", "{\"key_name\":\"a..b\"}", "{\"key_secret\":\"" TSIG "\"}", "config.key_name" },
    { "rfc2136", "{\"key_name\":\"a b\"}", "{\"key_secret\":\"" TSIG "\"}", "config.key_name" },
    { "rfc2136", "{\"key_name\":7}", "{\"key_secret\":\"" TSIG "\"}", "config.key_name" },
    { "rfc2136", "{\"key_name\":\"k\",\"algorithm\":\"hmac-sha3\"}", "{\"key_secret\":\"" TSIG "\"}",
      "config.algorithm" },
    { "rfc2136", "{\"key_name\":\"k\",\"server\":\"ns1.example.net\"}", "{\"key_secret\":\"" TSIG "\"}",
      "config.server" },
    { "rfc2136", "{\"key_name\":\"k\",\"server\":\"192.0.2.53:0\"}", "{\"key_secret\":\"" TSIG "\"}",
      "config.server" },
    { "rfc2136", "{\"key_name\":\"k\",\"server\":\"192.0.2.53:65536\"}", "{\"key_secret\":\"" TSIG "\"}",
      "config.server" },
    { "rfc2136", "{\"key_name\":\"k\",\"server\":\"192.0.2.53:\"}", "{\"key_secret\":\"" TSIG "\"}",
      "config.server" },
    { "rfc2136", "{\"key_name\":\"k\",\"server\":\"192.0.2.256\"}", "{\"key_secret\":\"" TSIG "\"}",
      "config.server" },
    { "rfc2136", "{\"key_name\":\"k\",\"server\":\"[192.0.2.53]:53\"}", "{\"key_secret\":\"" TSIG "\"}",
      "config.server" },
    { "rfc2136", "{\"key_name\":\"k\",\"server\":\"[2001:db8::53]53\"}", "{\"key_secret\":\"" TSIG "\"}",
      "config.server" },
    { "rfc2136", "{\"key_name\":\"k\",\"zone\":\"-\"}", "{\"key_secret\":\"" TSIG "\"}", "config.zone" },
    { "rfc2136", "{\"key_name\":\"k\",\"port\":53}", "{\"key_secret\":\"" TSIG "\"}", "config.port" },
    { "rfc2136", "{\"key_name\":\"k\"}", NULL, "secret.key_secret" },
    { "rfc2136", "{\"key_name\":\"k\"}", "{}", "secret.key_secret" },
    { "rfc2136", "{\"key_name\":\"k\"}", "{\"key_secret\":\"not base64!\"}", "secret.key_secret" },
    { "rfc2136", "{\"key_name\":\"k\"}", "{\"key_secret\":\"YWJj\\nZGVm\"}", "secret.key_secret" },
    { "rfc2136", "{\"key_name\":\"k\"}", "{\"key_secret\":\"YWJ\"}", "secret.key_secret" },
    { "rfc2136", "{\"key_name\":\"k\"}", "{\"key_secret\":\"YQ=a\"}", "secret.key_secret" },
    { "rfc2136", "{\"key_name\":\"k\"}", "{\"key_secret\":\"\"}", "secret.key_secret" },
    { "rfc2136", "{\"key_name\":\"k\"}", "{\"key_secret\":12}", "secret.key_secret" },
    { "rfc2136", "{\"key_name\":\"k\"}", "{\"key_secret\":\"" TSIG "\",\"password\":\"x\"}", "secret.password" },
    /* powerdns */
    { "powerdns", "{\"api_url\":\"http://127.0.0.1:8081\"}", "{\"api_key\":\"s3cr3t\"}", "" },
    { "powerdns", "{\"api_url\":\"https://pdns.example.net/\",\"server_id\":\"localhost\"}", "{\"api_key\":\"k\"}",
      "" },
    { "powerdns", "{}", "{\"api_key\":\"k\"}", "config.api_url" },
    { "powerdns", "{\"api_url\":\"ftp://pdns.example.net\"}", "{\"api_key\":\"k\"}", "config.api_url" },
    { "powerdns", "{\"api_url\":\"http://\"}", "{\"api_key\":\"k\"}", "config.api_url" },
    { "powerdns", "{\"api_url\":\"http://a b\"}", "{\"api_key\":\"k\"}", "config.api_url" },
    { "powerdns", "{\"api_url\":\"http://h\",\"server_id\":\"../zones\"}", "{\"api_key\":\"k\"}",
      "config.server_id" },
    { "powerdns", "{\"api_url\":\"http://h\"}", NULL, "secret.api_key" },
    { "powerdns", "{\"api_url\":\"http://h\"}", "{\"api_key\":\"\"}", "secret.api_key" },
    { "powerdns", "{\"api_url\":\"http://h\"}", "{\"api_key\":\"a\\r\\nX-Evil: 1\"}", "secret.api_key" },
    { "powerdns", "{\"api_url\":\"http://h\",\"key_name\":\"k\"}", "{\"api_key\":\"k\"}", "config.key_name" },
    /* exec (the operator allows two programs) */
    { "exec", "{\"program\":\"/usr/local/bin/dns-hook\"}", NULL, "" },
    { "exec", "{\"program\":\"/opt/hooks/acme.sh\",\"timeout_s\":300}", "{}", "" },
    { "exec", "{\"program\":\"/usr/local/bin/dns-hook\",\"timeout_s\":1}", NULL, "" },
    { "exec", "{}", NULL, "config.program" },
    { "exec", "{\"program\":\"/bin/sh\"}", NULL, "config.program" },
    { "exec", "{\"program\":\"/usr/local/bin/dns\"}", NULL, "config.program" },
    { "exec", "{\"program\":\"/usr/local/bin/dns-hook /opt/hooks/acme.sh\"}", NULL, "config.program" },
    { "exec", "{\"program\":\"/usr/local/bin/dns-hook\",\"timeout_s\":0}", NULL, "config.timeout_s" },
    { "exec", "{\"program\":\"/usr/local/bin/dns-hook\",\"timeout_s\":301}", NULL, "config.timeout_s" },
    { "exec", "{\"program\":\"/usr/local/bin/dns-hook\",\"timeout_s\":\"60\"}", NULL, "config.timeout_s" },
    { "exec", "{\"program\":\"/usr/local/bin/dns-hook\",\"timeout_s\":1.5}", NULL, "config.timeout_s" },
    { "exec", "{\"program\":\"/usr/local/bin/dns-hook\"}", "{\"token\":\"x\"}", "secret.token" },
    { "exec", "{\"program\":\"/usr/local/bin/dns-hook\",\"args\":\"-v\"}", NULL, "config.args" },
    /* manual */
    { "manual", "{}", NULL, "" },
    { "manual", "{}", "{}", "" },
    { "manual", "{\"server\":\"192.0.2.53\"}", NULL, "config.server" },
    { "manual", "{}", "{\"key_secret\":\"" TSIG "\"}", "secret.key_secret" },
};

/* Runs provider_check on one case; returns the field reported ("" when it passed) and keeps config. */
static const char *run_case(const struct config *cfg, const struct check_case *c, json_t **config, char *field,
                            size_t fieldlen, char *err, size_t errlen)
{
    int t = provider_type_parse(c->type);
    assert_true(t >= 0);
    *config = json_loads(c->config, 0, NULL);
    json_t *secret = c->secret ? json_loads(c->secret, 0, NULL) : NULL;
    assert_non_null(*config);
    field[0] = err[0] = '\0';
    bool ok = provider_check((enum provider_type)t, *config, secret, cfg, field, fieldlen, err, errlen);
    json_decref(secret);
    if (ok) {
        assert_string_equal(field, "");
        return "";
    }
    /* A refusal always says what and why. */
    assert_true(field[0] != '\0');
    assert_true(err[0] != '\0');
    return field;
}

/* Every case of the table gets the field it expects. */
static void test_check_table(void **state)
{
    (void)state;
    struct config cfg = { .dns_exec_programs = "/usr/local/bin/dns-hook  /opt/hooks/acme.sh" };
    char field[96], err[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *config = NULL;
        const char *got = run_case(&cfg, &cases[i], &config, field, sizeof field, err, sizeof err);
        if (strcmp(got, cases[i].field) != 0)
            fail_msg("case %zu %s %s %s: got field \"%s\" (%s), want \"%s\"", i, cases[i].type, cases[i].config,
                     cases[i].secret ? cases[i].secret : "-", got, err, cases[i].field);
        json_decref(config);
    }
}

/* Defaults are filled into config; what was given stays; nulls are dropped. */
static void test_check_defaults(void **state)
{
    (void)state;
    struct config cfg = { .dns_exec_programs = "/usr/local/bin/dns-hook" };
    char field[96], err[512];
    json_t *config = NULL;
    struct check_case rfc = { "rfc2136", "{\"key_name\":\"k\",\"zone\":null}", "{\"key_secret\":\"" TSIG "\"}", "" };
    assert_string_equal(run_case(&cfg, &rfc, &config, field, sizeof field, err, sizeof err), "");
    assert_string_equal(json_string_value(json_object_get(config, "algorithm")), "hmac-sha256");
    assert_string_equal(json_string_value(json_object_get(config, "key_name")), "k");
    assert_null(json_object_get(config, "zone"));
    assert_null(json_object_get(config, "server"));
    json_decref(config);

    struct check_case given = { "rfc2136", "{\"key_name\":\"k\",\"algorithm\":\"hmac-md5\"}",
                                "{\"key_secret\":\"" TSIG "\"}", "" };
    assert_string_equal(run_case(&cfg, &given, &config, field, sizeof field, err, sizeof err), "");
    assert_string_equal(json_string_value(json_object_get(config, "algorithm")), "hmac-md5");
    json_decref(config);

    struct check_case pdns = { "powerdns", "{\"api_url\":\"http://h:8081\"}", "{\"api_key\":\"k\"}", "" };
    assert_string_equal(run_case(&cfg, &pdns, &config, field, sizeof field, err, sizeof err), "");
    assert_string_equal(json_string_value(json_object_get(config, "server_id")), "localhost");
    json_decref(config);

    struct check_case ex = { "exec", "{\"program\":\"/usr/local/bin/dns-hook\"}", NULL, "" };
    assert_string_equal(run_case(&cfg, &ex, &config, field, sizeof field, err, sizeof err), "");
    assert_int_equal(json_integer_value(json_object_get(config, "timeout_s")), 60);
    json_decref(config);

    struct check_case man = { "manual", "{}", NULL, "" };
    assert_string_equal(run_case(&cfg, &man, &config, field, sizeof field, err, sizeof err), "");
    assert_int_equal(json_object_size(config), 0);
    json_decref(config);
}

/* Secrets are never quoted back in the reason; the reason names the setting. */
static void test_check_reasons(void **state)
{
    (void)state;
    struct config cfg = { 0 };
    char field[96], err[512];
    json_t *config = NULL;
    struct check_case bad = { "rfc2136", "{\"key_name\":\"k\"}", "{\"key_secret\":\"topsecret!!\"}", "" };
    assert_string_equal(run_case(&cfg, &bad, &config, field, sizeof field, err, sizeof err), "secret.key_secret");
    assert_null(strstr(err, "topsecret"));
    assert_non_null(strstr(err, "secret.key_secret"));
    json_decref(config);

    struct check_case key = { "powerdns", "{\"api_url\":\"http://h\"}", "{\"api_key\":\"sec\\nret\"}", "" };
    assert_string_equal(run_case(&cfg, &key, &config, field, sizeof field, err, sizeof err), "secret.api_key");
    assert_null(strstr(err, "sec\nret"));
    json_decref(config);

    /* Without [dns] exec_programs, an exec provider cannot be made, and the reason says so. */
    struct check_case ex = { "exec", "{\"program\":\"/usr/local/bin/dns-hook\"}", NULL, "" };
    assert_string_equal(run_case(&cfg, &ex, &config, field, sizeof field, err, sizeof err), "config.program");
    assert_non_null(strstr(err, "allowed no programs"));
    json_decref(config);
    struct config blank = { .dns_exec_programs = "  " };
    assert_string_equal(run_case(&blank, &ex, &config, field, sizeof field, err, sizeof err), "config.program");
    assert_non_null(strstr(err, "allowed no programs"));
    json_decref(config);

    /* An unknown member is named in field and reason. */
    struct check_case unk = { "manual", "{\"colour\":\"red\"}", NULL, "" };
    assert_string_equal(run_case(&cfg, &unk, &config, field, sizeof field, err, sizeof err), "config.colour");
    assert_non_null(strstr(err, "manual"));
    json_decref(config);
}

/* Over-long values are refused: a 512-byte TSIG secret passes, 513 bytes do not; URLs of 500 characters. */
static void test_check_limits(void **state)
{
    (void)state;
    struct config cfg = { 0 };
    char field[96], err[512];
    char b64[1024], url[600], buf[1200];
    json_t *config = NULL;
    /* 512 zero bytes are 684 characters of base64: "AAAA" per 3 bytes, then "AAA=" for the last 2. */
    memset(b64, 'A', 680);
    memcpy(b64 + 680, "AAA=", 5);
    snprintf(buf, sizeof buf, "{\"key_secret\":\"%s\"}", b64);
    struct check_case max = { "rfc2136", "{\"key_name\":\"k\"}", buf, "" };
    assert_string_equal(run_case(&cfg, &max, &config, field, sizeof field, err, sizeof err), "");
    json_decref(config);
    memcpy(b64 + 680, "AAAA", 5); /* 513 bytes */
    snprintf(buf, sizeof buf, "{\"key_secret\":\"%s\"}", b64);
    struct check_case over = { "rfc2136", "{\"key_name\":\"k\"}", buf, "" };
    assert_string_equal(run_case(&cfg, &over, &config, field, sizeof field, err, sizeof err), "secret.key_secret");
    json_decref(config);

    strcpy(url, "http://h/");
    memset(url + 9, 'x', 491);
    url[500] = '\0';
    snprintf(buf, sizeof buf, "{\"api_url\":\"%s\"}", url);
    struct check_case u500 = { "powerdns", buf, "{\"api_key\":\"k\"}", "" };
    assert_string_equal(run_case(&cfg, &u500, &config, field, sizeof field, err, sizeof err), "");
    json_decref(config);
    strcat(url, "x");
    snprintf(buf, sizeof buf, "{\"api_url\":\"%s\"}", url);
    struct check_case u501 = { "powerdns", buf, "{\"api_key\":\"k\"}", "" };
    assert_string_equal(run_case(&cfg, &u501, &config, field, sizeof field, err, sizeof err), "config.api_url");
    json_decref(config);
}

/* The type names round-trip and match the SQL CHECK's. */
static void test_type_names(void **state)
{
    (void)state;
    static const char *const names[] = { "rfc2136", "powerdns", "exec", "manual" };
    for (int i = 0; i < PROVIDER_TYPE_COUNT; i++) {
        assert_int_equal(provider_type_parse(names[i]), i);
        assert_string_equal(provider_type_name((enum provider_type)i), names[i]);
    }
    assert_int_equal(provider_type_parse("RFC2136"), -1);
    assert_int_equal(provider_type_parse(""), -1);
    assert_int_equal(provider_type_parse(NULL), -1);
    assert_string_equal(provider_type_name(PROVIDER_TYPE_COUNT), "unknown");
    /* A type out of range, or config that is not an object, is refused, not crashed on. */
    char field[32], err[128];
    json_t *arr = json_array();
    assert_false(provider_check(PROVIDER_TYPE_COUNT, arr, NULL, NULL, field, sizeof field, err, sizeof err));
    assert_string_equal(field, "type");
    assert_false(provider_check(PROVIDER_MANUAL, arr, NULL, NULL, field, sizeof field, err, sizeof err));
    assert_string_equal(field, "config");
    json_t *obj = json_object();
    assert_false(provider_check(PROVIDER_MANUAL, obj, arr, NULL, field, sizeof field, err, sizeof err));
    assert_string_equal(field, "secret");
    json_decref(obj);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_table),
        cmocka_unit_test(test_check_defaults),
        cmocka_unit_test(test_check_reasons),
        cmocka_unit_test(test_check_limits),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
