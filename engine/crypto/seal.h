/* seal — encryption of secrets at rest: AES-256-GCM under a ring of master keys. */
#ifndef CM_SEAL_H
#define CM_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#define SEAL_KEY_LEN 32
#define SEAL_KEY_ID_LEN 4  /* the first bytes of SHA-256(key), written into each v2 blob */
#define SEAL_MAX_KEYS 8    /* the current key and up to 7 previous ones */

/* One master key and its id. */
struct seal_key {
    unsigned char key[SEAL_KEY_LEN];
    unsigned char id[SEAL_KEY_ID_LEN];
};

/* The master keys a program holds: keys[0] is the current one (it encrypts), the others only decrypt. */
struct seal_keyring {
    size_t n;
    struct seal_key keys[SEAL_MAX_KEYS];
};

/* Reads the master key file (64 hex characters, optional trailing newline); refuses other formats. */
bool seal_key_load(const char *path, unsigned char key[SEAL_KEY_LEN], char *err, size_t errlen);
/* Adds a key to the ring (the first added is the current one); false when the ring is full. */
bool seal_keyring_add(struct seal_keyring *kr, const unsigned char key[SEAL_KEY_LEN]);
/*
 * Loads the ring: current is [keys] master_key_file, previous ([keys] previous_master_key_files,
 * may be NULL or empty) a space-separated list of older key files, kept to decrypt only.
 */
bool seal_keyring_load(struct seal_keyring *kr, const char *current, const char *previous, char *err,
                       size_t errlen);
/* Wipes the keys. */
void seal_keyring_clear(struct seal_keyring *kr);
/* The key id of a blob: false for a version 1 blob (it has none) or one too short. */
bool seal_blob_key_id(const unsigned char *blob, size_t n, unsigned char id[SEAL_KEY_ID_LEN]);
/* True when the blob is version 2 under the ring's current key: nothing for a rotation to do. */
bool seal_blob_is_current(const struct seal_keyring *kr, const unsigned char *blob, size_t n);

/* The purposes of the sealed columns (the first part of their AAD). */
#define SEAL_PURPOSE_ACCOUNT_KEY "account-key"       /* acme_accounts.key_sealed; id: the CA name */
#define SEAL_PURPOSE_ORDER_KEY "order-key"           /* orders/certificates.key_sealed; id: the order id */
#define SEAL_PURPOSE_DNS_PROVIDER "dns-provider"     /* dns_providers.secret_sealed; id: the provider id */
#define SEAL_PURPOSE_TENANT_EAB "tenant-eab"         /* tenant_eab.hmac_sealed; id: the CA name */
#define SEAL_PURPOSE_WEBHOOK_SECRET "webhook-secret" /* webhooks.(previous_)secret_sealed; id: the webhook id */

/*
 * The AAD binding a sealed column to its row: purpose (a constant such as "order-key"), the
 * row's tenant and the row's id. A blob copied to another row, tenant or column fails to open.
 * Caller frees.
 */
char *seal_aad(const char *purpose, const char *tenant, const char *id);

/*
 * Encrypts pt under the ring's current key. Output (version 2): 1 version byte | 4-byte key id |
 * 12-byte random nonce | ciphertext | 16-byte tag. The version byte and key id are authenticated
 * too. aad (may be NULL; see seal_aad) binds the blob to its row. Caller frees *out.
 */
bool seal_encrypt(const struct seal_keyring *kr, const void *pt, size_t n, const char *aad, unsigned char **out,
                  size_t *outlen);
/*
 * Reverses seal_encrypt; false if the blob was altered, its key is not in the ring or the aad
 * differs. A version 2 blob is opened with the key its id names; a version 1 blob (no key id:
 * version | nonce | ct | tag) with each key of the ring in turn. *out is NUL-terminated.
 */
bool seal_decrypt(const struct seal_keyring *kr, const unsigned char *blob, size_t n, const char *aad,
                  unsigned char **out, size_t *outlen);
/*
 * seal_decrypt for a column whose blobs were once sealed with another AAD: a version 1 blob that
 * does not open with aad is tried with legacy_aad (the AAD before rows were bound to their tenant).
 * Version 2 blobs are only ever opened with aad.
 */
bool seal_decrypt_legacy(const struct seal_keyring *kr, const unsigned char *blob, size_t n, const char *aad,
                         const char *legacy_aad, unsigned char **out, size_t *outlen);

#endif
