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
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEAL_V1 1 /* version | nonce | ct | tag: read only */
#define SEAL_V2 2 /* version | key id | nonce | ct | tag */
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_V1_HEADER 1
#define SEAL_V2_HEADER (1 + SEAL_KEY_ID_LEN)
#define SEAL_V1_OVERHEAD (SEAL_V1_HEADER + SEAL_NONCE_LEN + SEAL_TAG_LEN)
#define SEAL_V2_OVERHEAD (SEAL_V2_HEADER + SEAL_NONCE_LEN + SEAL_TAG_LEN)

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

/* Adds a key to the ring (the first added is the current one); false when the ring is full. */
bool seal_keyring_add(struct seal_keyring *kr, const unsigned char key[SEAL_KEY_LEN])
{
    if (!kr || !key || kr->n >= SEAL_MAX_KEYS)
        return false;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    struct seal_key *k = &kr->keys[kr->n++];
    memcpy(k->key, key, SEAL_KEY_LEN);
    SHA256(key, SEAL_KEY_LEN, digest);
    memcpy(k->id, digest, SEAL_KEY_ID_LEN);
    return true;
}

/* Loads the current key file and the space-separated previous ones into an empty ring. */
bool seal_keyring_load(struct seal_keyring *kr, const char *current, const char *previous, char *err,
                       size_t errlen)
{
    unsigned char key[SEAL_KEY_LEN];
    bool ok = false;
    char *list = NULL;
    if (!kr)
        return false;
    seal_keyring_clear(kr);
    if (!seal_key_load(current, key, err, errlen))
        goto done;
    seal_keyring_add(kr, key);
    if (previous) {
        list = xstrdup(previous);
        char *save = NULL;
        for (char *path = strtok_r(list, " \t", &save); path; path = strtok_r(NULL, " \t", &save)) {
            if (!seal_key_load(path, key, err, errlen))
                goto done;
            if (!seal_keyring_add(kr, key)) {
                seal_err(err, errlen, "more than %d master keys", SEAL_MAX_KEYS);
                goto done;
            }
        }
    }
    /* Two keys with one id would make a v2 blob ambiguous (the same key listed twice, in practice). */
    for (size_t i = 0; i < kr->n; i++)
        for (size_t j = i + 1; j < kr->n; j++)
            if (memcmp(kr->keys[i].id, kr->keys[j].id, SEAL_KEY_ID_LEN) == 0) {
                seal_err(err, errlen, "the same master key is listed twice (key files %zu and %zu)", i + 1, j + 1);
                goto done;
            }
    ok = true;
done:
    OPENSSL_cleanse(key, sizeof key);
    free(list);
    if (!ok)
        seal_keyring_clear(kr);
    return ok;
}

/* Wipes the keys. */
void seal_keyring_clear(struct seal_keyring *kr)
{
    if (kr)
        OPENSSL_cleanse(kr, sizeof *kr);
}

/* The key id of a blob: false for a version 1 blob (it has none) or one too short. */
bool seal_blob_key_id(const unsigned char *blob, size_t n, unsigned char id[SEAL_KEY_ID_LEN])
{
    if (!blob || n < SEAL_V2_OVERHEAD || blob[0] != SEAL_V2)
        return false;
    memcpy(id, blob + 1, SEAL_KEY_ID_LEN);
    return true;
}

/* True when the blob is version 2 under the ring's current key: nothing for a rotation to do. */
bool seal_blob_is_current(const struct seal_keyring *kr, const unsigned char *blob, size_t n)
{
    unsigned char id[SEAL_KEY_ID_LEN];
    return kr && kr->n > 0 && seal_blob_key_id(blob, n, id) && memcmp(id, kr->keys[0].id, SEAL_KEY_ID_LEN) == 0;
}

/* The AAD of a row's sealed column; the tenant's length first keeps the string unambiguous. */
char *seal_aad(const char *purpose, const char *tenant, const char *id)
{
    tenant = tenant ? tenant : "";
    return xasprintf("%s:%zu:%s:%s", purpose ? purpose : "", strlen(tenant), tenant, id ? id : "");
}

