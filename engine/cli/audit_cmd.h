/* audit_cmd — the CLI's audit rows (one per change it makes) and `certmill audit list`. */
#ifndef CM_CLI_AUDIT_CMD_H
#define CM_CLI_AUDIT_CMD_H

#include "db.h"

/* The state audit_cmd_after needs, taken before the command runs (the tenant a remove deletes). */
struct audit_cmd {
    bool changes;      /* the command changes something: it gets a row */
    char *tenant_id;   /* the tenant the command acts on, when it names one */
};

/* Tells whether argv is a changing command and finds the tenant it names. */
void audit_cmd_before(struct audit_cmd *a, struct db *db, int argc, char **argv);
/* Records a row for a command that succeeded (ret 0); a failure to record is reported on stderr. */
void audit_cmd_after(struct audit_cmd *a, struct db *db, int argc, char **argv, int ret);
/* certmill audit list [TENANT] [--limit N]: the newest rows as a JSON array; -1 when argv is not that. */
int audit_cmd_run(struct db *db, int argc, char **argv);

#endif
