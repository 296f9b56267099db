/* test_seal — AES-256-GCM sealing of secrets, the key ring, row-bound AADs and the master key file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/seal.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char key1[SEAL_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const unsigned char key2[SEAL_KEY_LEN] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa,
                                                  0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5,
                                                  0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf };
static const char secret[] = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";

/* A ring of the given keys, the first one current. */
static struct seal_keyring ring_of(const unsigned char *a, const unsigned char *b)
{
    struct seal_keyring kr;
    memset(&kr, 0, sizeof kr);
    assert_true(seal_keyring_add(&kr, a));
    if (b)
        assert_true(seal_keyring_add(&kr, b));
    return kr;
}

/* A version 1 blob exactly as certmill sealed them before key ids: 1 | nonce | ct | tag, aad after nothing. */
static unsigned char *seal_v1(const unsigned char key[SEAL_KEY_LEN], const char *pt, const char *aad, size_t *outlen)
{
    size_t n = strlen(pt);
    unsigned char *blob = malloc(1 + 12 + n + 16);
    int len = 0;
    blob[0] = 1;
    assert_int_equal(RAND_bytes(blob + 1, 12), 1);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, blob + 1), 1);
    if (aad && *aad)
        assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)), 1);
    if (n)
        assert_int_equal(EVP_EncryptUpdate(ctx, blob + 13, &len, (const unsigned char *)pt, (int)n), 1);
    assert_int_equal(EVP_EncryptFinal_ex(ctx, blob + 13 + n, &len), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, blob + 13 + n), 1);
    EVP_CIPHER_CTX_free(ctx);
    *outlen = 1 + 12 + n + 16;
    return blob;
}

/* Sealed and opened again with the same ring and aad gives the same bytes, NUL-terminated. */
static void test_round_trip(void **state)
{
    (void)state;
    struct seal_keyring kr = ring_of(key1, NULL);
    unsigned char *blob = NULL, *pt = NULL;
    size_t blen = 0, ptlen = 0;
    assert_true(seal_encrypt(&kr, secret, strlen(secret), "certificate-key:42", &blob, &blen));
    assert_int_equal(blen, 1 + 4 + 12 + strlen(secret) + 16);
    assert_int_equal(blob[0], 2);
    /* The key id is the first 4 bytes of SHA-256 of the key. */
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(key1, sizeof key1, digest);
    assert_memory_equal(blob + 1, digest, 4);
    assert_true(seal_blob_is_current(&kr, blob, blen));
    assert_null(memmem(blob, blen, "PRIVATE KEY", 11)); /* the plaintext is not in the blob */
    assert_true(seal_decrypt(&kr, blob, blen, "certificate-key:42", &pt, &ptlen));
    assert_int_equal(ptlen, strlen(secret));
    assert_string_equal((char *)pt, secret);
    free(pt);

    /* A fresh nonce each time: the same input never gives the same blob. */
    unsigned char *blob2 = NULL;
    size_t blen2 = 0;
    assert_true(seal_encrypt(&kr, secret, strlen(secret), "certificate-key:42", &blob2, &blen2));
    assert_int_equal(blen2, blen);
    assert_memory_not_equal(blob + 5, blob2 + 5, 12);
    free(blob2);
    free(blob);

    /* Empty plaintext and NULL aad work too. */
    assert_true(seal_encrypt(&kr, "", 0, NULL, &blob, &blen));
    assert_int_equal(blen, 33);
    assert_true(seal_decrypt(&kr, blob, blen, NULL, &pt, &ptlen));
    assert_int_equal(ptlen, 0);
    assert_string_equal((char *)pt, "");
    free(pt);
    free(blob);
    /* An empty ring seals nothing. */
    struct seal_keyring none;
    memset(&none, 0, sizeof none);
    assert_false(seal_encrypt(&none, "x", 1, NULL, &blob, &blen));
}

