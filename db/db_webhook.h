/*
 * db_webhook — webhooks, their deliveries and the event list: the API's queries (scoped
 * with tenant_id, so another tenant's id is DB_NOTFOUND) and the sender's (claim, finish).
 */
#ifndef CM_DB_WEBHOOK_H
#define CM_DB_WEBHOOK_H

#include "db.h"
#include "db_api.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* --- api_events.c --- */

/*
 * The tenant's events after sequence number after_seq (0: from the start), oldest first,
 * at most limit; type NULL: any. Rows: id, type, created_at, data and "seq" (integer).
 */
enum db_rc db_api_event_list(struct db *db, const char *tenant_id, long long after_seq, const char *type, int limit,
                             json_t **rows);

/* --- api_webhooks.c --- */

/* A checked new webhook or the changes of an update (NULL / negative: unchanged). */
struct db_webhook_fields {
    const char *url;
    const json_t *events;       /* array of type strings; [] every type */
    const char *description;
    bool description_set;       /* description given (NULL then clears it) */
    int enabled;                /* 0, 1; -1 unchanged */
};

/* A fresh webhook id ('wh_' and 32 hex digits), made before the row so the secret can be sealed to it. */
enum db_rc db_api_webhook_new_id(struct db *db, char **id);
/* Inserts the webhook with its sealed secret; *out is its representation. */
enum db_rc db_api_webhook_create(struct db *db, const char *tenant_id, const char *id,
                                 const struct db_webhook_fields *f, const unsigned char *sealed, size_t len,
                                 json_t **out);
/* One webhook's representation: id, url, events, description, enabled, created_at, updated_at. */
enum db_rc db_api_webhook_get(struct db *db, const char *tenant_id, const char *id, json_t **out);
/* A page of webhooks, newest first; rows carry DB_API_CURSOR_KEY. */
enum db_rc db_api_webhook_list(struct db *db, const char *tenant_id, const struct db_api_page *page,
                               json_t **rows);
/* Changes the given fields; *out is the new representation. */
enum db_rc db_api_webhook_update(struct db *db, const char *tenant_id, const char *id,
                                 const struct db_webhook_fields *f, json_t **out);
/* Deletes the webhook and its deliveries. */
enum db_rc db_api_webhook_delete(struct db *db, const char *tenant_id, const char *id);
/*
 * Replaces the secret; the old one is kept as previous_secret_sealed and still signs
 * for grace_s seconds. *out is the representation.
 */
enum db_rc db_api_webhook_rotate(struct db *db, const char *tenant_id, const char *id, const unsigned char *sealed,
                                 size_t len, int grace_s, json_t **out);
/* A page of the webhook's deliveries, newest first (DB_NOTFOUND: no such webhook); status NULL: any. */
enum db_rc db_api_delivery_list(struct db *db, const char *tenant_id, const char *webhook_id, const char *status,
                                const struct db_api_page *page, json_t **rows);
/* Makes the delivery due now (pending, a new three-day period) and wakes the workers; *out is it. */
enum db_rc db_api_delivery_retry(struct db *db, const char *tenant_id, const char *webhook_id,
                                 const char *delivery_id, json_t **out);

/* --- work_webhook.c --- */

/* A claimed delivery: what the sender needs to send it. */
struct db_delivery {
    char id[48];
    char webhook_id[48];
    char tenant_id[48];           /* the webhook's tenant: part of its secret's AAD */
    int attempts;                 /* including this one: the fence of db_delivery_finish */
    bool expired;                 /* its three days of retries are over */
    json_t *row;                  /* url, event_id, type, created_at, data */
    unsigned char *secret;        /* sealed current secret */
    size_t secret_len;
    unsigned char *previous;      /* sealed previous secret while it still signs; NULL: none */
    size_t previous_len;
};

/* Claims one due delivery of an enabled webhook for lease_s seconds (FOR UPDATE SKIP LOCKED). */
enum db_rc db_delivery_claim(struct db *db, int lease_s, struct db_delivery *d);
/*
 * Records an attempt: status "succeeded", "failed" or "pending" (then due after delay_ms).
 * code 0: no HTTP answer. Only if the delivery was not claimed again since (attempts fence).
 */
enum db_rc db_delivery_finish(struct db *db, const struct db_delivery *d, const char *status, long code,
                              const char *error, long delay_ms);
void db_delivery_free(struct db_delivery *d);

#endif
