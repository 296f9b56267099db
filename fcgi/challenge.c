/* challenge — serving HTTP-01 key authorizations. */
#include "challenge.h"

#include "crypto/b64.h"
#include "db_api.h"

#include <stdlib.h>
#include <string.h>

/* Answers the CA's HTTP-01 request for token. */
void fcgi_challenge_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *token = req->params[0];
    /* The token is checked before anything uses it (RFC 8555 §8.3: base64url). */
    if (!b64url_valid(token, FCGI_MAX_TOKEN)) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such challenge");
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    char *ka = NULL;
    enum db_rc rc = db_api_challenge_key_authorization(db, token, &ka);
    if (rc == DB_OK)
        fcgi_resp_text(resp, 200, "text/plain", ka, strlen(ka));
    else if (rc == DB_NOTFOUND)
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such challenge");
    else
        fcgi_resp_db_failure(resp, rc);
    free(ka);
}