/* Encrypts pt under the ring's current key as a version 2 blob. Caller frees *out. */
bool seal_encrypt(const struct seal_keyring *kr, const void *pt, size_t n, const char *aad, unsigned char **out,
                  size_t *outlen)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *blob = NULL;
    bool ok = false;
    int len = 0;
    size_t aadlen = aad ? strlen(aad) : 0;
    if (!kr || kr->n == 0 || (!pt && n) || !out || !outlen || n > INT_MAX - SEAL_V2_OVERHEAD || aadlen > INT_MAX)
        return false;
    const struct seal_key *k = &kr->keys[0];
    blob = xmalloc(n + SEAL_V2_OVERHEAD);
    blob[0] = SEAL_V2;
    memcpy(blob + 1, k->id, SEAL_KEY_ID_LEN);
    unsigned char *nonce = blob + SEAL_V2_HEADER, *ct = nonce + SEAL_NONCE_LEN, *tag = ct + n;
    /* A random 96-bit nonce per blob: safe for far more blobs than one key will ever seal. */
    if (RAND_bytes(nonce, SEAL_NONCE_LEN) != 1) {
        seal_log_ossl("nonce generation");
        goto done;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->key, nonce) != 1) {
        seal_log_ossl("cipher setup");
        goto done;
    }
    /* The header (version, key id) is authenticated too: it cannot be changed to another key's id. */
    if (EVP_EncryptUpdate(ctx, NULL, &len, blob, SEAL_V2_HEADER) != 1 ||
        (aadlen && EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)aadlen) != 1)) {
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
    *outlen = n + SEAL_V2_OVERHEAD;
    blob = NULL;
    ok = true;
done:
    if (blob)
        xfree_secret(blob, n + SEAL_V2_OVERHEAD);
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* Opens one blob with one key; header (authenticated in v2, not in v1) and aad as given. */
static bool seal_open(const unsigned char key[SEAL_KEY_LEN], const unsigned char *blob, size_t n, size_t header,
                      bool auth_header, const char *aad, unsigned char **out, size_t *outlen)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *pt = NULL;
    bool ok = false;
    int len = 0;
    size_t aadlen = aad ? strlen(aad) : 0;
    if (aadlen > INT_MAX)
        return false;
    size_t ctlen = n - header - SEAL_NONCE_LEN - SEAL_TAG_LEN;
    const unsigned char *nonce = blob + header, *ct = nonce + SEAL_NONCE_LEN, *tag = ct + ctlen;
    unsigned char tagcopy[SEAL_TAG_LEN];
    memcpy(tagcopy, tag, SEAL_TAG_LEN); /* the ctrl takes a non-const pointer */
    pt = xmalloc(ctlen + 1);
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1)
        goto done;
    if (auth_header && EVP_DecryptUpdate(ctx, NULL, &len, blob, (int)header) != 1)
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

/* Opens a blob of either version with the right key of the ring. *out is NUL-terminated. */
bool seal_decrypt(const struct seal_keyring *kr, const unsigned char *blob, size_t n, const char *aad,
                  unsigned char **out, size_t *outlen)
{
    if (!kr || !blob || !out || !outlen || n == 0 || n > INT_MAX)
        return false;
    if (blob[0] == SEAL_V2 && n >= SEAL_V2_OVERHEAD) {
        for (size_t i = 0; i < kr->n; i++)
            if (memcmp(blob + 1, kr->keys[i].id, SEAL_KEY_ID_LEN) == 0)
                return seal_open(kr->keys[i].key, blob, n, SEAL_V2_HEADER, true, aad, out, outlen);
        return false; /* sealed under a key this program was not given */
    }
    if (blob[0] == SEAL_V1 && n >= SEAL_V1_OVERHEAD) {
        /* No key id: each key in turn; the tag tells the right one (a wrong key fails it). */
        for (size_t i = 0; i < kr->n; i++)
            if (seal_open(kr->keys[i].key, blob, n, SEAL_V1_HEADER, false, aad, out, outlen))
                return true;
    }
    return false;
}

/* seal_decrypt that also opens a version 1 blob sealed with the AAD used before rows named their tenant. */
bool seal_decrypt_legacy(const struct seal_keyring *kr, const unsigned char *blob, size_t n, const char *aad,
                         const char *legacy_aad, unsigned char **out, size_t *outlen)
{
    if (seal_decrypt(kr, blob, n, aad, out, outlen))
        return true;
    if (!legacy_aad || !blob || n == 0 || blob[0] != SEAL_V1)
        return false;
    return seal_decrypt(kr, blob, n, legacy_aad, out, outlen);
}