/* Flipping any bit of the blob (version, key id, nonce, ciphertext, tag) makes it fail. */
static void test_tamper(void **state)
{
    (void)state;
    struct seal_keyring kr = ring_of(key1, key2);
    unsigned char *blob = NULL, *pt = NULL;
    size_t blen = 0, ptlen = 0;
    assert_true(seal_encrypt(&kr, secret, strlen(secret), "account-key:7", &blob, &blen));
    for (size_t i = 0; i < blen; i++) {
        for (int bit = 0; bit < 8; bit++) {
            blob[i] ^= (unsigned char)(1u << bit);
            pt = NULL;
            assert_false(seal_decrypt(&kr, blob, blen, "account-key:7", &pt, &ptlen));
            assert_null(pt);
            blob[i] ^= (unsigned char)(1u << bit);
        }
    }
    /* Truncated and extended blobs fail too. */
    assert_false(seal_decrypt(&kr, blob, blen - 1, "account-key:7", &pt, &ptlen));
    assert_false(seal_decrypt(&kr, blob, 32, "account-key:7", &pt, &ptlen));
    assert_false(seal_decrypt(&kr, blob, 1, "account-key:7", &pt, &ptlen));
    assert_false(seal_decrypt(&kr, blob, 0, "account-key:7", &pt, &ptlen));
    unsigned char *longer = malloc(blen + 1);
    memcpy(longer, blob, blen);
    longer[blen] = 0;
    assert_false(seal_decrypt(&kr, longer, blen + 1, "account-key:7", &pt, &ptlen));
    free(longer);
    /* Untouched, it still opens: the failures above came from the changes. */
    assert_true(seal_decrypt(&kr, blob, blen, "account-key:7", &pt, &ptlen));
    free(pt);
    free(blob);

    /* The same for a version 1 blob. */
    blob = seal_v1(key1, secret, "order-key:ord_1", &blen);
    for (size_t i = 0; i < blen; i++) {
        blob[i] ^= 0x01;
        assert_false(seal_decrypt(&kr, blob, blen, "order-key:ord_1", &pt, &ptlen));
        blob[i] ^= 0x01;
    }
    assert_true(seal_decrypt(&kr, blob, blen, "order-key:ord_1", &pt, &ptlen));
    free(pt);
    free(blob);
}

/* Another aad or another key fails. */
static void test_wrong_aad_and_key(void **state)
{
    (void)state;
    struct seal_keyring kr = ring_of(key1, NULL);
    unsigned char *blob = NULL, *pt = NULL;
    size_t blen = 0, ptlen = 0;
    assert_true(seal_encrypt(&kr, secret, strlen(secret), "certificate-key:1", &blob, &blen));
    assert_false(seal_decrypt(&kr, blob, blen, "certificate-key:2", &pt, &ptlen));
    assert_false(seal_decrypt(&kr, blob, blen, "account-key:1", &pt, &ptlen));
    assert_false(seal_decrypt(&kr, blob, blen, NULL, &pt, &ptlen));
    assert_false(seal_decrypt(&kr, blob, blen, "", &pt, &ptlen));
    /* A ring without the blob's key: its id names no key, nothing is tried. */
    struct seal_keyring other = ring_of(key2, NULL);
    assert_false(seal_decrypt(&other, blob, blen, "certificate-key:1", &pt, &ptlen));
    assert_null(pt);
    /* A key with the same id but other bytes (a forged id) fails on the tag. */
    memcpy(other.keys[0].id, kr.keys[0].id, SEAL_KEY_ID_LEN);
    assert_false(seal_decrypt(&other, blob, blen, "certificate-key:1", &pt, &ptlen));
    free(blob);
    /* Sealed without aad, opened with one: fails as well. */
    assert_true(seal_encrypt(&kr, "x", 1, NULL, &blob, &blen));
    assert_false(seal_decrypt(&kr, blob, blen, "certificate-key:1", &pt, &ptlen));
    free(blob);
}

