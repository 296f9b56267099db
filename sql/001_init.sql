-- 001_init: tenants, API keys, ACME accounts, orders, authorizations, certificates, work queue.
-- State names here are the C enums' names (engine/worker/state.h, fcgi/): keep them in step.

CREATE TABLE tenants (
    id          text PRIMARY KEY DEFAULT 'tnt_' || replace(gen_random_uuid()::text, '-', ''),
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a key is kept: the key itself is shown once, at creation.
CREATE TABLE api_keys (
    id          text PRIMARY KEY DEFAULT 'key_' || replace(gen_random_uuid()::text, '-', ''),
    tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    key_hash    bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

-- One ACME account per tenant and CA. The key row is inserted before newAccount is sent,
-- so concurrent workers agree on one key; url is filled once the CA has answered.
CREATE TABLE acme_accounts (
    id          bigserial PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ca          text NOT NULL,
    key_sealed  bytea NOT NULL,
    url         text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, ca)
);

CREATE TABLE orders (
    id              text PRIMARY KEY DEFAULT 'ord_' || replace(gen_random_uuid()::text, '-', ''),
    tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN
                        ('queued', 'pending_validation', 'action_required', 'issuing', 'issued',
                         'failed', 'cancelled')),
    -- The worker's next step; the API shows status only.
    step            text NOT NULL DEFAULT 'new_order' CHECK (step IN
                        ('new_order', 'authorize', 'validate', 'finalize', 'download', 'done')),
    domains         text[] NOT NULL CHECK (cardinality(domains) BETWEEN 1 AND 100),
    challenge       text NOT NULL CHECK (challenge IN ('http-01', 'dns-01', 'tls-alpn-01')),
    key_type        text NOT NULL CHECK (key_type IN
                        ('ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096')),
    ca              text NOT NULL,
    profile         text,
    customer_ref    text CHECK (length(customer_ref) <= 200),
    auto_renew      boolean NOT NULL DEFAULT true,
    idempotency_key text CHECK (length(idempotency_key) <= 200),
    request_hash    bytea,
    acme_order_url  text,
    finalize_url    text,
    cert_url        text,
    -- The certificate key, made before finalize so a repeated finalize reuses it.
    key_sealed      bytea,
    problem         jsonb,
    certificate_id  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX orders_tenant_created ON orders (tenant_id, created_at DESC, id DESC);

CREATE TABLE authorizations (
    id                 bigserial PRIMARY KEY,
    order_id           text NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    url                text NOT NULL,
    domain             text NOT NULL,
    wildcard           boolean NOT NULL DEFAULT false,
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN
                           ('pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked')),
    challenge_type     text,
    challenge_url      text,
    token              text,
    key_authorization  text,
    responded_at       timestamptz,
    problem            jsonb,
    UNIQUE (order_id, url)
);
-- The HTTP-01 responder finds the key authorization by token.
CREATE INDEX authorizations_token ON authorizations (token) WHERE token IS NOT NULL;

CREATE TABLE certificates (
    id           text PRIMARY KEY DEFAULT 'crt_' || replace(gen_random_uuid()::text, '-', ''),
    tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    order_id     text NOT NULL UNIQUE REFERENCES orders(id),
    ca           text NOT NULL,
    domains      text[] NOT NULL,
    serial       text NOT NULL,
    not_before   timestamptz NOT NULL,
    not_after    timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN
                     ('active', 'expiring', 'expired', 'revoked', 'superseded')),
    cert_pem     text NOT NULL,
    chain_pem    text NOT NULL,
    key_type     text,
    key_sealed   bytea,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificates_tenant_created ON certificates (tenant_id, created_at DESC, id DESC);
ALTER TABLE orders ADD FOREIGN KEY (certificate_id) REFERENCES certificates(id);

-- The work queue: one row per order in progress. A worker claims a due row by setting
-- lease_owner/lease_until and bumping fence; it may commit the step's outcome only while
-- fence is still the value it claimed (a late worker whose lease expired cannot).
CREATE TABLE jobs (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL DEFAULT 'order' CHECK (kind IN ('order')),
    order_id     text NOT NULL UNIQUE REFERENCES orders(id) ON DELETE CASCADE,
    due_at       timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0,  -- consecutive failures of the current step
    polls        integer NOT NULL DEFAULT 0,  -- looks at a CA object still in progress
    lease_owner  text,
    lease_until  timestamptz,
    fence        bigint NOT NULL DEFAULT 0,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due ON jobs (due_at);

-- Wakes idle workers when work is queued (LISTEN certmill_jobs).
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('certmill_jobs', '');
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify AFTER INSERT ON jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify();
