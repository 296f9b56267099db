/* db_admin — the queries of the admin CLI: tenants, API keys and ACME account keys. */
#ifndef CM_DB_ADMIN_H
#define CM_DB_ADMIN_H

#include "db.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Creates a tenant and its first API key (the key's SHA-256) in one transaction.
 * *out = {"id", "name", "created_at", "key_id"}. DB_CONFLICT when the name is taken.
 */
enum db_rc db_tenant_create(struct db *db, const char *name, const unsigned char key_hash[32], json_t **out);
/* Finds a tenant by id or by name: *out = {"id", "name", "created_at"}. */
enum db_rc db_tenant_find(struct db *db, const char *id_or_name, json_t **out);
/* Lists tenants with their number of live keys and orders. */
enum db_rc db_tenant_list(struct db *db, json_t **out);
/* Adds an API key to a tenant: *out = {"id", "tenant_id", "created_at"}. */
enum db_rc db_apikey_create(struct db *db, const char *tenant_id, const unsigned char key_hash[32], json_t **out);
/* Revokes a key (idempotent for a revoked key); DB_NOTFOUND when there is no such key. */
enum db_rc db_apikey_revoke(struct db *db, const char *key_id, json_t **out);
/* Lists a tenant's orders, newest first (for `certmill order list`). */
enum db_rc db_order_list_admin(struct db *db, const char *tenant_id, int limit, json_t **out);
/* A tenant's ACME account at a CA: sealed key and URL (NULL until registered); the caller frees both. */
enum db_rc db_admin_account_get(struct db *db, const char *tenant_id, const char *ca, unsigned char **key,
                                size_t *keylen, char **url);
/* Replaces the sealed account key while the row still holds old_key (else DB_NOTFOUND). */
enum db_rc db_admin_account_set_key(struct db *db, const char *tenant_id, const char *ca, const unsigned char *old_key,
                                    size_t old_len, const unsigned char *new_key, size_t new_len);

/* --- admin_tenant.c --- */

/* Sets the tenant's default CA (NULL: the server's) and fallbacks (JSON array of names): *out the tenant row. */
enum db_rc db_admin_tenant_set_cas(struct db *db, const char *tenant_id, const char *default_ca,
                                   const json_t *fallbacks, json_t **out);
/*
 * Sets the tenant's own abuse limits (rate per second, burst, max_active_orders,
 * max_certificates): column i changes only when set[i]; values[i] NULL puts back the
 * server's default, "-1" means none. *out the tenant's limits. DB_NOTFOUND: no tenant.
 */
enum db_rc db_admin_tenant_set_limits(struct db *db, const char *tenant_id, const bool set[4],
                                      const char *const values[4], json_t **out);
/* The tenant's ACME accounts: *out = [{"ca", "url"}]. */
enum db_rc db_admin_tenant_accounts(struct db *db, const char *tenant_id, json_t **out);
/* Removes the tenant with its keys, orders, certificates, accounts and providers; DB_NOTFOUND when gone. */
enum db_rc db_admin_tenant_delete(struct db *db, const char *tenant_id);

#endif
