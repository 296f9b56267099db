/* tenant_cmd — `certmill tenant set-ca|remove`: a tenant's CAs, and its removal. */
#ifndef CM_TENANT_CMD_H
#define CM_TENANT_CMD_H

#include "base/config.h"
#include "db.h"

/*
 * Runs `tenant set-ca TENANT DEFAULT [FALLBACK...]` or `tenant remove TENANT [--force]`
 * (argv[0] is "tenant"). Returns the exit status: 0 done, 1 failed, 2 usage; -1 when the
 * subcommand is not one of these.
 */
int tenant_cmd_run(const struct config *cfg, struct db *db, int argc, char **argv);

#endif
