-- 020_dashboard — the tenant-wide list of webhook deliveries (GET /v1/webhook-deliveries),
-- which the dashboard's attention bar asks for failed ones: newest first within a tenant
-- and a status, without reading every delivery of the tenant.
CREATE INDEX webhook_deliveries_tenant_status ON webhook_deliveries (tenant_id, status, created_at, id);
