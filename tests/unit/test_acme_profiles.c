/*
 * test_acme_profiles — ACME profiles (draft-aaron-acme-profiles): meta.profiles read from
 * recorded directories with its limits, and the newOrder payload that carries "profile"
 * (and RFC 9773 "replaces"). Debian's Pebble 2.4 offers no profiles, so these are the tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "acme/acme.h"
#include "acme/internal.h"
#include "base/buf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A client whose directory is the fixture, as if loaded from the CA (no network). */
static struct acme_client *client_with_directory(const char *name)
{
    struct acme_opts o = { .directory_url = "https://acme.example.test/directory" };
    struct acme_client *c = acme_client_new(&o);
    assert_non_null(c);
    size_t len;
    char *text = fixture(name, &len);
    assert_true(acme_dir_parse(text, len, &c->dir));
    free(text);
    return c;
}

/* A directory in Let's Encrypt's shape: three profiles and renewalInfo. */
static void test_directory_with_profiles(void **state)
{
    (void)state;
    struct acme_client *c = client_with_directory("acme/directory-profiles-ari.json");
    const struct acme_profile *p = NULL;
    assert_int_equal(acme_directory_profiles(c, &p), 3);
    assert_string_equal(p[0].name, "classic");
    assert_string_equal(p[1].name, "shortlived");
    assert_string_equal(p[1].description, "https://acme.example.test/docs/profiles#shortlived");
    assert_string_equal(p[2].name, "tlsserver");
    assert_true(acme_directory_has_profile(c, "shortlived"));
    assert_true(acme_directory_has_profile(c, "classic"));
    assert_false(acme_directory_has_profile(c, "Shortlived")); /* names are exact */
    assert_false(acme_directory_has_profile(c, "default"));
    assert_false(acme_directory_has_profile(c, NULL));
    assert_true(acme_directory_has_renewal_info(c));
    assert_string_equal(c->dir.renewal_info, "https://acme.example.test/acme/renewal-info");
    acme_client_free(c);
}

/* Debian's Pebble 2.4 directory, recorded from the test stack: neither profiles nor renewalInfo. */
static void test_directory_pebble_has_neither(void **state)
{
    (void)state;
    struct acme_client *c = client_with_directory("acme/directory-pebble-2.4.json");
    const struct acme_profile *p = (const struct acme_profile *)1;
    assert_int_equal(acme_directory_profiles(c, &p), 0);
    assert_null(p);
    assert_false(acme_directory_has_profile(c, "shortlived"));
    assert_false(acme_directory_has_renewal_info(c));
    assert_null(c->dir.renewal_info);
    acme_client_free(c);
}

/* A directory that is not loaded offers nothing. */
static void test_directory_not_loaded(void **state)
{
    (void)state;
    struct acme_opts o = { .directory_url = "https://acme.example.test/directory" };
    struct acme_client *c = acme_client_new(&o);
    const struct acme_profile *p = NULL;
    assert_int_equal(acme_directory_profiles(c, &p), 0);
    assert_false(acme_directory_has_renewal_info(c));
    acme_client_free(c);
}

/* Parses a directory text with the given meta.profiles member into d. */
static bool dir_with_profiles(const char *profiles_json, struct acme_dir *d)
{
    char *text = NULL;
    int n = asprintf(&text,
                     "{\"newNonce\":\"https://ca.test/n\",\"newAccount\":\"https://ca.test/a\","
                     "\"newOrder\":\"https://ca.test/o\",\"meta\":{\"profiles\":%s}}",
                     profiles_json);
    assert_true(n > 0);
    memset(d, 0, sizeof *d);
    bool ok = acme_dir_parse(text, strlen(text), d);
    free(text);
    return ok;
}

