-- 012_webhooks: the panel's webhook endpoints and one delivery per (event, matching webhook).
-- Deliveries are inserted by db_event_add in the transaction of the event itself, so an
-- event exists exactly when its deliveries do: none is lost, none made twice
-- (UNIQUE (webhook_id, event_seq)). Workers send them (engine/worker/webhooks.c).

CREATE TABLE webhooks (
    id              text PRIMARY KEY,
    tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    url             text NOT NULL,
    -- the event types delivered; empty: every type
    event_types     text[] NOT NULL DEFAULT '{}',
    description     text,
    enabled         boolean NOT NULL DEFAULT true,
    -- whsec_ secret, sealed (AES-256-GCM, aad "webhook-secret:<id>")
    secret_sealed   bytea NOT NULL,
    -- the secret before the last rotation: still signs (second signature) until previous_until
    previous_secret_sealed bytea,
    previous_until  timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, created_at);

CREATE TABLE webhook_deliveries (
    -- the Standard Webhooks webhook-id: the same on every attempt
    id              text PRIMARY KEY DEFAULT 'msg_' || replace(gen_random_uuid()::text, '-', ''),
    webhook_id      text NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    event_seq       bigint NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    -- due time while pending; a claim moves it forward by the lease, so a crashed sender's
    -- delivery becomes due again
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_response_code integer,
    last_error      text,
    delivered_at    timestamptz,
    -- retries stop three days after this (a manual retry starts a new period)
    retry_since     timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (webhook_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, created_at, id);
