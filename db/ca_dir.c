/* ca_dir — what CAs' directories offer and the ARI renewal information of certificates. */
#include "db_ca.h"
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* Inserts or refreshes the CA's row. */
enum db_rc db_ca_directory_store(struct db *db, const char *ca, const json_t *profiles, bool renewal_info)
{
    char *text = profiles ? json_dumps(profiles, JSON_COMPACT) : NULL;
    const char *p[] = { ca, text, renewal_info ? "true" : "false" };
    enum db_rc rc = db_command(db,
                               "INSERT INTO ca_directories (ca, profiles, renewal_info, fetched_at)"
                               " VALUES ($1, $2::jsonb, $3::boolean, now())"
                               " ON CONFLICT (ca) DO UPDATE SET profiles = EXCLUDED.profiles,"
                               " renewal_info = EXCLUDED.renewal_info, fetched_at = EXCLUDED.fetched_at",
                               3, p, NULL, NULL, false);
    free(text);
    return rc;
}

/* Reads the CA's row. */
enum db_rc db_ca_directory_get(struct db *db, const char *ca, json_t **row)
{
    const char *p[] = { ca };
    return db_query_row(db, "SELECT profiles, renewal_info, fetched_at FROM ca_directories WHERE ca = $1", 1, p,
                        NULL, NULL, row);
}

/* Writes the window and renewal time (when given) and the next check time. */
enum db_rc db_cert_ari_update(struct db *db, const struct db_cert_ari *a)
{
    char start[24], end[24], at[24], next[24];
    snprintf(start, sizeof start, "%lld", a->window_start);
    snprintf(end, sizeof end, "%lld", a->window_end);
    snprintf(at, sizeof at, "%lld", a->renewal_at);
    snprintf(next, sizeof next, "%lld", a->next_check_at);
    const char *p[] = { a->cert_id, a->has_window ? "true" : "false", start, end, at, a->explanation_url, next };
    return db_command(db,
                      "UPDATE certificates SET"
                      " renewal_window_start = CASE WHEN $2::boolean THEN to_timestamp($3::bigint)"
                      "   ELSE renewal_window_start END,"
                      " renewal_window_end = CASE WHEN $2::boolean THEN to_timestamp($4::bigint)"
                      "   ELSE renewal_window_end END,"
                      " renewal_at = CASE WHEN $2::boolean THEN to_timestamp($5::bigint) ELSE renewal_at END,"
                      " renewal_explanation_url = CASE WHEN $2::boolean THEN $6 ELSE renewal_explanation_url END,"
                      " ari_next_check_at = to_timestamp($7::bigint),"
                      /* The CA's time replaces the lifetime fraction while no renewal is under way (011). */
                      " renew_at = CASE WHEN $2::boolean AND auto_renew AND renew_at IS NOT NULL"
                      "   AND renewal_order_id IS NULL THEN to_timestamp($5::bigint) ELSE renew_at END"
                      " WHERE id = $1",
                      7, p, NULL, NULL, true);
}