/* Odd entries are skipped, never the directory: bad names, non-string descriptions, a non-object. */
static void test_profiles_odd_entries(void **state)
{
    (void)state;
    struct acme_dir d;
    char longname[ACME_MAX_PROFILE_NAME + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    char *json = NULL;
    assert_true(asprintf(&json, "{\"ok\":\"fine\",\"with space\":\"x\",\"%s\":\"too long\",\"num\":3,\"\":\"empty\","
                                "\"nul\":null,\"ctl\\u0001\":\"x\",\"last\":\"\"}",
                         longname) > 0);
    assert_true(dir_with_profiles(json, &d));
    free(json);
    assert_int_equal(d.n_profiles, 2);
    assert_string_equal(d.profiles[0].name, "ok");
    assert_string_equal(d.profiles[1].name, "last");
    assert_string_equal(d.profiles[1].description, "");
    acme_dir_clear(&d);

    /* A name of exactly the limit is kept. */
    longname[ACME_MAX_PROFILE_NAME] = '\0';
    assert_true(asprintf(&json, "{\"%s\":\"at the limit\"}", longname) > 0);
    assert_true(dir_with_profiles(json, &d));
    free(json);
    assert_int_equal(d.n_profiles, 1);
    assert_int_equal(strlen(d.profiles[0].name), ACME_MAX_PROFILE_NAME);
    acme_dir_clear(&d);

    /* Not an object: no profiles, but the directory itself still loads. */
    assert_true(dir_with_profiles("[\"classic\"]", &d));
    assert_true(d.loaded);
    assert_int_equal(d.n_profiles, 0);
    assert_null(d.profiles);
    acme_dir_clear(&d);
    assert_true(dir_with_profiles("{}", &d));
    assert_int_equal(d.n_profiles, 0);
    acme_dir_clear(&d);
}

/* At most ACME_MAX_PROFILES are kept; a long description is cut without breaking UTF-8. */
static void test_profiles_limits(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_true(buf_append(&b, "{", 1));
    for (int i = 0; i < ACME_MAX_PROFILES + 8; i++) {
        char item[64];
        int n = snprintf(item, sizeof item, "%s\"p%02d\":\"profile %d\"", i ? "," : "", i, i);
        assert_true(buf_append(&b, item, (size_t)n));
    }
    assert_true(buf_append(&b, "}", 2)); /* with the terminating NUL */
    struct acme_dir d;
    assert_true(dir_with_profiles(b.data, &d));
    buf_free(&b);
    assert_int_equal(d.n_profiles, ACME_MAX_PROFILES);
    assert_string_equal(d.profiles[0].name, "p00");
    assert_string_equal(d.profiles[ACME_MAX_PROFILES - 1].name, "p31");
    acme_dir_clear(&d);

    /* 600 two-byte characters (é): cut to at most ACME_MAX_PROFILE_DESC bytes of whole characters. */
    buf_init(&b, 0);
    assert_true(buf_append(&b, "{\"long\":\"", 9));
    for (int i = 0; i < 600; i++)
        assert_true(buf_append(&b, "\xc3\xa9", 2));
    assert_true(buf_append(&b, "\"}", 3));
    assert_true(dir_with_profiles(b.data, &d));
    buf_free(&b);
    assert_int_equal(d.n_profiles, 1);
    size_t n = strlen(d.profiles[0].description);
    assert_true(n <= ACME_MAX_PROFILE_DESC && n >= ACME_MAX_PROFILE_DESC - 2);
    assert_int_equal(n % 2, 0);
    json_t *s = json_string(d.profiles[0].description); /* NULL if the cut broke UTF-8 */
    assert_non_null(s);
    json_decref(s);
    acme_dir_clear(&d);
}

/* Parses a payload text (and checks it is an object). */
static json_t *payload_json(const char *text)
{
    assert_non_null(text);
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    assert_true(json_is_object(o));
    return o;
}

/* newOrder with a profile: the identifiers and "profile", nothing else. */
static void test_order_payload_profile(void **state)
{
    (void)state;
    const char *names[] = { "www.example.test", "*.example.test" };
    struct acme_order_opts opts = { .profile = "shortlived" };
    char *text = acme_order_payload(names, 2, &opts);
    json_t *o = payload_json(text);
    assert_int_equal(json_object_size(o), 2);
    assert_string_equal(json_string_value(json_object_get(o, "profile")), "shortlived");
    json_t *ids = json_object_get(o, "identifiers");
    assert_int_equal(json_array_size(ids), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ids, 0), "type")), "dns");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ids, 1), "value")), "*.example.test");
    assert_null(json_object_get(o, "replaces"));
    json_decref(o);
    free(text);
}

/* Without options (or with empty ones) the payload is the plain RFC 8555 one. */
static void test_order_payload_plain(void **state)
{
    (void)state;
    const char *names[] = { "example.test" };
    struct acme_order_opts none = { 0 };
    char *a = acme_order_payload(names, 1, NULL);
    char *b = acme_order_payload(names, 1, &none);
    assert_string_equal(a, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"example.test\"}]}");
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* A renewal (RFC 9773 §5): "replaces" carries the ARI identifier of the certificate replaced. */
static void test_order_payload_replaces(void **state)
{
    (void)state;
    const char *names[] = { "example.test" };
    struct acme_order_opts opts = { .profile = "classic", .replaces = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE" };
    char *text = acme_order_payload(names, 1, &opts);
    json_t *o = payload_json(text);
    assert_int_equal(json_object_size(o), 3);
    assert_string_equal(json_string_value(json_object_get(o, "replaces")), "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    assert_string_equal(json_string_value(json_object_get(o, "profile")), "classic");
    json_decref(o);
    free(text);
    opts.profile = NULL;
    text = acme_order_payload(names, 1, &opts);
    o = payload_json(text);
    assert_int_equal(json_object_size(o), 2);
    assert_null(json_object_get(o, "profile"));
    json_decref(o);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directory_with_profiles), cmocka_unit_test(test_directory_pebble_has_neither),
        cmocka_unit_test(test_directory_not_loaded),    cmocka_unit_test(test_profiles_odd_entries),
        cmocka_unit_test(test_profiles_limits),         cmocka_unit_test(test_order_payload_profile),
        cmocka_unit_test(test_order_payload_plain),     cmocka_unit_test(test_order_payload_replaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
