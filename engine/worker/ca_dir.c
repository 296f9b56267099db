/* ca_dir — a CA's directory loaded, and what it offers recorded for certmill-fcgi (ca_directories). */
#include "worker.h"

#include "base/log.h"
#include "db_ca.h"

#include <jansson.h>

/* Loads the directory; the first time in this process, writes its profiles and renewalInfo to the database. */
enum acme_rc worker_ca_directory(struct worker *w, struct worker_ca *ca, struct acme_result *res)
{
    enum acme_rc rc = acme_directory_load(ca->client, res);
    if (rc != ACME_OK || ca->dir_recorded)
        return rc;
    const struct acme_profile *p = NULL;
    size_t n = acme_directory_profiles(ca->client, &p);
    json_t *profiles = n ? json_object() : NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_string(p[i].description);
        json_object_set_new(profiles, p[i].name, d ? d : json_string(""));
    }
    bool ari = acme_directory_has_renewal_info(ca->client);
    /* Not recorded is no reason to stop the order: the next order of this process tries again. */
    if (db_ca_directory_store(w->db, ca->conf->name, profiles, ari) == DB_OK) {
        ca->dir_recorded = true;
        log_info("CA %s: the directory offers %zu profiles and %s renewalInfo", ca->conf->name, n, ari ? "has" : "no");
    } else {
        log_warn("CA %s: cannot record what the directory offers", ca->conf->name);
    }
    json_decref(profiles);
    return ACME_OK;
}
