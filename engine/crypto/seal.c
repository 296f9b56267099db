/* seal — encryption of secrets at rest: AES-256-GCM under the master key. */
#include "crypto/seal.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEAL_VERSION 1
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_OVERHEAD (1 + SEAL_NONCE_LEN + SEAL_TAG_LEN)

/* Value of one hex digit, -1 for anything else. */
static int seal_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Writes an error message for the caller, who may have passed no buffer. */
__attribute__((format(printf, 3, 4))) static void seal_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Reads the master key file (64 hex characters, optional trailing newline); refuses other formats. */
bool seal_key_load(const char *path, unsigned char key[SEAL_KEY_LEN], char *err, size_t errlen)
{
    /* One more than the longest valid file, so a longer one is seen as such. */
    unsigned char text[2 * SEAL_KEY_LEN + 2];
    size_t n = 0;
    bool ok = false;
    int fd = -1;
    seal_err(err, errlen, "%s", "");
    if (!path || !key) {
        seal_err(err, errlen, "no master key file given");
        return false;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        seal_err(err, errlen, "%s: %s", path, strerror(errno));
        goto done;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        seal_err(err, errlen, "%s: not a regular file", path);
        goto done;
    }
    /* The key opens every private key certmill holds: only its owner may read it. */
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        seal_err(err, errlen, "%s: group or other users may read it (mode %04o): chmod 0600 %s (owner: the services' user)",
                 path, (unsigned)(st.st_mode & 07777), path);
        goto done;
    }
    while (n < sizeof text) {
        ssize_t r = read(fd, text + n, sizeof text - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            seal_err(err, errlen, "%s: %s", path, strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (!(n == 2 * SEAL_KEY_LEN || (n == 2 * SEAL_KEY_LEN + 1 && text[2 * SEAL_KEY_LEN] == '\n'))) {
        seal_err(err, errlen, "%s: must hold exactly %d hex characters and an optional newline", path,
                 2 * SEAL_KEY_LEN);
        goto done;
    }
    for (size_t i = 0; i < SEAL_KEY_LEN; i++) {
        int hi = seal_hexval(text[2 * i]), lo = seal_hexval(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            seal_err(err, errlen, "%s: must hold exactly %d hex characters and an optional newline", path,
                     2 * SEAL_KEY_LEN);
            OPENSSL_cleanse(key, SEAL_KEY_LEN);
            goto done;
        }
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    ok = true;
done:
    OPENSSL_cleanse(text, sizeof text);
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Logs the newest OpenSSL error with what we were doing, then empties the error queue. */
static void seal_log_ossl(const char *what)
{
    char msg[256];
    unsigned long e = ERR_peek_last_error();
    ERR_error_string_n(e, msg, sizeof msg);
    log_error("seal: %s failed: %s", what, e ? msg : "unknown error");
    ERR_clear_error();
}

/*
 * Encrypts pt. Output: 1 version byte | 12-byte random nonce | ciphertext | 16-byte tag.
 * The AAD is the bytes of aad without its NUL (nothing when NULL). Caller frees *out.
 */
bool seal_encrypt(const unsigned char key[SEAL_KEY_LEN], const void *pt, size_t n, const char *aad,
                  unsigned char **out, size_t *outlen)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *blob = NULL;
    bool ok = false;
    int len = 0;
    size_t aadlen = aad ? strlen(aad) : 0;
    if (!key || (!pt && n) || !out || !outlen || n > INT_MAX - SEAL_OVERHEAD || aadlen > INT_MAX)
        return false;
    blob = xmalloc(n + SEAL_OVERHEAD);
    blob[0] = SEAL_VERSION;
    unsigned char *nonce = blob + 1, *ct = blob + 1 + SEAL_NONCE_LEN, *tag = ct + n;
    /* A random 96-bit nonce per blob: safe for far more blobs than one key will ever seal. */
    if (RAND_bytes(nonce, SEAL_NONCE_LEN) != 1) {
        seal_log_ossl("nonce generation");
        goto done;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1) {
        seal_log_ossl("cipher setup");
        goto done;
    }
    if (aadlen && EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)aadlen) != 1) {
        seal_log_ossl("aad");
        goto done;
    }
    if (n && EVP_EncryptUpdate(ctx, ct, &len, pt, (int)n) != 1) {
        seal_log_ossl("encryption");
        goto done;
    }
    if (EVP_EncryptFinal_ex(ctx, ct + n, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, tag) != 1) {
        seal_log_ossl("encryption");
        goto done;
    }
    *out = blob;
    *outlen = n + SEAL_OVERHEAD;
    blob = NULL;
    ok = true;
done:
    if (blob)
        xfree_secret(blob, n + SEAL_OVERHEAD);
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* Reverses seal_encrypt; false if the blob was altered or the key/aad differ. *out is NUL-terminated. */
bool seal_decrypt(const unsigned char key[SEAL_KEY_LEN], const unsigned char *blob, size_t n, const char *aad,
                  unsigned char **out, size_t *outlen)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *pt = NULL;
    bool ok = false;
    int len = 0;
    size_t aadlen = aad ? strlen(aad) : 0;
    if (!key || !blob || !out || !outlen || n < SEAL_OVERHEAD || n > INT_MAX || aadlen > INT_MAX)
        return false;
    if (blob[0] != SEAL_VERSION)
        return false;
    size_t ctlen = n - SEAL_OVERHEAD;
    const unsigned char *nonce = blob + 1, *ct = blob + 1 + SEAL_NONCE_LEN, *tag = ct + ctlen;
    unsigned char tagcopy[SEAL_TAG_LEN];
    memcpy(tagcopy, tag, SEAL_TAG_LEN); /* the ctrl takes a non-const pointer */
    pt = xmalloc(ctlen + 1);
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1)
        goto done;
    if (aadlen && EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)aadlen) != 1)
        goto done;
    if (ctlen && EVP_DecryptUpdate(ctx, pt, &len, ct, (int)ctlen) != 1)
        goto done;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, tagcopy) != 1)
        goto done;
    /* The tag check: any altered byte, other key or other aad fails here. */
    if (EVP_DecryptFinal_ex(ctx, pt + ctlen, &len) != 1)
        goto done;
    pt[ctlen] = '\0';
    *out = pt;
    *outlen = ctlen;
    pt = NULL;
    ok = true;
done:
    ERR_clear_error();
    if (pt)
        xfree_secret(pt, ctlen + 1);
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}
