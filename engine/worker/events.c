/* events — the events the worker records, each in the transaction of the change it reports. */
#include "step.h"

#include "db_event.h"

/* The order's part of an event: id, names, status, the panel's reference. */
static json_t *step_event_order_data(const struct step *s, const char *status)
{
    json_t *d = json_object();
    json_object_set_new(d, "order_id", json_string(s->order_id));
    json_object_set(d, "domains", json_object_get(s->order, "domains"));
    json_object_set_new(d, "status", json_string(status));
    const char *ref = step_order_str(s, "customer_ref");
    json_object_set_new(d, "customer_ref", ref ? json_string(ref) : json_null());
    return d;
}

/* (tx) order.failed or order.action_required, with the problem the panel sees. */
enum db_rc step_event_order(struct step *s, const char *type, const char *status, const json_t *problem)
{
    json_t *d = step_event_order_data(s, status);
    json_object_set(d, "problem", problem ? (json_t *)problem : json_null());
    enum db_rc rc = db_event_add(s->w->db, s->tenant_id, type, s->order_id, NULL, d);
    json_decref(d);
    return rc;
}

/* (tx) certificate.issued (or another certificate event of an order) with the certificate's facts. */
enum db_rc step_event_cert(struct step *s, const char *type, const char *cert_id, const json_t *facts)
{
    json_t *d = step_event_order_data(s, "issued");
    json_object_set_new(d, "certificate_id", json_string(cert_id));
    json_object_update(d, (json_t *)facts);
    enum db_rc rc = db_event_add(s->w->db, s->tenant_id, type, s->order_id, cert_id, d);
    json_decref(d);
    return rc;
}
