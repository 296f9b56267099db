/* order_profile — refusing a profile the CA's known directory does not offer. */
#include "order_profile.h"

#include "base/xalloc.h"
#include "db_ca.h"

#include <jansson.h>
#include <stdlib.h>

/* "a, b, c" of the profile names of a meta.profiles object (caller frees). */
static char *fcgi_order_profile_names(const json_t *profiles)
{
    char *out = xstrdup("");
    const char *name;
    json_t *v;
    bool first = true;
    json_object_foreach((json_t *)profiles, name, v) {
        char *next = xasprintf("%s%s%s", out, first ? "" : ", ", name);
        free(out);
        out = next;
        first = false;
    }
    return out;
}

/* Looks the CA's directory up and answers 422 when it is known and lacks the profile. */
bool fcgi_order_profile_check(struct db *db, const char *ca, const char *profile, struct fcgi_resp *resp)
{
    json_t *row = NULL;
    enum db_rc rc = db_ca_directory_get(db, ca, &row);
    if (rc == DB_NOTFOUND)
        return true;
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
        return false;
    }
    const json_t *profiles = json_object_get(row, "profiles");
    bool ok = json_is_object(profiles) && json_object_get(profiles, profile);
    if (!ok) {
        char *names = json_is_object(profiles) ? fcgi_order_profile_names(profiles) : xstrdup("");
        if (*names)
            fcgi_resp_problemf(resp, FCGI_PROB_PROFILE_UNKNOWN, "profile",
                               "the CA \"%s\" does not offer the profile \"%s\"; it offers: %s", ca, profile, names);
        else
            fcgi_resp_problemf(resp, FCGI_PROB_PROFILE_UNKNOWN, "profile",
                               "the CA \"%s\" does not offer the profile \"%s\"; its directory offers no profiles", ca,
                               profile);
        free(names);
    }
    json_decref(row);
    return ok;
}
