/* api_challenge — the HTTP-01 responder's lookup by token. */
#include "db_api.h"
#include "db_internal.h"


/* Finds the key authorization a pending http-01 challenge must answer with. */
enum db_rc db_api_challenge_key_authorization(struct db *db, const char *token, char **key_authorization)
{
    /*
     * Only while pending: once the CA has decided, the token stops answering. The worker's
     * pre-flight self-check probes are served the same way until they expire.
     */
    static const char sql[] = "SELECT key_authorization FROM authorizations"
                              " WHERE token = $1 AND challenge_type = 'http-01' AND status = 'pending'"
                              " AND key_authorization IS NOT NULL"
                              " UNION ALL SELECT key_authorization FROM http01_probes"
                              " WHERE token = $1 AND expires_at > now() LIMIT 1";
    const char *params[1] = { token };
    return db_query_text(db, sql, 1, params, NULL, NULL, key_authorization);
}
