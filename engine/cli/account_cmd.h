/* account_cmd — `certmill account ...`: the tenants' ACME accounts. */
#ifndef CM_ACCOUNT_CMD_H
#define CM_ACCOUNT_CMD_H

#include "base/config.h"
#include "db.h"

/*
 * Runs `account rollover TENANT [CA]` (argv[0] is "account"): a new account key, sent to
 * the CA by key change (RFC 8555 §7.3.5), then stored sealed in place of the old one.
 * Returns the exit status: 0 done, 1 failed (reported on stderr), 2 usage.
 */
int account_cmd_run(const struct config *cfg, struct db *db, int argc, char **argv);
/* Deactivates the tenant's (id or name) account at a CA, printing a JSON line; 0 done, 1 failed. */
int account_cmd_deactivate(const struct config *cfg, struct db *db, const char *tenant, const char *ca_name);

#endif
