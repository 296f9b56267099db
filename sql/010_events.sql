-- 010_events: what happened that a panel cares about, per tenant, in a stable order.
-- GET /v1/events reads it with a cursor (the polling fallback); webhooks deliver it.
-- Rows are written in the same transaction as the change they report, so an event
-- exists exactly when its change does.

CREATE TABLE events (
    -- The cursor order. Event inserts take a transaction-scoped advisory lock (db/work_event.c),
    -- so they commit in id order: a reader past id N never misses a later-committed id < N.
    seq             bigserial PRIMARY KEY,
    id              text NOT NULL UNIQUE DEFAULT 'evt_' || replace(gen_random_uuid()::text, '-', ''),
    tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    type            text NOT NULL CHECK (type IN ('order.action_required', 'order.failed', 'certificate.issued',
                                                  'certificate.renewed', 'certificate.expiring',
                                                  'certificate.revoked')),
    order_id        text,
    certificate_id  text,
    data            jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_tenant_seq ON events (tenant_id, seq);
