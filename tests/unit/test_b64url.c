/* test_b64url — base64url without padding: RFC 4648 vectors, round trips, strict rejection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/b64.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

/* Encodes s and checks the text, then decodes it back and checks the bytes. */
static void check_vector(const char *plain, const char *encoded)
{
    char *e = b64url_encode(plain, strlen(plain));
    assert_string_equal(e, encoded);
    unsigned char *d = NULL;
    size_t n = 99;
    assert_true(b64url_decode(e, &d, &n));
    assert_int_equal(n, strlen(plain));
    assert_memory_equal(d, plain, n);
    assert_int_equal(d[n], '\0');
    free(e);
    free(d);
}

/* RFC 4648 §10 vectors: the url alphabet only differs in 62/63, and padding is dropped. */
static void test_rfc4648_vectors(void **state)
{
    (void)state;
    check_vector("", "");
    check_vector("f", "Zg");
    check_vector("fo", "Zm8");
    check_vector("foo", "Zm9v");
    check_vector("foob", "Zm9vYg");
    check_vector("fooba", "Zm9vYmE");
    check_vector("foobar", "Zm9vYmFy");
}

/* Bytes that hit value 62 and 63 come out as '-' and '_' (the standard alphabet's '+' and '/'). */
static void test_url_alphabet(void **state)
{
    (void)state;
    const unsigned char a[] = { 0xfb, 0xff };       /* standard: "+/8=" */
    const unsigned char b[] = { 0xff, 0xff, 0xbe }; /* standard: "//++" */
    const unsigned char c[] = { 0x03, 0xef, 0xff }; /* standard: "A+//" */
    char *e = b64url_encode(a, sizeof a);
    assert_string_equal(e, "-_8");
    free(e);
    e = b64url_encode(b, sizeof b);
    assert_string_equal(e, "__--");
    free(e);
    e = b64url_encode(c, sizeof c);
    assert_string_equal(e, "A-__");
    unsigned char *d = NULL;
    size_t n = 0;
    assert_true(b64url_decode(e, &d, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(d, c, 3);
    free(d);
    free(e);
}

/* Random bytes of every length 0..64 survive encode + decode, and the text has no padding. */
static void test_round_trips(void **state)
{
    (void)state;
    unsigned char buf[64];
    for (size_t len = 0; len <= sizeof buf; len++) {
        for (int rep = 0; rep < 8; rep++) {
            assert_int_equal(RAND_bytes(buf, sizeof buf), 1);
            char *e = b64url_encode(buf, len);
            assert_int_equal(strlen(e), (len * 4 + 2) / 3); /* unpadded length */
            assert_null(strpbrk(e, "+/="));
            if (len)
                assert_true(b64url_valid(e, 1000));
            unsigned char *d = NULL;
            size_t n = 0;
            assert_true(b64url_decode(e, &d, &n));
            assert_int_equal(n, len);
            if (len)
                assert_memory_equal(d, buf, len);
            free(d);
            free(e);
        }
    }
}

/* Decoding must fail: the standard alphabet, padding, whitespace, impossible lengths. */
static void test_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "Zm9v+A",    /* '+' */
        "Zm9v/A",    /* '/' */
        "Zg==",      /* padding */
        "Zg=",       /* partial padding */
        "Zm9vY",     /* len % 4 == 1 */
        "A",         /* len % 4 == 1 */
        "Zm9vYmFyZ", /* len % 4 == 1 */
        "Zm 9v",     /* space */
        "Zm9v\n",    /* newline */
        "Zh",        /* non-zero leftover bits: would alias "Zg" */
        "Zm9",       /* same for 2 bytes: "Zm8" is the canonical form */
        "Zm9v!!",
        "\xc3\xa9\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char *d = (unsigned char *)"untouched";
        size_t n = 7;
        assert_false(b64url_decode(bad[i], &d, &n));
        assert_string_equal((const char *)d, "untouched");
        assert_int_equal(n, 7);
    }
    unsigned char *d = NULL;
    size_t n = 0;
    assert_false(b64url_decode(NULL, &d, &n));
}

/* b64url_valid: alphabet only, 1..maxlen characters. */
static void test_valid(void **state)
{
    (void)state;
    assert_false(b64url_valid(NULL, 10));
    assert_false(b64url_valid("", 10));
    assert_true(b64url_valid("a", 1));
    assert_true(b64url_valid("aB9-_", 5));
    assert_false(b64url_valid("aB9-_", 4));
    assert_false(b64url_valid("a/b", 10));
    assert_false(b64url_valid("a+b", 10));
    assert_false(b64url_valid("ab=", 10));
    assert_false(b64url_valid("a b", 10));
    assert_false(b64url_valid("../etc/passwd", 100));
    assert_false(b64url_valid("tok\x01", 10));
    char tok[258];
    memset(tok, 'x', 256);
    tok[256] = '\0';
    assert_true(b64url_valid(tok, 256));
    tok[256] = 'x';
    tok[257] = '\0';
    assert_false(b64url_valid(tok, 256));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors), cmocka_unit_test(test_url_alphabet), cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_rejects),         cmocka_unit_test(test_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
