/* db_alpn — the one query of certmill-alpn, the TLS-ALPN-01 responder. */
#ifndef CM_DB_ALPN_H
#define CM_DB_ALPN_H

#include "db.h"

/*
 * Finds the key authorization ("token.thumbprint") of the newest pending
 * tls-alpn-01 authorization for name (a normalised DNS name). *key_authorization is
 * the caller's (free()); DB_NOTFOUND when no such challenge is pending.
 */
enum db_rc db_alpn_key_authorization(struct db *db, const char *name, char **key_authorization);

#endif
