/* keys_cmd — `certmill keys rotate|status`: re-seal every secret under the current master key. */
#include "keys_cmd.h"

#include "base/xalloc.h"
#include "crypto/seal.h"
#include "db_keys.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KEYS_CMD_OK = 0, KEYS_CMD_FAIL = 1, KEYS_CMD_USAGE = 2 };

#define KEYS_PAGE 100 /* rows read at a time: memory stays small on a large installation */

/* What one column's rotation did. */
struct keys_counts {
    long resealed;   /* re-sealed under the current key and AAD */
    long current;    /* already so: nothing to do */
    long unreadable; /* opened by no key of the ring with either AAD: left as it is */
    long changed;    /* changed by a writer while we worked: the writer's value stays */
};

/* Prints usage to stderr. */
static int keys_cmd_usage(void)
{
    fputs("usage: certmill keys rotate\n"
          "  re-seal every secret under [keys] master_key_file (older keys from previous_master_key_files)\n"
          "       certmill keys status\n"
          "  how many sealed values each master key id holds\n",
          stderr);
    return KEYS_CMD_USAGE;
}

/* The purpose (the AAD's first part) of a kind. */
static const char *keys_purpose(enum db_sealed_kind kind)
{
    switch (kind) {
    case DB_SEALED_ACCOUNT_KEY:
        return SEAL_PURPOSE_ACCOUNT_KEY;
    case DB_SEALED_ORDER_KEY:
    case DB_SEALED_CERT_KEY:
        return SEAL_PURPOSE_ORDER_KEY;
    case DB_SEALED_DNS_PROVIDER:
        return SEAL_PURPOSE_DNS_PROVIDER;
    case DB_SEALED_TENANT_EAB:
        return SEAL_PURPOSE_TENANT_EAB;
    case DB_SEALED_WEBHOOK_SECRET:
    case DB_SEALED_WEBHOOK_PREVIOUS:
        return SEAL_PURPOSE_WEBHOOK_SECRET;
    case DB_SEALED_KINDS:
        break;
    }
    return "";
}

/* The AAD version 1 blobs of a kind were sealed with, before rows named their tenant. */
static char *keys_legacy_aad(enum db_sealed_kind kind, const char *tenant, const char *aad_id)
{
    if (kind == DB_SEALED_ACCOUNT_KEY || kind == DB_SEALED_TENANT_EAB)
        return xasprintf("%s:%s:%s", keys_purpose(kind), tenant, aad_id);
    return xasprintf("%s:%s", keys_purpose(kind), aad_id);
}

/* Re-seals one value unless it is current already; false only on a database failure. */
static bool keys_rotate_row(struct db *db, const struct seal_keyring *kr, enum db_sealed_kind kind,
                            const struct db_sealed_row *row, struct keys_counts *c)
{
    char *aad = seal_aad(keys_purpose(kind), row->tenant_id, row->aad_id);
    char *legacy = keys_legacy_aad(kind, row->tenant_id, row->aad_id);
    unsigned char *pt = NULL, *blob = NULL;
    size_t ptlen = 0, blen = 0;
    bool ok = true;
    /* Opened even when current: a value moved from another row is counted, not passed over. */
    if (!row->blob || !seal_decrypt_legacy(kr, row->blob, row->len, aad, legacy, &pt, &ptlen)) {
        c->unreadable++;
        fprintf(stderr, "certmill: keys rotate: %s of tenant %s, %s: cannot be decrypted\n", db_sealed_kind_name(kind),
                row->tenant_id, row->aad_id);
    } else if (seal_blob_is_current(kr, row->blob, row->len)) {
        c->current++;
    } else if (!seal_encrypt(kr, pt, ptlen, aad, &blob, &blen)) {
        ok = false;
    } else {
        enum db_rc rc = db_sealed_swap(db, kind, row->tenant_id, row->aad_id, row->blob, row->len, blob, blen);
        if (rc == DB_OK)
            c->resealed++;
        else if (rc == DB_NOTFOUND)
            c->changed++; /* a writer's newer value (or the row is gone): ours must not replace it */
        else
            ok = false;
    }
    if (pt)
        xfree_secret(pt, ptlen);
    free(blob);
    free(aad);
    free(legacy);
    return ok;
}

