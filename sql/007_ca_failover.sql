-- 007_ca_failover: several CAs per tenant. A tenant has a default CA and an ordered list
-- of fallbacks; an order remembers the CAs it may still fail over to and the failovers it
-- made. A tenant may bring its own External Account Binding credentials for a CA.

-- NULL: the server's [api] default_ca. Names are [ca.NAME] sections of certmill.conf.
ALTER TABLE tenants ADD COLUMN default_ca text CHECK (length(default_ca) BETWEEN 1 AND 100);
ALTER TABLE tenants ADD COLUMN fallback_cas text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(fallback_cas) <= 8);

-- The CAs this order may still move to, in order (empty for an order that named its CA),
-- and what happened at each CA it left: [{"ca", "code", "detail", "at"}].
ALTER TABLE orders ADD COLUMN failover_cas text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(failover_cas) <= 8);
ALTER TABLE orders ADD COLUMN failovers jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(failovers) = 'array');

-- The tenant's own EAB key id and MAC key for one CA; the MAC key sealed with the master
-- key (AES-256-GCM, bound to tenant and CA), never readable through the API.
CREATE TABLE tenant_eab (
    tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ca          text NOT NULL CHECK (length(ca) BETWEEN 1 AND 100),
    eab_kid     text NOT NULL CHECK (length(eab_kid) BETWEEN 1 AND 500),
    eab_alg     text NOT NULL DEFAULT 'HS256' CHECK (eab_alg IN ('HS256', 'HS384', 'HS512')),
    hmac_sealed bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, ca)
);

-- Retry-After of the CA's last answer about an authorization (RFC 8555 §7.5.1): it is not
-- polled again before this time, also when the next look comes from another step.
ALTER TABLE authorizations ADD COLUMN poll_after timestamptz;
