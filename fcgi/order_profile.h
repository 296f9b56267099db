/*
 * order_profile — an order's ACME profile against what the CA's directory offers, as
 * the workers recorded it (certmill-fcgi never talks to the CA itself).
 */
#ifndef CM_FCGI_ORDER_PROFILE_H
#define CM_FCGI_ORDER_PROFILE_H

#include "app.h"
#include "db.h"
#include "response.h"

#include <stdbool.h>

/*
 * True when the order may go on: the CA's recorded directory lists the profile, or no
 * worker has fetched that directory yet (the worker checks before newOrder then). False
 * with the problem on resp: 422 profile_unknown naming what the CA offers, or 503.
 */
bool fcgi_order_profile_check(struct db *db, const char *ca, const char *profile, struct fcgi_resp *resp);

#endif
