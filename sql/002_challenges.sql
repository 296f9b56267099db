-- 002_challenges: DNS providers per tenant, DNS-01 records on authorizations,
-- the steps of DNS-01 (publish, propagate) and the order's DNS provider.

CREATE TABLE dns_providers (
    id             text PRIMARY KEY DEFAULT 'dnp_' || replace(gen_random_uuid()::text, '-', ''),
    tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    type           text NOT NULL CHECK (type IN ('rfc2136', 'powerdns', 'exec', 'manual')),
    -- Settings that may be shown back (server, zone, key name, algorithm, URL, program).
    config         jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Secret settings (TSIG secret, API key) as one sealed JSON object; never shown back.
    secret_sealed  bytea,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

ALTER TABLE orders ADD COLUMN dns_provider_id text REFERENCES dns_providers(id);
CREATE INDEX orders_dns_provider ON orders (dns_provider_id) WHERE dns_provider_id IS NOT NULL;

-- DNS-01: the record the authorization needs, where it was published, and when removed.
ALTER TABLE authorizations ADD COLUMN record_name text;      -- _acme-challenge.<name>
ALTER TABLE authorizations ADD COLUMN record_value text;     -- base64url(SHA-256(key authorization))
ALTER TABLE authorizations ADD COLUMN record_target text;    -- where it lives after CNAMEs
ALTER TABLE authorizations ADD COLUMN record_zone text;      -- the zone of record_target
ALTER TABLE authorizations ADD COLUMN published_at timestamptz;
ALTER TABLE authorizations ADD COLUMN propagated_at timestamptz;
ALTER TABLE authorizations ADD COLUMN cleaned_at timestamptz;
-- certmill-alpn finds the pending TLS-ALPN-01 answer by name.
CREATE INDEX authorizations_alpn ON authorizations (domain)
    WHERE challenge_type = 'tls-alpn-01' AND status = 'pending';

-- New steps: publish (DNS records) and propagate (wait until every server has them).
ALTER TABLE orders DROP CONSTRAINT orders_step_check;
ALTER TABLE orders ADD CONSTRAINT orders_step_check CHECK (step IN
    ('new_order', 'authorize', 'publish', 'propagate', 'validate', 'finalize', 'download', 'done'));
-- When the order entered its current step (bounds the propagation wait).
ALTER TABLE orders ADD COLUMN step_since timestamptz NOT NULL DEFAULT now();
