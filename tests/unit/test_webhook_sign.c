/* test_webhook_sign — Standard Webhooks signatures: the specification's example, secrets, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/xalloc.h"
#include "webhook/sign.h"

#include <stdlib.h>
#include <string.h>

/* The example of the Standard Webhooks specification (and its reference libraries' tests). */
static void test_spec_vector(void **state)
{
    (void)state;
    const char *body = "{\"test\": 2432232314}";
    char *sig = wh_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
                        strlen(body));
    assert_non_null(sig);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    free(sig);
    /* Any change of id, timestamp or body changes the signature. */
    char *other = wh_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body,
                          strlen(body));
    assert_string_not_equal(other, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    free(other);
}

/* New secrets: prefix, 32 key bytes, different every time, and they sign. */
static void test_new_secret(void **state)
{
    (void)state;
    char *a = wh_secret_new(), *b = wh_secret_new();
    assert_non_null(a);
    assert_non_null(b);
    assert_true(strncmp(a, "whsec_", 6) == 0);
    assert_string_not_equal(a, b);
    unsigned char *key = NULL;
    size_t n = 0;
    assert_true(wh_secret_key(a, &key, &n));
    assert_int_equal(n, WH_SECRET_BYTES);
    xfree_secret(key, n);
    char *sig = wh_sign(a, "msg_1", 1, "{}", 2);
    assert_non_null(sig);
    assert_true(strncmp(sig, "v1,", 3) == 0);
    assert_int_equal(strlen(sig), 3 + 44);
    free(sig);
    xfree_secret(a, strlen(a));
    xfree_secret(b, strlen(b));
}

/* Anything but whsec_ + base64 is refused. */
static void test_bad_secrets(void **state)
{
    (void)state;
    static const char *const bad[] = { "", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_abc",
                                       "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!", "whsec_MfKQ-r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                       "whsec_====" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char *key = NULL;
        size_t n = 0;
        assert_false(wh_secret_key(bad[i], &key, &n));
        assert_null(key);
        assert_null(wh_sign(bad[i], "msg_1", 1, "{}", 2));
    }
    /* Padding is not key material. */
    unsigned char *key = NULL;
    size_t n = 0;
    assert_true(wh_secret_key("whsec_YWJj", &key, &n));
    assert_int_equal(n, 3);
    free(key);
    assert_true(wh_secret_key("whsec_YWI=", &key, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(key, "ab", 2);
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_vector),
        cmocka_unit_test(test_new_secret),
        cmocka_unit_test(test_bad_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
