/*
 * order_ca — which CA a new order goes to: the one it names, else its tenant's default
 * (else the server's), and the tenant's fallback CAs it may fail over to.
 */
#ifndef CM_FCGI_ORDER_CA_H
#define CM_FCGI_ORDER_CA_H

#include "db.h"
#include "order_input.h"
#include "response.h"

/*
 * Sets in->ca and *failover (a JSON array of CA names, caller decrefs; empty when the
 * order named its CA). False with the problem on resp (unknown CA, database down).
 */
bool fcgi_order_ca_resolve(struct db *db, const char *tenant_id, struct fcgi_order_input *in, json_t **failover,
                           struct fcgi_resp *resp);

#endif