/* Rotates one column, page by page; false on a database failure. */
static bool keys_rotate_kind(struct db *db, const struct seal_keyring *kr, enum db_sealed_kind kind,
                             struct keys_counts *c)
{
    char *after = xstrdup("");
    bool ok = true;
    for (;;) {
        struct db_sealed_row *rows = NULL;
        size_t n = 0;
        if (db_sealed_page(db, kind, after, KEYS_PAGE, &rows, &n) != DB_OK) {
            ok = false;
            break;
        }
        for (size_t i = 0; ok && i < n; i++)
            ok = keys_rotate_row(db, kr, kind, &rows[i], c);
        if (n > 0) {
            free(after);
            after = xstrdup(rows[n - 1].cursor);
        }
        db_sealed_rows_free(rows, n);
        if (!ok || n < KEYS_PAGE)
            break;
    }
    free(after);
    return ok;
}

/* The ring's current key id in hex. */
static void keys_current_id(const struct seal_keyring *kr, char hex[2 * SEAL_KEY_ID_LEN + 1])
{
    for (size_t i = 0; i < SEAL_KEY_ID_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", kr->keys[0].id[i]);
}

/* `keys rotate`: every column in turn; prints {"current_key_id", "columns": {name: counts}}. */
static int keys_rotate(struct db *db, const struct seal_keyring *kr)
{
    char hex[2 * SEAL_KEY_ID_LEN + 1];
    keys_current_id(kr, hex);
    json_t *cols = json_object();
    long unreadable = 0;
    int ret = KEYS_CMD_OK;
    for (int k = 0; k < DB_SEALED_KINDS; k++) {
        struct keys_counts c = { 0 };
        if (!keys_rotate_kind(db, kr, (enum db_sealed_kind)k, &c)) {
            fprintf(stderr, "certmill: keys rotate: %s: database failure; run it again\n",
                    db_sealed_kind_name((enum db_sealed_kind)k));
            ret = KEYS_CMD_FAIL;
        }
        unreadable += c.unreadable;
        json_object_set_new(cols, db_sealed_kind_name((enum db_sealed_kind)k),
                            json_pack("{s:I, s:I, s:I, s:I}", "resealed", (json_int_t)c.resealed, "current",
                                      (json_int_t)c.current, "unreadable", (json_int_t)c.unreadable, "changed",
                                      (json_int_t)c.changed));
    }
    json_t *out = json_pack("{s:s, s:o}", "current_key_id", hex, "columns", cols);
    char *text = out ? json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (text)
        puts(text);
    free(text);
    json_decref(out);
    return unreadable > 0 ? KEYS_CMD_FAIL : ret;
}

/* `keys status`: prints {"current_key_id", "key_ids": [...], "columns": {name: [{version, key_id, count}]}}. */
static int keys_status(struct db *db, const struct seal_keyring *kr)
{
    char hex[2 * SEAL_KEY_ID_LEN + 1];
    keys_current_id(kr, hex);
    json_t *ids = json_array(), *cols = json_object();
    for (size_t i = 0; i < kr->n; i++) {
        char h[2 * SEAL_KEY_ID_LEN + 1];
        for (size_t j = 0; j < SEAL_KEY_ID_LEN; j++)
            snprintf(h + 2 * j, 3, "%02x", kr->keys[i].id[j]);
        json_array_append_new(ids, json_string(h));
    }
    int ret = KEYS_CMD_OK;
    for (int k = 0; k < DB_SEALED_KINDS; k++) {
        json_t *rows = NULL;
        if (db_sealed_count(db, (enum db_sealed_kind)k, &rows) != DB_OK) {
            ret = KEYS_CMD_FAIL;
            continue;
        }
        json_object_set_new(cols, db_sealed_kind_name((enum db_sealed_kind)k), rows);
    }
    json_t *out = json_pack("{s:s, s:o, s:o}", "current_key_id", hex, "key_ids", ids, "columns", cols);
    char *text = out ? json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (text)
        puts(text);
    free(text);
    json_decref(out);
    return ret;
}

/* Runs `keys rotate` or `keys status`. */
int keys_cmd_run(const struct config *cfg, struct db *db, int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "rotate") != 0 && strcmp(argv[1], "status") != 0))
        return keys_cmd_usage();
    struct seal_keyring kr;
    char err[512];
    if (!seal_keyring_load(&kr, cfg->master_key_file, cfg->previous_master_key_files, err, sizeof err)) {
        fprintf(stderr, "certmill: keys: %s\n", err);
        return KEYS_CMD_FAIL;
    }
    int ret = strcmp(argv[1], "rotate") == 0 ? keys_rotate(db, &kr) : keys_status(db, &kr);
    seal_keyring_clear(&kr);
    return ret;
}
