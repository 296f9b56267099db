-- 009_rate_budget: the CA rate-limit budgets, counted in PostgreSQL so every worker
-- sees the same figures (engine/worker/budget.c, db/work_budget.c).

-- One counted event per row: a newOrder sent (new_orders, per account), a certificate
-- reserved at newOrder and confirmed at issuance (certs_per_domain, certs_per_name_set),
-- an authorization that ended invalid (failed_validations, per account and identifier).
-- A reservation (confirmed false) counts only while its order is still in progress, so a
-- failed or cancelled order gives its slot back.
CREATE TABLE rate_events (
    id         bigserial PRIMARY KEY,
    ca         text NOT NULL,
    budget     text NOT NULL CHECK (budget IN
                   ('new_orders', 'certs_per_domain', 'certs_per_name_set', 'failed_validations')),
    account    text NOT NULL DEFAULT '',  -- the tenant for per-account budgets, '' otherwise
    key        text NOT NULL,             -- account URL, registered domain, name set or identifier
    order_id   text REFERENCES orders(id) ON DELETE SET NULL,
    confirmed  boolean NOT NULL DEFAULT true,
    at         timestamptz NOT NULL DEFAULT now()
);
-- Counting a window of one key; md5 keeps long name sets within the index row size.
CREATE INDEX rate_events_key ON rate_events (ca, budget, account, md5(key), at);
-- Pruning by age.
CREATE INDEX rate_events_at ON rate_events (ca, at);
-- An order reserves a certificate slot once per key, whatever its retries.
CREATE UNIQUE INDEX rate_events_order_slot ON rate_events (order_id, budget, md5(key))
    WHERE budget IN ('certs_per_domain', 'certs_per_name_set');

-- Why a queued order waits instead of being sent to the CA: {"reason": "rate_limit",
-- "budget", "key", "limit", "window_seconds", "until"}; null once it proceeds.
ALTER TABLE orders ADD COLUMN waiting jsonb;

-- The renewal test (same CA, same set of names as a certificate the tenant holds).
CREATE INDEX certificates_domains ON certificates USING gin (domains);
