/*
 * budget — the CA rate-limit budgets at the worker (issue 4, point 10): the gate before
 * newOrder, and the events it counts (db_budget.h). Every worker counts the same events
 * in PostgreSQL, so the budget holds across all of them.
 */
#ifndef CM_WORKER_BUDGET_H
#define CM_WORKER_BUDGET_H

#include "step.h"

/*
 * Before newOrder: takes a slot of every budget the order would spend, in one fenced
 * transaction under the keys' advisory locks. True: go on (the slots are taken, any
 * "waiting" cleared). False: the step ended here with *rc: either the order waits
 * (still queued, "waiting" says why and until when, the job due again when the oldest
 * counted event leaves the window; no try is counted) or the transaction failed.
 */
bool budget_gate(struct step *s, enum step_rc *rc);
/* (tx) The order's certificate was issued: its reserved certificate slots count from now. */
enum db_rc budget_record_issued(struct step *s);
/* An authorization of the order ended invalid for identifier: counted for failed_validations. */
void budget_record_failure(struct step *s, const char *identifier);

#endif
