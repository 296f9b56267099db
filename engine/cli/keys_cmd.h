/* keys_cmd — `certmill keys rotate|status`: the master keys secrets are sealed with. */
#ifndef CM_KEYS_CMD_H
#define CM_KEYS_CMD_H

#include "base/config.h"
#include "db.h"

/*
 * Runs `keys rotate` (argv[0] is "keys"): every sealed value of every table re-sealed under
 * the current master key and the current AAD, row by row with a compare-and-swap, while the
 * service runs; prints a JSON line of counts per column. `keys status`: how many values each
 * key id (and version 1) holds. Returns 0 done, 1 some value could not be read or a database
 * failure, 2 usage.
 */
int keys_cmd_run(const struct config *cfg, struct db *db, int argc, char **argv);

#endif
