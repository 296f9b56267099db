/*
 * events — GET /v1/events, the polling side of the event feed: the tenant's events
 * oldest first after an opaque cursor; next_cursor is never null, so a panel keeps it
 * and asks again later for what happened since.
 */
#ifndef CM_FCGI_EVENTS_H
#define CM_FCGI_EVENTS_H

#include "app.h"
#include "request.h"
#include "response.h"

#include <stdbool.h>

/* The event types, NULL-terminated (the CHECK of sql/010_events.sql names the same). */
extern const char *const fcgi_event_types[];

/* True when s is one of fcgi_event_types. */
bool fcgi_event_type_known(const char *s);
void fcgi_events_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
