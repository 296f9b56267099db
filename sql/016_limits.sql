-- 016_limits: a tenant's own abuse limits (issue 6, point 8). NULL: the server's [api]
-- default; -1: none (no limit for this tenant). The rate is requests per second.
ALTER TABLE tenants ADD COLUMN rate_per_s double precision
    CHECK (rate_per_s IS NULL OR rate_per_s = -1 OR (rate_per_s > 0 AND rate_per_s <= 1000000));
ALTER TABLE tenants ADD COLUMN rate_burst integer CHECK (rate_burst IS NULL OR rate_burst BETWEEN 1 AND 1000000);
ALTER TABLE tenants ADD COLUMN max_active_orders bigint CHECK (max_active_orders IS NULL OR max_active_orders >= -1);
ALTER TABLE tenants ADD COLUMN max_certificates bigint CHECK (max_certificates IS NULL OR max_certificates >= -1);

-- The quota check counts only these rows, so its cost follows the quota, not the history.
CREATE INDEX orders_tenant_active ON orders (tenant_id)
    WHERE status NOT IN ('issued', 'failed', 'cancelled');
CREATE INDEX certificates_tenant_kept ON certificates (tenant_id)
    WHERE status IN ('active', 'expiring');
