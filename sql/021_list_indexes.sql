-- 021_list_indexes: the filters of GET /v1/orders and GET /v1/certificates use an index
-- instead of reading every row of the tenant (make bench, 1M certificates: ?domain= took
-- 1.2 s, ?expires_before= 0.56 s, orders ?status=failed 0.22 s).
-- ?domain=: the queries ask domains @> ARRAY[name], which a GIN index answers
-- (certificates_domains exists since 009).
CREATE INDEX orders_domains ON orders USING gin (domains);
-- ?status=, in the list's own order (created_at, id), so a page stops at its limit.
CREATE INDEX orders_tenant_status_created ON orders (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX certificates_tenant_status_created ON certificates (tenant_id, status, created_at DESC, id DESC);
-- ?customer_ref= on orders (and, through the order, on certificates).
CREATE INDEX orders_tenant_customer_ref ON orders (tenant_id, customer_ref) WHERE customer_ref IS NOT NULL;
-- ?expires_before= on certificates.
CREATE INDEX certificates_tenant_not_after ON certificates (tenant_id, not_after);