/* The row AAD: another row, tenant, purpose or column fails; the parts cannot be shifted into each other. */
static void test_row_aad(void **state)
{
    (void)state;
    struct seal_keyring kr = ring_of(key1, NULL);
    unsigned char *blob = NULL, *pt = NULL;
    size_t blen = 0, ptlen = 0;
    char *aad = seal_aad(SEAL_PURPOSE_ORDER_KEY, "tnt_a", "ord_1");
    assert_string_equal(aad, "order-key:5:tnt_a:ord_1");
    assert_true(seal_encrypt(&kr, secret, strlen(secret), aad, &blob, &blen));
    assert_true(seal_decrypt(&kr, blob, blen, aad, &pt, &ptlen));
    free(pt);
    const char *others[][3] = {
        { SEAL_PURPOSE_ORDER_KEY, "tnt_a", "ord_2" },        /* another row of the tenant */
        { SEAL_PURPOSE_ORDER_KEY, "tnt_b", "ord_1" },        /* the same id under another tenant */
        { SEAL_PURPOSE_DNS_PROVIDER, "tnt_a", "ord_1" },     /* another column */
        { SEAL_PURPOSE_ORDER_KEY, "tnt_a:ord_1", "" },       /* shifted parts */
        { SEAL_PURPOSE_ORDER_KEY, "tnt_", "a:ord_1" },
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        char *o = seal_aad(others[i][0], others[i][1], others[i][2]);
        assert_string_not_equal(o, aad);
        pt = NULL;
        assert_false(seal_decrypt(&kr, blob, blen, o, &pt, &ptlen));
        assert_null(pt);
        free(o);
    }
    free(blob);
    free(aad);
}

/* Version 1 blobs still open, with any key of the ring; the legacy AAD is tried for them only. */
static void test_v1_and_legacy(void **state)
{
    (void)state;
    struct seal_keyring kr = ring_of(key2, key1); /* key1 is now a previous key */
    unsigned char *pt = NULL, *blob = NULL;
    size_t ptlen = 0, blen = 0;
    unsigned char *v1 = seal_v1(key1, secret, "order-key:ord_1", &blen);
    unsigned char id[SEAL_KEY_ID_LEN];
    assert_false(seal_blob_key_id(v1, blen, id));
    assert_false(seal_blob_is_current(&kr, v1, blen));
    char *aad = seal_aad(SEAL_PURPOSE_ORDER_KEY, "tnt_a", "ord_1");
    /* With the new AAD only: no (it was sealed with the old one). */
    assert_false(seal_decrypt(&kr, v1, blen, aad, &pt, &ptlen));
    assert_true(seal_decrypt_legacy(&kr, v1, blen, aad, "order-key:ord_1", &pt, &ptlen));
    assert_string_equal((char *)pt, secret);
    free(pt);
    /* Moved to another row, its legacy AAD names the other order: no. */
    assert_false(seal_decrypt_legacy(&kr, v1, blen, aad, "order-key:ord_2", &pt, &ptlen));
    /* Without key1 in the ring: no. */
    struct seal_keyring only2 = ring_of(key2, NULL);
    assert_false(seal_decrypt_legacy(&only2, v1, blen, aad, "order-key:ord_1", &pt, &ptlen));
    free(v1);
    /* A version 2 blob is never opened with the legacy AAD. */
    assert_true(seal_encrypt(&kr, secret, strlen(secret), "order-key:ord_1", &blob, &blen));
    assert_false(seal_decrypt_legacy(&kr, blob, blen, aad, "order-key:ord_1", &pt, &ptlen));
    assert_true(seal_decrypt_legacy(&kr, blob, blen, "order-key:ord_1", "x", &pt, &ptlen));
    free(pt);
    free(blob);
    free(aad);
}

