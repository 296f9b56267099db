/* test_seal — AES-256-GCM sealing of secrets and the master key file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/seal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char key1[SEAL_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const char secret[] = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";

/* Sealed and opened again with the same key and aad gives the same bytes, NUL-terminated. */
static void test_round_trip(void **state)
{
    (void)state;
    unsigned char *blob = NULL, *pt = NULL;
    size_t blen = 0, ptlen = 0;
    assert_true(seal_encrypt(key1, secret, strlen(secret), "certificate-key:42", &blob, &blen));
    assert_int_equal(blen, 1 + 12 + strlen(secret) + 16);
    assert_int_equal(blob[0], 1);
    assert_null(memmem(blob, blen, "PRIVATE KEY", 11)); /* the plaintext is not in the blob */
    assert_true(seal_decrypt(key1, blob, blen, "certificate-key:42", &pt, &ptlen));
    assert_int_equal(ptlen, strlen(secret));
    assert_string_equal((char *)pt, secret);
    free(pt);

    /* A fresh nonce each time: the same input never gives the same blob. */
    unsigned char *blob2 = NULL;
    size_t blen2 = 0;
    assert_true(seal_encrypt(key1, secret, strlen(secret), "certificate-key:42", &blob2, &blen2));
    assert_int_equal(blen2, blen);
    assert_memory_not_equal(blob + 1, blob2 + 1, 12);
    free(blob2);
    free(blob);

    /* Empty plaintext and NULL aad work too. */
    assert_true(seal_encrypt(key1, "", 0, NULL, &blob, &blen));
    assert_int_equal(blen, 29);
    assert_true(seal_decrypt(key1, blob, blen, NULL, &pt, &ptlen));
    assert_int_equal(ptlen, 0);
    assert_string_equal((char *)pt, "");
    free(pt);
    free(blob);
}

/* Changing any single byte of the blob (version, nonce, ciphertext, tag) makes it fail. */
static void test_tamper(void **state)
{
    (void)state;
    unsigned char *blob = NULL, *pt = NULL;
    size_t blen = 0, ptlen = 0;
    assert_true(seal_encrypt(key1, secret, strlen(secret), "account-key:7", &blob, &blen));
    for (size_t i = 0; i < blen; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            blob[i] ^= (unsigned char)(1u << bit);
            pt = NULL;
            assert_false(seal_decrypt(key1, blob, blen, "account-key:7", &pt, &ptlen));
            assert_null(pt);
            blob[i] ^= (unsigned char)(1u << bit);
        }
    }
    /* Truncated and extended blobs fail too. */
    assert_false(seal_decrypt(key1, blob, blen - 1, "account-key:7", &pt, &ptlen));
    assert_false(seal_decrypt(key1, blob, 28, "account-key:7", &pt, &ptlen));
    assert_false(seal_decrypt(key1, blob, 0, "account-key:7", &pt, &ptlen));
    unsigned char *longer = malloc(blen + 1);
    memcpy(longer, blob, blen);
    longer[blen] = 0;
    assert_false(seal_decrypt(key1, longer, blen + 1, "account-key:7", &pt, &ptlen));
    free(longer);
    /* Untouched, it still opens: the failures above came from the changes. */
    assert_true(seal_decrypt(key1, blob, blen, "account-key:7", &pt, &ptlen));
    free(pt);
    free(blob);
}

/* Another aad or another key fails. */
static void test_wrong_aad_and_key(void **state)
{
    (void)state;
    unsigned char *blob = NULL, *pt = NULL;
    size_t blen = 0, ptlen = 0;
    assert_true(seal_encrypt(key1, secret, strlen(secret), "certificate-key:1", &blob, &blen));
    assert_false(seal_decrypt(key1, blob, blen, "certificate-key:2", &pt, &ptlen));
    assert_false(seal_decrypt(key1, blob, blen, "account-key:1", &pt, &ptlen));
    assert_false(seal_decrypt(key1, blob, blen, NULL, &pt, &ptlen));
    assert_false(seal_decrypt(key1, blob, blen, "", &pt, &ptlen));
    unsigned char key2[SEAL_KEY_LEN];
    memcpy(key2, key1, sizeof key2);
    key2[31] ^= 0x80;
    assert_false(seal_decrypt(key2, blob, blen, "certificate-key:1", &pt, &ptlen));
    assert_null(pt);
    free(blob);
    /* Sealed without aad, opened with one: fails as well. */
    assert_true(seal_encrypt(key1, "x", 1, NULL, &blob, &blen));
    assert_false(seal_decrypt(key1, blob, blen, "certificate-key:1", &pt, &ptlen));
    free(blob);
}

/* Writes content to a fresh temp file with the given mode; returns its path (static buffer). */
static const char *temp_file(const char *content, size_t len, mode_t mode)
{
    static char path[64];
    strcpy(path, "/tmp/test_seal_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    return path;
}

/* The master key file: 64 hex characters and an optional newline, nothing else. */
static void test_key_load(void **state)
{
    (void)state;
    const char hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";
    unsigned char k[SEAL_KEY_LEN];
    char err[256];
    const char *p = temp_file(hex, 64, 0600);
    assert_true(seal_key_load(p, k, err, sizeof err));
    for (int i = 0; i < SEAL_KEY_LEN; i++)
        assert_int_equal(k[i], i);
    unlink(p);

    char with_nl[66];
    memcpy(with_nl, hex, 64);
    with_nl[64] = '\n';
    p = temp_file(with_nl, 65, 0600);
    memset(k, 0, sizeof k);
    assert_true(seal_key_load(p, k, err, sizeof err));
    assert_int_equal(k[31], 31);
    unlink(p);

    /* Readable by the group or others: refused, and the message says how to fix it. */
    static const mode_t loose[] = { 0644, 0640, 0604, 0660 };
    for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++) {
        p = temp_file(hex, 64, loose[i]);
        assert_false(seal_key_load(p, k, err, sizeof err));
        assert_non_null(strstr(err, "chmod 0600"));
        assert_non_null(strstr(err, p));
        unlink(p);
    }

    struct {
        const char *content;
        size_t len;
    } bad[] = {
        { hex, 63 },                                                                   /* too short */
        { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00", 66 }, /* too long */
        { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n\n", 66 },
        { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g", 64 },   /* not hex */
        { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\r\n", 66 },
        { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f ", 65 },
        { " 00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 64 },
        { "", 0 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = temp_file(bad[i].content, bad[i].len, 0600);
        err[0] = '\0';
        assert_false(seal_key_load(p, k, err, sizeof err));
        assert_non_null(strstr(err, "hex"));
        unlink(p);
    }
    /* Binary: 32 raw bytes are not accepted as a key file. */
    p = temp_file((const char *)key1, 32, 0600);
    assert_false(seal_key_load(p, k, err, sizeof err));
    unlink(p);
    /* Missing file and a directory. */
    assert_false(seal_key_load("/nonexistent/certmill.key", k, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/certmill.key"));
    assert_false(seal_key_load("/tmp", k, err, sizeof err));
    assert_false(seal_key_load("/tmp", k, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tamper),
        cmocka_unit_test(test_wrong_aad_and_key),
        cmocka_unit_test(test_key_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
