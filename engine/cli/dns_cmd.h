/* dns_cmd — `certmill dns ...`: what certmill sees in DNS for a name, and TXT updates by hand. */
#ifndef CM_DNS_CMD_H
#define CM_DNS_CMD_H

#include "base/config.h"

/* Runs `dns check NAME ...` or `dns update add|delete NAME VALUE ...` (argv[0] is "dns"); returns the
 * exit status: 0 fine, 1 a DNS problem (reported), 2 usage. Needs no database. */
int dns_cmd_run(const struct config *cfg, int argc, char **argv);

#endif
