/*
 * db_event — the events a panel reads (GET /v1/events) and webhooks deliver. An event is
 * written inside the transaction of the change it reports ("(tx)"), so it exists exactly
 * when the change does.
 */
#ifndef CM_DB_EVENT_H
#define CM_DB_EVENT_H

#include "db.h"

/*
 * (tx) Records an event of the tenant: type is one of order.action_required, order.failed,
 * certificate.issued, certificate.renewed, certificate.expiring, certificate.revoked;
 * order_id / certificate_id may be NULL; data is the event's "data" object.
 */
enum db_rc db_event_add(struct db *db, const char *tenant_id, const char *type, const char *order_id,
                        const char *certificate_id, const json_t *data);

#endif
