/*
 * step_ari — what newOrder carries beyond the names (profile, replaces) and the ARI
 * renewal information (RFC 9773) fetched right after a certificate is stored.
 */
#include "step.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "db_ca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "a, b, c" of the profiles the loaded directory offers; "" when none (caller frees). */
static char *step_profiles_list(const struct acme_client *c)
{
    const struct acme_profile *p = NULL;
    size_t n = acme_directory_profiles(c, &p);
    char *out = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *next = xasprintf("%s%s%s", out, i ? ", " : "", p[i].name);
        free(out);
        out = next;
    }
    return out;
}

/* Takes the order's profile and the certificate it replaces (read with the order), and checks the profile. */
enum step_rc step_order_opts_load(struct step *s, struct step_order_opts *o)
{
    memset(o, 0, sizeof *o);
    o->row = json_incref(s->order);
    const char *profile = json_string_value(json_object_get(o->row, "profile"));
    bool from_config = !profile;
    if (!profile)
        profile = s->ca->conf->default_profile;
    if (profile && !acme_directory_has_profile(s->ca->client, profile)) {
        char detail[700];
        char *offered = step_profiles_list(s->ca->client);
        snprintf(detail, sizeof detail, "the CA %s does not offer the profile \"%s\"%s; %s%s", s->ca->conf->name, profile,
                 from_config ? " (its default_profile)" : "", *offered ? "it offers: " : "it offers no profiles",
                 offered);
        free(offered);
        step_log(s, "%s", detail);
        s->problem = step_problem("profile_unsupported", detail, false, NULL);
        return STEP_RC_FAIL;
    }
    o->acme.profile = profile;
    const char *replaces = json_string_value(json_object_get(o->row, "replaces_ari_cert_id"));
    if (replaces && acme_directory_has_renewal_info(s->ca->client))
        o->acme.replaces = replaces;
    return STEP_RC_OK;
}

/* Frees the row the options point into. */
void step_order_opts_free(struct step_order_opts *o)
{
    json_decref(o->row);
    memset(o, 0, sizeof *o);
}

/* RFC 3339 UTC text of t, for the order log. */
static const char *step_ari_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "?");
    return buf;
}

/* Asks renewalInfo for the new certificate and stores the outcome; never fails the (finished) order. */
void step_ari_fetch(struct step *s, const char *cert_id, const char *ari_cert_id)
{
    if (!cert_id || !ari_cert_id || !acme_directory_has_renewal_info(s->ca->client))
        return;
    struct acme_ari a;
    struct acme_result res;
    acme_result_init(&res);
    int slot = db_ca_gate_enter(worker_gate_db(s->w), s->ca->conf->name, s->ca->conf->max_inflight, false);
    enum acme_rc arc = acme_ari_get(s->ca->client, ari_cert_id, &a, &res);
    db_ca_gate_leave(s->w->gate_db, slot);
    time_t now = time(NULL), at = 0;
    struct db_cert_ari u = { .cert_id = cert_id };
    char t1[32], t2[32], t3[32], safe[300];
    if (arc == ACME_OK && acme_ari_pick(a.start, a.end, now, &at)) {
        u.has_window = true;
        u.window_start = (long long)a.start;
        u.window_end = (long long)a.end;
        u.renewal_at = (long long)at;
        u.explanation_url = a.explanation_url;
        u.next_check_at = (long long)now + a.retry_after;
        step_log(s, "certificate %s: the CA suggests renewal between %s and %s; chosen %s", cert_id,
                 step_ari_time(a.start, t1, sizeof t1), step_ari_time(a.end, t2, sizeof t2),
                 step_ari_time(at, t3, sizeof t3));
    } else {
        u.next_check_at = (long long)now + acme_ari_retry_clamp(res.retry_after);
        log_warn("certificate %s: no renewal information from the CA (%s); next check at %s", cert_id,
                 res.error[0] ? log_safe(safe, sizeof safe, res.error) : "bad window", step_ari_time((time_t)u.next_check_at, t1, sizeof t1));
    }
    if (db_cert_ari_update(s->w->db, &u) != DB_OK)
        log_warn("certificate %s: cannot store its renewal information", cert_id);
    acme_ari_free(&a);
    acme_result_clear(&res);
}
