/* db_keys — the sealed columns of every table, for `certmill keys rotate` and `keys status`. */
#ifndef CM_DB_KEYS_H
#define CM_DB_KEYS_H

#include "db.h"

#include <stddef.h>

/* Each sealed column; the AAD of a row is (purpose, tenant_id, aad_id). */
enum db_sealed_kind {
    DB_SEALED_ACCOUNT_KEY,      /* acme_accounts.key_sealed: aad_id the CA */
    DB_SEALED_ORDER_KEY,        /* orders.key_sealed: aad_id the order id */
    DB_SEALED_CERT_KEY,         /* certificates.key_sealed: aad_id the order id (the key is the order's) */
    DB_SEALED_DNS_PROVIDER,     /* dns_providers.secret_sealed: aad_id the provider id */
    DB_SEALED_TENANT_EAB,       /* tenant_eab.hmac_sealed: aad_id the CA */
    DB_SEALED_WEBHOOK_SECRET,   /* webhooks.secret_sealed: aad_id the webhook id */
    DB_SEALED_WEBHOOK_PREVIOUS, /* webhooks.previous_secret_sealed: aad_id the webhook id */
    DB_SEALED_KINDS
};

/* One sealed value and the row it belongs to. */
struct db_sealed_row {
    char *cursor;    /* where the next page starts */
    char *tenant_id;
    char *aad_id;
    unsigned char *blob;
    size_t len;
};

/* "table.column" of a kind. */
const char *db_sealed_kind_name(enum db_sealed_kind kind);
/* Up to limit rows of a kind holding a sealed value, after cursor ("" from the start), in cursor order. */
enum db_rc db_sealed_page(struct db *db, enum db_sealed_kind kind, const char *after, int limit,
                          struct db_sealed_row **rows, size_t *n);
/* Frees a page. */
void db_sealed_rows_free(struct db_sealed_row *rows, size_t n);
/*
 * Replaces the row's sealed value with new_blob only while it still holds old_blob (compare and
 * swap: a concurrent writer's value is never overwritten); DB_NOTFOUND when it changed.
 */
enum db_rc db_sealed_swap(struct db *db, enum db_sealed_kind kind, const char *tenant_id, const char *aad_id,
                          const unsigned char *old_blob, size_t old_len, const unsigned char *new_blob,
                          size_t new_len);
/*
 * Counts a kind's sealed values by blob version and key id: *out = [{"version", "key_id"
 * (hex, null for version 1), "count"}].
 */
enum db_rc db_sealed_count(struct db *db, enum db_sealed_kind kind, json_t **out);

#endif