/* The key id picks the key: blobs of the current and of a previous key open; new blobs use the current one. */
static void test_key_id_picks_key(void **state)
{
    (void)state;
    struct seal_keyring old = ring_of(key1, NULL);
    struct seal_keyring kr = ring_of(key2, key1);
    unsigned char *b1 = NULL, *b2 = NULL, *pt = NULL;
    size_t l1 = 0, l2 = 0, ptlen = 0;
    assert_true(seal_encrypt(&old, "one", 3, "a", &b1, &l1));
    assert_true(seal_encrypt(&kr, "two", 3, "a", &b2, &l2));
    unsigned char id[SEAL_KEY_ID_LEN];
    assert_true(seal_blob_key_id(b1, l1, id));
    assert_memory_equal(id, kr.keys[1].id, SEAL_KEY_ID_LEN);
    assert_true(seal_blob_key_id(b2, l2, id));
    assert_memory_equal(id, kr.keys[0].id, SEAL_KEY_ID_LEN);
    assert_memory_not_equal(kr.keys[0].id, kr.keys[1].id, SEAL_KEY_ID_LEN);
    assert_false(seal_blob_is_current(&kr, b1, l1));
    assert_true(seal_blob_is_current(&kr, b2, l2));
    assert_true(seal_decrypt(&kr, b1, l1, "a", &pt, &ptlen));
    assert_string_equal((char *)pt, "one");
    free(pt);
    assert_true(seal_decrypt(&kr, b2, l2, "a", &pt, &ptlen));
    assert_string_equal((char *)pt, "two");
    free(pt);
    /* The old ring cannot read what the new current key sealed. */
    assert_false(seal_decrypt(&old, b2, l2, "a", &pt, &ptlen));
    /* A blob's key id changed to the other key's: fails (the id is authenticated, and the key is wrong). */
    memcpy(b2 + 1, kr.keys[1].id, SEAL_KEY_ID_LEN);
    assert_false(seal_decrypt(&kr, b2, l2, "a", &pt, &ptlen));
    free(b1);
    free(b2);
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

/* The ring from files: the current key, then the space-separated previous ones; a repeated key is refused. */
static void test_keyring_load(void **state)
{
    (void)state;
    char p1[64], p2[64], list[200], err[256];
    const char *t = temp_file("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 65, 0600);
    snprintf(p1, sizeof p1, "%s", t);
    t = temp_file("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf", 64, 0600);
    snprintf(p2, sizeof p2, "%s", t);
    struct seal_keyring kr;
    assert_true(seal_keyring_load(&kr, p2, NULL, err, sizeof err));
    assert_int_equal(kr.n, 1);
    assert_memory_equal(kr.keys[0].key, key2, SEAL_KEY_LEN);
    snprintf(list, sizeof list, "  %s  ", p1);
    assert_true(seal_keyring_load(&kr, p2, list, err, sizeof err));
    assert_int_equal(kr.n, 2);
    for (int i = 0; i < SEAL_KEY_LEN; i++)
        assert_int_equal(kr.keys[1].key[i], i);
    assert_true(seal_keyring_load(&kr, p2, "", err, sizeof err));
    assert_int_equal(kr.n, 1);
    /* The same key as current and previous. */
    snprintf(list, sizeof list, "%s %s", p1, p2);
    assert_false(seal_keyring_load(&kr, p2, list, err, sizeof err));
    assert_non_null(strstr(err, "twice"));
    assert_int_equal(kr.n, 0);
    /* A missing previous key file is an error, not a silent gap. */
    snprintf(list, sizeof list, "%s /nonexistent/old.key", p1);
    assert_false(seal_keyring_load(&kr, p2, list, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/old.key"));
    unlink(p1);
    unlink(p2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tamper),
        cmocka_unit_test(test_wrong_aad_and_key),
        cmocka_unit_test(test_row_aad),
        cmocka_unit_test(test_v1_and_legacy),
        cmocka_unit_test(test_key_id_picks_key),
        cmocka_unit_test(test_key_load),
        cmocka_unit_test(test_keyring_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
