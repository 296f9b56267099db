/* alpn — the TLS-ALPN-01 responder's lookup by name. */
#include "db_alpn.h"
#include "db_internal.h"


/* Finds the key authorization a pending tls-alpn-01 challenge for name must answer with. */
enum db_rc db_alpn_key_authorization(struct db *db, const char *name, char **key_authorization)
{
    /*
     * Only while pending: once the CA has decided, the name stops answering. The newest
     * row wins when an older order for the same name is still pending (its token is stale
     * at the CA). Served by the partial index authorizations_alpn (002_challenges.sql).
     */
    static const char sql[] = "SELECT key_authorization FROM authorizations"
                              " WHERE domain = $1 AND challenge_type = 'tls-alpn-01' AND status = 'pending'"
                              " AND key_authorization IS NOT NULL ORDER BY id DESC LIMIT 1";
    const char *params[1] = { name };
    return db_query_text(db, sql, 1, params, NULL, NULL, key_authorization);
}
