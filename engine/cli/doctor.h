/* doctor — `certmill doctor`: checks an installation and says what is wrong and how to fix it. */
#ifndef CM_DOCTOR_H
#define CM_DOCTOR_H

#include "base/config.h"

/*
 * Checks the master key file, the database (reachable, schema current) and every
 * configured CA (directory reachable over verified TLS, EAB keys when the CA requires
 * them); prints one line per check. Returns 0 when all passed, 1 otherwise.
 */
int doctor_run(const struct config *cfg);

#endif
