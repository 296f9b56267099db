/*
 * failover — an order whose CA cannot or will not issue it moves to the next CA of its
 * tenant's fallback list, for reasons another CA would not share: the CA down or failing
 * past its failover_after tries, or a refusal particular to that CA.
 */
#include "step.h"

#include "base/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Refusals of one CA's own making (its EAB, key types, profiles, identifier types, CAA): move at once. */
static const char *const step_failover_now[] = { "eab_required", "eab_rejected", "key_type_unsupported",
                                                 "profile_unsupported", "ip_identifier_unsupported",
                                                 "caa_forbids_ca", NULL };
/* The CA down, timing out, answering 5xx or garbage: move after the CA's failover_after tries. */
static const char *const step_failover_later[] = { "ca_unreachable", "ca_error", "ca_protocol_error", NULL };

/* Tells whether code is in a NULL-terminated list. */
static bool step_failover_listed(const char *const *list, const char *code)
{
    for (; code && *list; list++)
        if (strcmp(*list, code) == 0)
            return true;
    return false;
}

/* Whether the order should leave its CA now, given its problem and the tries made (this one included). */
bool step_failover_wanted(const struct step *s, int attempts)
{
    if (!s->order || !s->ca || json_array_size(json_object_get(s->order, "failover_cas")) == 0)
        return false;
    const char *code = json_string_value(json_object_get(s->problem, "code"));
    if (step_failover_listed(step_failover_now, code))
        return true;
    int after = s->ca->conf->failover_after;
    return after > 0 && attempts >= after && step_failover_listed(step_failover_later, code);
}

/* Moves the order to its next CA (records removed first by the caller); true when it moved. */
bool step_failover(struct step *s)
{
    char at[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    const char *code = json_string_value(json_object_get(s->problem, "code"));
    const char *detail = json_string_value(json_object_get(s->problem, "detail"));
    json_t *entry = json_pack("{s:s, s:s, s:s, s:s}", "ca", s->ca->conf->name, "code", code ? code : "internal",
                              "detail", detail ? detail : "", "at", at);
    char *next = NULL;
    if (step_tx_begin(s) != STEP_RC_OK) {
        json_decref(entry);
        return true; /* lost or database down: the step is someone else's or retried; nothing to fail */
    }
    enum db_rc rc = db_work_order_failover(s->w->db, s->order_id, entry, &next);
    if (rc == DB_OK)
        rc = step_job_reschedule(s, 0, 0, 0, detail);
    if (rc == DB_OK)
        rc = step_tx_commit(s);
    json_decref(entry);
    if (rc != DB_OK) {
        step_tx_abort(s, rc);
        free(next);
        /* No fallback left after all (DB_NOTFOUND): the caller fails the order as it would have. */
        return rc != DB_NOTFOUND;
    }
    log_warn("order %s: CA %s failed it (%s); moving to CA %s", s->order_id, s->ca->conf->name,
             code ? code : "?", next);
    step_log(s, "CA %s failed the order (%s): %s; moving to the next CA, %s", s->ca->conf->name,
             code ? code : "?", detail ? detail : "", next);
    free(next);
    return true;
}
