/*
 * db_renew — certificate renewal: the renewal order made from a certificate (shared by the
 * scheduler in certmill-worker and POST /v1/certificates/{id}/renew), the scheduler's claim
 * of due certificates, and what a renewal's outcome writes. Calls marked "(tx)" run inside
 * a transaction the caller opened.
 */
#ifndef CM_DB_RENEW_H
#define CM_DB_RENEW_H

#include "db.h"

/*
 * (tx) Makes the renewal order of the certificate with its job: the certificate's names plus
 * the names its order dropped at pre-flight (allow_partial), and the order's challenge, key
 * type, DNS provider, profile, customer_ref, allow_partial and customer CSR; the CA that
 * issued the certificate with the order's remaining fallbacks; auto_renew as the
 * certificate's; replaces_certificate_id the certificate. The certificate's
 * renewal_order_id is set to it. *order_id: caller frees. DB_NOTFOUND: no such certificate.
 */
enum db_rc db_renew_order_create(struct db *db, const char *cert_id, char **order_id);

/*
 * (tx) Claims one certificate whose renew_at is due (FOR UPDATE SKIP LOCKED: other workers
 * pass it by). *row = {id, tenant_id, status, auto_renew, domains, not_before_s, not_after_s,
 * expiring_event_s (null: none), renew_failures, renew_retry_s (null: none),
 * renewal_order_id, renewal_status (null: no renewal order), now_s}. DB_NOTFOUND: none due.
 */
enum db_rc db_renew_claim(struct db *db, json_t **row);
/*
 * (tx) Writes the scheduler's decision: renew_at (unix seconds; 0: stop renewing), the status
 * (NULL: unchanged), and with expiring_event the time of the certificate.expiring event.
 */
enum db_rc db_renew_mark(struct db *db, const char *cert_id, long long renew_at, const char *status,
                         bool expiring_event);

/*
 * (tx) The certificate whose renewal order this is, locked: *row = {id, auto_renew,
 * not_before_s, not_after_s, expiring_event_s, renew_failures, now_s}. DB_NOTFOUND: the
 * order renews nothing (or is no longer the certificate's renewal).
 */
enum db_rc db_renew_failed_load(struct db *db, const char *order_id, json_t **row);
/* (tx) A renewal failed: the failure count, when the next may be made, and the next look (0: none). */
enum db_rc db_renew_failed_mark(struct db *db, const char *cert_id, int failures, long long retry_at,
                                long long renew_at);

/*
 * (tx) A certificate was issued for order_id (db_work_cert_store set its renewal): when the
 * order renews a certificate, that one becomes superseded (unless revoked) with
 * superseded_by set and stops renewing; *old = {id, domains, not_after} of it, else NULL.
 * Caller json_decref's.
 */
enum db_rc db_renew_superseded(struct db *db, const char *order_id, const char *cert_id, json_t **old);

/*
 * Renews now (the API): in one transaction, the certificate of the tenant is locked and its
 * renewal order made. DB_NOTFOUND: no such certificate; DB_CONFLICT: a renewal order is in
 * progress (*busy_order_id) or the certificate is superseded already (*superseded_by).
 * Callers free the strings.
 */
enum db_rc db_renew_now(struct db *db, const char *tenant_id, const char *cert_id, char **order_id,
                        char **busy_order_id, char **superseded_by);
/*
 * Stops renewing (the API): auto_renew false and no renewal time; a renewal order in progress
 * goes on but its certificate will not renew itself. DB_NOTFOUND: no such certificate.
 */
enum db_rc db_renew_stop(struct db *db, const char *tenant_id, const char *cert_id);

#endif
