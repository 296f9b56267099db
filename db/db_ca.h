/*
 * db_ca — what a CA's directory offers (ACME profiles, renewalInfo) as the workers last
 * saw it, and the ARI renewal information of certificates (RFC 9773). The worker writes
 * both; certmill-fcgi reads the directory to check an order's profile.
 */
#ifndef CM_DB_CA_H
#define CM_DB_CA_H

#include "db.h"

#include <jansson.h>
#include <stdbool.h>

/* Records the CA's directory: profiles an object name -> description, NULL when it offers none. */
enum db_rc db_ca_directory_store(struct db *db, const char *ca, const json_t *profiles, bool renewal_info);
/*
 * The CA's directory as last recorded: *row = {profiles (object or null), renewal_info,
 * fetched_at}. DB_NOTFOUND when no worker has fetched it yet.
 */
enum db_rc db_ca_directory_get(struct db *db, const char *ca, json_t **row);


/* A renewalInfo outcome for a certificate (all times unix seconds). */
struct db_cert_ari {
    const char *cert_id;
    bool has_window;             /* false: a failed check; the window stays as it was */
    long long window_start;
    long long window_end;
    long long renewal_at;        /* the time chosen inside the window */
    const char *explanation_url; /* NULL: none */
    long long next_check_at;     /* when to ask the CA again */
};
/*
 * Writes a renewalInfo outcome (the worker after issuance, and the periodic re-check):
 * with has_window the window, explanation and renewal time are replaced; the next check
 * time always. DB_NOTFOUND when there is no such certificate.
 */
enum db_rc db_cert_ari_update(struct db *db, const struct db_cert_ari *a);

#endif
