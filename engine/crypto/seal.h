/* seal — encryption of secrets at rest: AES-256-GCM under the master key. */
#ifndef CM_SEAL_H
#define CM_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#define SEAL_KEY_LEN 32

/* Reads the master key file (64 hex characters, optional trailing newline); refuses other formats. */
bool seal_key_load(const char *path, unsigned char key[SEAL_KEY_LEN], char *err, size_t errlen);
/*
 * Encrypts pt. Output: 1 version byte | 12-byte random nonce | ciphertext | 16-byte tag.
 * aad (may be NULL) binds the blob to its purpose, e.g. "certificate-key:<id>". Caller frees *out.
 */
bool seal_encrypt(const unsigned char key[SEAL_KEY_LEN], const void *pt, size_t n, const char *aad,
                  unsigned char **out, size_t *outlen);
/* Reverses seal_encrypt; false if the blob was altered or the key/aad differ. *out is NUL-terminated. */
bool seal_decrypt(const unsigned char key[SEAL_KEY_LEN], const unsigned char *blob, size_t n, const char *aad,
                  unsigned char **out, size_t *outlen);

#endif
